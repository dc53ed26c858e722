#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;

pub mod cif;
pub mod element;
pub mod lattice;
pub mod scattering;
pub mod structure;

pub use cif::Cif;
pub use element::{Element, Species};
pub use error::{Error, Result};
pub use lattice::Lattice;
pub use scattering::{Anomalous, AtomicFactor, FormFactorTable};
pub use structure::{Site, Structure};

pub mod powder;

pub use powder::{Doublet, Peak, PeakList, PowderParams, Profile, Shape, Simulator, Width};
pub mod artefacts;
pub mod builtin;
pub use artefacts::{Artefacts, Background};
