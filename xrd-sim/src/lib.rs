#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod detect;
mod error;
mod rounding;
mod solid_solution;

pub mod cif;
pub mod element;
pub mod lattice;
pub mod poscar;
pub mod scattering;
pub mod structure;
pub mod symmetry;
pub mod synthetic;
pub mod training;

pub use cif::Cif;
pub use detect::{SpaceGroupInfo, Symmetry};
pub use element::{Element, Species};
pub use error::{Error, Result};
pub use lattice::Lattice;
pub use scattering::{
    Anomalous, AtomicFactor, FormFactorTable, NeutronLength, Probe, isotope_scattering_length,
    neutron_scattering_length, species_scattering_length,
};
pub use solid_solution::MAX_SITE_MISMATCH;
pub use structure::{Site, Structure};
pub use symmetry::{
    BETA_COMPONENTS, CrystalSystem, SiteConstraints, SpaceGroup, SymOp, WyckoffPosition,
};
pub use synthetic::SyntheticCrystalParams;
pub use training::{TrainingBatch, TrainingPattern, TrainingPatternParams};

pub mod powder;

pub use powder::{
    Geometry, MarchDollase, PeakList, PowderParams, Profile, Reflection, SampleGeometry, Shape,
    Simulator, Width,
};
pub mod artefacts;
pub mod builtin;
pub use artefacts::{Artefacts, Background};
