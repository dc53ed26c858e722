//! The seven crystal systems.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A crystal system, in International Tables order (the order of [`CrystalSystem::index`]).
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
    pub const ALL: [Self; 7] = [
        Self::Triclinic,
        Self::Monoclinic,
        Self::Orthorhombic,
        Self::Tetragonal,
        Self::Trigonal,
        Self::Hexagonal,
        Self::Cubic,
    ];

    /// The crystal system of space group `number` (1–230).
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`] outside 1–230.
    pub fn from_space_group(number: u8) -> Result<Self> {
        if !super::SpaceGroup::is_number(number) {
            return Err(Error::UnknownSpaceGroup(number.to_string()));
        }
        Ok(match number {
            1..=2 => Self::Triclinic,
            3..=15 => Self::Monoclinic,
            16..=74 => Self::Orthorhombic,
            75..=142 => Self::Tetragonal,
            143..=167 => Self::Trigonal,
            168..=194 => Self::Hexagonal,
            _ => Self::Cubic,
        })
    }

    /// Position in [`CrystalSystem::ALL`]: 0 (triclinic) … 6 (cubic).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The system at `index` (0–6), the inverse of [`CrystalSystem::index`].
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// Lower-case name, e.g. `"orthorhombic"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Triclinic => "triclinic",
            Self::Monoclinic => "monoclinic",
            Self::Orthorhombic => "orthorhombic",
            Self::Tetragonal => "tetragonal",
            Self::Trigonal => "trigonal",
            Self::Hexagonal => "hexagonal",
            Self::Cubic => "cubic",
        }
    }

    /// The space-group numbers of this system.
    pub fn space_groups(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Self::Triclinic => 1..=2,
            Self::Monoclinic => 3..=15,
            Self::Orthorhombic => 16..=74,
            Self::Tetragonal => 75..=142,
            Self::Trigonal => 143..=167,
            Self::Hexagonal => 168..=194,
            Self::Cubic => 195..=230,
        }
    }
}

impl std::fmt::Display for CrystalSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_indices_agree() {
        for (i, cs) in CrystalSystem::ALL.iter().enumerate() {
            assert_eq!(cs.index(), i);
            assert_eq!(CrystalSystem::from_index(i), Some(*cs));
            for n in cs.space_groups() {
                assert_eq!(CrystalSystem::from_space_group(n).unwrap(), *cs);
            }
        }
        let total: usize = CrystalSystem::ALL
            .iter()
            .map(|c| c.space_groups().count())
            .sum();
        assert_eq!(total, 230);
        for bad in [0, 231] {
            assert!(matches!(
                CrystalSystem::from_space_group(bad),
                Err(Error::UnknownSpaceGroup(n)) if n == bad.to_string()
            ));
        }
        assert_eq!(CrystalSystem::from_index(7), None);
        assert_eq!(CrystalSystem::Cubic.name(), "cubic");
        assert_eq!(
            serde_json::to_string(&CrystalSystem::Trigonal).unwrap(),
            "\"trigonal\""
        );
        let back: CrystalSystem = serde_json::from_str("\"monoclinic\"").unwrap();
        assert_eq!(back, CrystalSystem::Monoclinic);
    }
}
