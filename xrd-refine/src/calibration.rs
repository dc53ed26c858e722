//! PONKCS calibrations (Scarlett & Madsen 2006): a phase without a usable structure described by
//! its peaks and cell, with an effective Z·M calibrated once on a mixture of known weight
//! fractions, saved as a small JSON file and reused to quantify the phase elsewhere.

use std::path::Path;

use serde::{Deserialize, Serialize};
use xrd_sim::{CrystalSystem, Lattice, SymOp};

use crate::error::{Error, Result, invalid};

/// The `format` tag of a calibration file.
pub const CALIBRATION_FORMAT: &str = "xrd-refine ponkcs 1";

/// One reflection of a calibrated phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibratedPeak {
    /// Miller indices.
    pub hkl: [i32; 3],
    /// Intensity on the refinement's scale (the |F|² a structure would give).
    pub intensity: f64,
}

/// One symmetry operator, r′ = R r + t.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Operator {
    /// R, row by row.
    pub rotation: [[f64; 3]; 3],
    /// t.
    pub translation: [f64; 3],
}

/// A PONKCS phase: what [`crate::Phase::calibrated`] needs to quantify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// [`CALIBRATION_FORMAT`].
    pub format: String,
    /// The phase's name.
    pub name: String,
    /// Space-group number.
    pub space_group: u8,
    /// a, b, c (Å), α, β, γ (°) as refined on the calibration mixture.
    pub cell: [f64; 6],
    /// The symmetry operators of the cell's setting.
    pub operators: Vec<Operator>,
    /// Every reflection's intensity, extracted on the calibration mixture.
    pub peaks: Vec<CalibratedPeak>,
    /// The effective Z·M (g/mol): with it, S·ZM·V gives the phase's weight like a structure's.
    pub zm: f64,
    /// The weight fraction the phase was weighed in at.
    pub weight_fraction: f64,
    /// The pattern it was calibrated on.
    pub calibrated_on: String,
}

impl Calibration {
    /// Checks the cell, symmetry, peaks and Z·M.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming what is invalid.
    pub fn check(&self) -> Result<()> {
        if self.format != CALIBRATION_FORMAT {
            return Err(invalid(
                "calibration",
                format!("format `{}`, expected `{CALIBRATION_FORMAT}`", self.format),
            ));
        }
        CrystalSystem::from_space_group(self.space_group)?;
        let [a, b, c, al, be, ga] = self.cell;
        Lattice::from_parameters(a, b, c, al, be, ga)?;
        if self.operators.is_empty() {
            return Err(invalid("calibration", "no symmetry operators"));
        }
        if self.peaks.is_empty()
            || self
                .peaks
                .iter()
                .any(|p| !(p.intensity.is_finite() && p.intensity >= 0.0))
        {
            return Err(invalid(
                "calibration",
                "need peaks of finite, non-negative intensity",
            ));
        }
        if !(self.zm.is_finite() && self.zm > 0.0) {
            return Err(invalid(
                "calibration",
                format!("Z·M {} must be finite and > 0", self.zm),
            ));
        }
        Ok(())
    }

    /// The symmetry operators.
    pub fn operators(&self) -> Vec<SymOp> {
        self.operators
            .iter()
            .map(|o| SymOp {
                rotation: o.rotation,
                translation: o.translation,
            })
            .collect()
    }

    /// Writes the calibration as JSON (atomically).
    ///
    /// # Errors
    /// [`Error::Calibration`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let err = |message: String| Error::Calibration {
            path: path.to_path_buf(),
            message,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        xrd_io::write_atomic(path, text.as_bytes()).map_err(|e| err(e.to_string()))
    }

    /// Reads a calibration written by [`Calibration::save`].
    ///
    /// # Errors
    /// [`Error::Calibration`] for an unreadable file, another format or invalid values.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let err = |message: String| Error::Calibration {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let cal: Self = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        cal.check().map_err(|e| err(e.to_string()))?;
        Ok(cal)
    }
}

impl From<&SymOp> for Operator {
    fn from(op: &SymOp) -> Self {
        Self {
            rotation: op.rotation,
            translation: op.translation,
        }
    }
}
