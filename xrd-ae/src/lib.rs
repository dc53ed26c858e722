#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod activation;
mod adam;
mod autoencoder;
mod dense;
mod dropout;
mod engine;
mod error;
mod init;
mod kernels;
mod loss;
mod network;
mod persist;
mod train;

pub use activation::{Activation, PRELU_INIT};
pub use adam::{Adam, WeightDecay};
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderParams, PAPER_INPUTS};
pub use dense::Dense;
pub use dropout::DROPOUT_SEED;
pub use engine::{Gradients, LayerGradient, Trainer};
pub use error::{Error, Result};
pub use init::Init;
pub use kernels::isa::{ISA_ENV, InstructionSet, instruction_set};
pub use loss::{Loss, PEARSON_EPS};
pub use network::{LayerSpec, Network, NetworkConfig, NetworkParams};
pub use persist::FORMAT_VERSION;
pub use train::{EarlyStopping, History, Progress, TrainConfig};
