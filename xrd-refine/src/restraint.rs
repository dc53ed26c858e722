//! Restraints: bond distances and angles of a refined structure held near a target as soft
//! constraints, the way GSAS-II and TOPAS do — each adds ((target − value)/σ)² to χ², so a
//! light atom beside heavy ones keeps a chemically sensible geometry where the data say little.

use serde::{Deserialize, Serialize};

use crate::atoms::{AtomModel, Image, angle, distance};
use crate::constraints::Column;
use crate::model::Model;
use crate::{Error, Result};

/// Relative step of the restraints' numerical gradients.
const STEP: f64 = 1e-6;
/// The image a restraint names is the nearest one within this reach (Å).
const REACH: f64 = 6.0;

/// A soft constraint on a refined structure's geometry: a distance between two sites (the
/// nearest image of the second) or an angle at a centre site (the nearest images of the other
/// two), with a target and its standard uncertainty σ. Its text form parses back:
/// `PHASE:A-B=1.47/0.01` (Å) and `PHASE:A-C-B=109.5/1` (°).
///
/// ```
/// use xrd_refine::Restraint;
/// let r: Restraint = "PbSO4:S-O1=1.47/0.01".parse()?;
/// assert_eq!(r, Restraint::distance("PbSO4", "S", "O1", 1.47, 0.01));
/// assert_eq!(r.to_string(), "PbSO4:S-O1=1.47/0.01");
/// assert!("PbSO4:S-O1=1.47/0".parse::<Restraint>().is_err());
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Restraint {
    /// The phase whose sites it names.
    pub phase: String,
    /// Two sites (a distance) or three (an angle at the middle one), by label.
    pub sites: Vec<String>,
    /// The target: Å for a distance, ° for an angle.
    pub target: f64,
    /// Its standard uncertainty, in the same unit (> 0; smaller holds harder).
    pub sigma: f64,
}

impl Restraint {
    /// The distance between sites `a` and `b` of `phase` held near `target` ± `sigma` Å.
    pub fn distance(phase: &str, a: &str, b: &str, target: f64, sigma: f64) -> Self {
        Self {
            phase: phase.into(),
            sites: vec![a.into(), b.into()],
            target,
            sigma,
        }
    }

    /// The angle a–`centre`–b of `phase` held near `target` ± `sigma` degrees.
    pub fn angle(phase: &str, a: &str, centre: &str, b: &str, target: f64, sigma: f64) -> Self {
        Self {
            phase: phase.into(),
            sites: vec![a.into(), centre.into(), b.into()],
            target,
            sigma,
        }
    }

    /// Validates the restraint on its own (its sites are checked against the phase when a
    /// refinement prepares it).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`restraints`) for other than two or three sites, a target
    /// that is not finite and positive (or an angle above 180°), a σ that is not finite and
    /// positive.
    pub fn check(&self) -> Result<()> {
        let bad = |why: &str| {
            Err(crate::error::invalid(
                "restraints",
                format!("`{self}`: {why}"),
            ))
        };
        if !(2..=3).contains(&self.sites.len()) {
            return bad("name two sites (a distance) or three (an angle)");
        }
        if !(self.target.is_finite() && self.target > 0.0) {
            return bad("the target must be finite and > 0");
        }
        if self.sites.len() == 3 && self.target > 180.0 {
            return bad("an angle's target must be at most 180°");
        }
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return bad("σ must be finite and > 0");
        }
        Ok(())
    }
}

impl std::fmt::Display for Restraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}={}/{}",
            self.phase,
            self.sites.join("-"),
            self.target,
            self.sigma
        )
    }
}

impl std::str::FromStr for Restraint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            crate::error::invalid(
                "restraints",
                format!("`{s}`: write PHASE:A-B=TARGET/SIGMA or PHASE:A-C-B=TARGET/SIGMA"),
            )
        };
        let (phase, rest) = s.rsplit_once(':').ok_or_else(bad)?;
        let (sites, numbers) = rest.split_once('=').ok_or_else(bad)?;
        let (target, sigma) = numbers.split_once('/').ok_or_else(bad)?;
        let r = Restraint {
            phase: phase.trim().to_string(),
            sites: sites.split('-').map(|t| t.trim().to_string()).collect(),
            target: target.trim().parse().map_err(|_| bad())?,
            sigma: sigma.trim().parse().map_err(|_| bad())?,
        };
        if r.phase.is_empty() || r.sites.iter().any(String::is_empty) {
            return Err(bad());
        }
        r.check()?;
        Ok(r)
    }
}

/// A restraint resolved against a model: its phase, its sites' images (chosen at the start).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub restraint: Restraint,
    phase: usize,
    /// A distance: the first site and the image of the second; an angle: the images of the
    /// two ends and the centre site.
    images: Vec<Image>,
}

