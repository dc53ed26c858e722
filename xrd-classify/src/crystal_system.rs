//! The seven crystal systems and the space-group ranges of the International Tables.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A crystal system, in the order of the International Tables (space groups 1–2 triclinic …
/// 195–230 cubic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrystalSystem {
    /// Space groups 1–2.
    Triclinic,
    /// Space groups 3–15.
    Monoclinic,
    /// Space groups 16–74.
    Orthorhombic,
    /// Space groups 75–142.
    Tetragonal,
    /// Space groups 143–167.
    Trigonal,
    /// Space groups 168–194.
    Hexagonal,
    /// Space groups 195–230.
    Cubic,
}

impl CrystalSystem {
    /// All seven, in International Tables order.
    pub const ALL: [CrystalSystem; 7] = [
        CrystalSystem::Triclinic,
        CrystalSystem::Monoclinic,
        CrystalSystem::Orthorhombic,
        CrystalSystem::Tetragonal,
        CrystalSystem::Trigonal,
        CrystalSystem::Hexagonal,
        CrystalSystem::Cubic,
    ];

    /// The crystal system of space group `number` (1–230).
    ///
    /// # Errors
    /// [`Error::SpaceGroup`] outside 1–230.
    pub fn of_space_group(number: u8) -> Result<CrystalSystem> {
        Ok(match number {
            1..=2 => CrystalSystem::Triclinic,
            3..=15 => CrystalSystem::Monoclinic,
            16..=74 => CrystalSystem::Orthorhombic,
            75..=142 => CrystalSystem::Tetragonal,
            143..=167 => CrystalSystem::Trigonal,
            168..=194 => CrystalSystem::Hexagonal,
            195..=230 => CrystalSystem::Cubic,
            _ => return Err(Error::SpaceGroup(number)),
        })
    }

    /// Position in [`CrystalSystem::ALL`] (0 triclinic … 6 cubic).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lower-case English name (`"triclinic"`, …).
    pub fn name(self) -> &'static str {
        match self {
            CrystalSystem::Triclinic => "triclinic",
            CrystalSystem::Monoclinic => "monoclinic",
            CrystalSystem::Orthorhombic => "orthorhombic",
            CrystalSystem::Tetragonal => "tetragonal",
            CrystalSystem::Trigonal => "trigonal",
            CrystalSystem::Hexagonal => "hexagonal",
            CrystalSystem::Cubic => "cubic",
        }
    }
}
