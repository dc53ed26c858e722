//! Space-group symmetry from the `moyo` crate (the Rust successor of spglib): the seven crystal
//! systems, the operations and Wyckoff positions of all 230 space groups (every setting moyo
//! knows, 530 Hall numbers), look-up by number, Hermann–Mauguin or Hall symbol. Detection of
//! a structure's space group is [`Structure::space_group`](crate::Structure::space_group).

mod crystal_system;
mod site;
mod space_group;
mod symop;

pub use crystal_system::CrystalSystem;
pub use site::{BETA_COMPONENTS, SiteConstraints};
pub use space_group::{SpaceGroup, WyckoffPosition};
pub use symop::SymOp;
