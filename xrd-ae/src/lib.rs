#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod activation;
mod adam;
mod autoencoder;
mod dense;
mod diagnostics;
mod dropout;
mod engine;
mod error;
mod feature_space;
mod history;
mod init;
mod kernels;
mod loss;
mod network;
mod network_params;
mod pca;
mod persist;
mod train;

pub use activation::{Activation, PRELU_INIT};
pub use adam::{Adam, DEFAULT_WEIGHT_DECAY, WeightDecay};
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderParams, PAPER_INPUTS};
pub use dense::Dense;
pub use diagnostics::{
    COLLAPSE_TOLERANCE, DEAD_FRACTION, DeadUnits, Diagnostics, LatentSpread, RANK_FRACTION,
    Warning, dead_relus,
};
pub use dropout::DROPOUT_SEED;
pub use engine::{Gradients, LayerGradient};
pub use error::{Error, Result};
pub use feature_space::FeatureSpace;
pub use history::History;
pub use init::Init;
pub use kernels::isa::{ISA_ENV, InstructionSet, instruction_set};
pub use kernels::plan::{
    BLOCKINGS, Blocking, DensePath, GROUP_CHUNKS, PLAN_ENV, Plan, TASKS_PER_THREAD, plan, set_plan,
};
pub use loss::{Loss, PEARSON_EPS};
pub use network::Network;
pub use network_params::{LayerSpec, NetworkConfig, NetworkParams};
pub use pca::{DEFAULT_COMPONENTS, Pca, PcaParams, RANK_TOLERANCE};
pub use persist::{FORMAT_VERSION, safetensors_bytes};
pub use train::{EarlyStopping, Progress, TrainConfig, Trainer};