/// A restraint at the end of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestraintResult {
    /// The restraint.
    pub restraint: String,
    /// Its value in the refined structure (Å or °).
    pub value: f64,
    /// (value − target) / σ.
    pub deviation: f64,
}

impl Prepared {
    /// `restraints` resolved against `model` at its `values`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`restraints`) for a phase the model lacks or whose
    /// structure is not refined, a site the phase lacks, or no image within 6 Å.
    pub fn all(model: &Model, values: &[f64], restraints: &[Restraint]) -> Result<Vec<Self>> {
        restraints
            .iter()
            .map(|r| {
                r.check()?;
                let bad =
                    |why: String| crate::error::invalid("restraints", format!("`{r}`: {why}"));
                let p = model
                    .phases
                    .iter()
                    .position(|ph| ph.name == r.phase)
                    .ok_or_else(|| bad(format!("no phase `{}` in this refinement", r.phase)))?;
                let atoms = model.phases[p].atoms.as_ref().ok_or_else(|| {
                    bad(format!(
                        "the structure of `{}` is not refined (add the atoms stage)",
                        r.phase
                    ))
                })?;
                let index = |label: &String| {
                    atoms
                        .sites
                        .iter()
                        .position(|s| &s.label == label)
                        .ok_or_else(|| bad(format!("`{}` has no site `{label}`", r.phase)))
                };
                let sites: Vec<usize> = r.sites.iter().map(index).collect::<Result<_>>()?;
                let pi = &model.layout.phases[p];
                let lattice = model.phases[p].cell.lattice(&values[pi.cell.clone()])?;
                let positions = atoms.positions(&values[pi.sites.clone()]);
                let nearest = |from: usize, to: usize| {
                    atoms
                        .neighbours(&positions, &lattice, from, to, REACH)
                        .first()
                        .map(|(im, _)| *im)
                        .ok_or_else(|| bad(format!("no image of site {to} within {REACH} Å")))
                };
                // The site itself: the identity's image.
                let identity = atoms
                    .ops
                    .iter()
                    .position(|op| *op == xrd_sim::SymOp::IDENTITY)
                    .ok_or_else(|| bad("the phase's operations lack the identity".into()))?;
                let itself = |site: usize| Image {
                    site,
                    op: identity,
                    shift: [0.0; 3],
                };
                let images = match sites[..] {
                    [a, b] => vec![itself(a), nearest(a, b)?],
                    [a, c, b] => vec![nearest(c, a)?, itself(c), nearest(c, b)?],
                    _ => return Err(bad("two or three sites".into())),
                };
                Ok(Prepared {
                    restraint: r.clone(),
                    phase: p,
                    images,
                })
            })
            .collect()
    }

    /// The restrained quantity at `values`, or none where the cell is not one.
    fn value(&self, model: &Model, values: &[f64]) -> Option<f64> {
        let p = self.phase;
        let pi = &model.layout.phases[p];
        let atoms: &AtomModel = model.phases[p].atoms.as_ref()?;
        let lattice = model.phases[p]
            .cell
            .lattice(&values[pi.cell.clone()])
            .ok()?;
        let positions = atoms.positions(&values[pi.sites.clone()]);
        let x: Vec<[f64; 3]> = self
            .images
            .iter()
            .map(|im| atoms.image(&positions, *im))
            .collect();
        Some(match x[..] {
            [a, b] => distance(&lattice, a, b),
            [a, c, b] => angle(&lattice, a, c, b),
            _ => return None,
        })
    }

    /// The weighted residual (target − value)/σ at `values`.
    pub fn residual(&self, model: &Model, values: &[f64]) -> f64 {
        match self.value(model, values) {
            Some(v) => (self.restraint.target - v) / self.restraint.sigma,
            None => f64::INFINITY,
        }
    }

    /// The residual and its row of the Jacobian (J = −∂r/∂x) over `cols`, added into `row`.
    pub fn row(&self, model: &Model, values: &[f64], cols: &[Column], row: &mut [f64]) -> f64 {
        let pi = &model.layout.phases[self.phase];
        for i in pi.sites.clone().chain(pi.cell.clone()) {
            let Some((c, m)) = cols[i] else {
                continue;
            };
            let h = values[i].abs().max(1e-3) * STEP;
            let (mut up, mut down) = (values.to_vec(), values.to_vec());
            up[i] += h;
            down[i] -= h;
            if let (Some(a), Some(b)) = (self.value(model, &up), self.value(model, &down)) {
                row[c] += m * (a - b) / (2.0 * h) / self.restraint.sigma;
            }
        }
        self.residual(model, values)
    }

    /// How the restraint ends at `values`.
    pub fn result(&self, model: &Model, values: &[f64]) -> RestraintResult {
        let value = self.value(model, values).unwrap_or(f64::NAN);
        RestraintResult {
            restraint: self.restraint.to_string(),
            value,
            deviation: (value - self.restraint.target) / self.restraint.sigma,
        }
    }
}
