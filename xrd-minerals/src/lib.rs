#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod entry;
mod error;
mod library;
mod phases;
mod profile;
mod references;
mod search;

#[cfg(feature = "amcsd")]
#[cfg_attr(docsrs, doc(cfg(feature = "amcsd")))]
pub mod amcsd;

pub use entry::{Entry, EntrySite, Publication};
pub use error::{Error, Result};
pub use library::{FORMAT_NAME, FORMAT_VERSION, Library, LibraryInfo, Rejected};
pub use phases::{Identification, Phase, PhaseParams};
pub use references::{ReferenceParams, ReferenceSet, Stick};
pub use search::{Candidate, Matcher, SearchParams};
