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
mod history;
mod init;
mod kernels;
mod loss;
mod network;
mod network_params;
mod persist;
mod train;

pub use activation::{Activation, PRELU_INIT};
pub use adam::{Adam, WeightDecay};
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderParams, PAPER_INPUTS};
pub use dense::Dense;
pub use dropout::DROPOUT_SEED;
pub use engine::{Gradients, LayerGradient};
pub use error::{Error, Result};
pub use history::History;
pub use init::Init;
pub use kernels::isa::{ISA_ENV, InstructionSet, instruction_set};
pub use loss::{Loss, PEARSON_EPS};
pub use network::Network;
pub use network_params::{LayerSpec, NetworkConfig, NetworkParams};
pub use persist::FORMAT_VERSION;
pub use train::{EarlyStopping, Progress, TrainConfig, Trainer};
