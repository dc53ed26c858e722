//! Space-group symmetry from the `moyo` crate (the Rust successor of spglib): the seven crystal
//! systems, the operations and Wyckoff positions of all 230 space groups (every setting moyo
//! knows, 530 Hall numbers), look-up by number, Hermann–Mauguin or Hall symbol, and symmetry
//! detection of a [`Structure`].

mod crystal_system;
mod detect;
mod space_group;
mod symop;

pub use crystal_system::CrystalSystem;
pub use detect::SpaceGroupInfo;
pub(crate) use space_group::nearest_integer;
pub use space_group::{SpaceGroup, WyckoffPosition};
pub use symop::SymOp;

#[allow(unused_imports)]
use crate::structure::Structure;
