//! Baselines without a feature space: the nearest known composition's mean pattern, and the
//! linear blend of the mean patterns of the bracketing known compositions.

use ndarray::Array1;
use xrd_io::{Dataset, Float, Grid};

use crate::composition::{KnownCompositions, check_composition};
use crate::{Error, PatternModel, Result};

/// Slack, in barycentric units, for a composition to count as lying on a segment or in a
/// triangle of known compositions.
pub const BRACKET_TOLERANCE: f64 = 1e-9;

/// Baseline (a): the mean pattern of the nearest known composition (Euclidean distance in
/// composition units; ties go to the composition seen first in the training data).
#[derive(Debug, Clone, PartialEq)]
pub struct NearestMean<F> {
    known: KnownCompositions<F>,
    grid: Grid,
}

impl<F: Float> NearestMean<F> {
    /// Groups the training data by composition (its label rows).
    ///
    /// # Errors
    /// As [`KnownCompositions::of`].
    pub fn fit(data: &Dataset<F>) -> Result<Self> {
        Ok(NearestMean {
            known: KnownCompositions::of(data)?,
            grid: data.grid,
        })
    }

    /// The known compositions and their mean patterns.
    pub fn known(&self) -> &KnownCompositions<F> {
        &self.known
    }

    /// Index of the nearest known composition.
    ///
    /// # Errors
    /// [`Error::InvalidComposition`].
    pub fn nearest(&self, composition: &[f64]) -> Result<usize> {
        check_composition(composition, self.known.components())?;
        let mut best = (f64::INFINITY, 0);
        for (k, row) in self.known.compositions.rows().into_iter().enumerate() {
            let d: f64 = row
                .iter()
                .zip(composition)
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            if d < best.0 {
                best = (d, k);
            }
        }
        Ok(best.1)
    }
}

impl<F: Float> PatternModel<F> for NearestMean<F> {
    fn name(&self) -> &'static str {
        "nearest"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn components(&self) -> usize {
        self.known.components()
    }

    fn predict(&self, composition: &[f64]) -> Result<Array1<F>> {
        let k = self.nearest(composition)?;
        Ok(self.known.means.row(k).to_owned())
    }
}

/// How a [`LinearBlend`] brackets a composition: indices of known compositions and weights
/// (non-negative, summing to one).
#[derive(Debug, Clone, PartialEq)]
pub struct Bracket {
    /// Indices into [`KnownCompositions`].
    pub members: Vec<usize>,
    /// Weight of each member.
    pub weights: Vec<f64>,
}

/// Baseline (b): the linear blend of the mean patterns of the known compositions bracketing
/// the request. A known composition is returned as its mean; otherwise the shortest segment
/// between two known compositions that contains the request is used (the composition grids of
/// alloy series are lines, e.g. x = 0 … 2 at y = 0), and failing that the smallest-perimeter
/// triangle of known compositions that contains it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearBlend<F> {
    known: KnownCompositions<F>,
    grid: Grid,
}

impl<F: Float> LinearBlend<F> {
    /// Groups the training data by composition (its label rows).
    ///
    /// # Errors
    /// As [`KnownCompositions::of`].
    pub fn fit(data: &Dataset<F>) -> Result<Self> {
        Ok(LinearBlend {
            known: KnownCompositions::of(data)?,
            grid: data.grid,
        })
    }

    /// The known compositions and their mean patterns.
    pub fn known(&self) -> &KnownCompositions<F> {
        &self.known
    }

    /// The known compositions and weights that bracket `composition`.
    ///
    /// # Errors
    /// [`Error::InvalidComposition`]; [`Error::NotBracketed`] when no segment or triangle of
    /// known compositions contains it.
    pub fn bracket(&self, composition: &[f64]) -> Result<Bracket> {
        check_composition(composition, self.known.components())?;
        if let Some(k) = self.known.find(composition) {
            return Ok(Bracket {
                members: vec![k],
                weights: vec![1.0],
            });
        }
        let c: Vec<Vec<f64>> = self
            .known
            .compositions
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect();
        let n = c.len();
        let tol = BRACKET_TOLERANCE;
        let mut best: Option<(f64, Bracket)> = None;
        for i in 0..n {
            for j in i + 1..n {
                let Some(t) = on_segment(composition, &c[i], &c[j], tol) else {
                    continue;
                };
                let len = dist(&c[i], &c[j]);
                if best.as_ref().is_none_or(|(l, _)| len < *l) {
                    best = Some((
                        len,
                        Bracket {
                            members: vec![i, j],
                            weights: vec![1.0 - t, t],
                        },
                    ));
                }
            }
        }
        if best.is_none() {
            for i in 0..n {
                for j in i + 1..n {
                    for k in j + 1..n {
                        let Some((s, t)) = in_triangle(composition, &c[i], &c[j], &c[k], tol)
                        else {
                            continue;
                        };
                        let per = dist(&c[i], &c[j]) + dist(&c[j], &c[k]) + dist(&c[i], &c[k]);
                        if best.as_ref().is_none_or(|(l, _)| per < *l) {
                            best = Some((
                                per,
                                Bracket {
                                    members: vec![i, j, k],
                                    weights: vec![1.0 - s - t, s, t],
                                },
                            ));
                        }
                    }
                }
            }
        }
        best.map(|(_, b)| b).ok_or_else(|| Error::NotBracketed {
            composition: composition.to_vec(),
        })
    }
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `t` with `p = a + t (b − a)`, `t ∈ [0, 1]`, when `p` lies on the segment.
fn on_segment(p: &[f64], a: &[f64], b: &[f64], tol: f64) -> Option<f64> {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let dd: f64 = d.iter().map(|v| v * v).sum();
    if dd <= 0.0 {
        return None;
    }
    let t = p
        .iter()
        .zip(a)
        .zip(&d)
        .map(|((p, a), d)| (p - a) * d)
        .sum::<f64>()
        / dd;
    if !(-tol..=1.0 + tol).contains(&t) {
        return None;
    }
    let off: f64 = p
        .iter()
        .zip(a)
        .zip(&d)
        .map(|((p, a), d)| (a + t * d - p).powi(2))
        .sum::<f64>()
        .sqrt();
    (off <= tol * dd.sqrt().max(1.0)).then_some(t.clamp(0.0, 1.0))
}

/// Barycentric `(s, t)` of `p = a + s (b − a) + t (c − a)` when `p` lies in the triangle.
fn in_triangle(p: &[f64], a: &[f64], b: &[f64], c: &[f64], tol: f64) -> Option<(f64, f64)> {
    let u: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let v: Vec<f64> = a.iter().zip(c).map(|(x, y)| y - x).collect();
    let r: Vec<f64> = a.iter().zip(p).map(|(x, y)| y - x).collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let (uu, uv, vv, ur, vr) = (
        dot(&u, &u),
        dot(&u, &v),
        dot(&v, &v),
        dot(&u, &r),
        dot(&v, &r),
    );
    let det = uu * vv - uv * uv;
    if det <= 1e-12 * uu * vv || det <= 0.0 {
        return None;
    }
    let s = (ur * vv - vr * uv) / det;
    let t = (uu * vr - uv * ur) / det;
    if s < -tol || t < -tol || s + t > 1.0 + tol {
        return None;
    }
    let off: f64 = (0..p.len())
        .map(|i| (s * u[i] + t * v[i] - r[i]).powi(2))
        .sum::<f64>()
        .sqrt();
    let scale = uu.max(vv).sqrt().max(1.0);
    (off <= tol * scale).then_some((s, t))
}

impl<F: Float> PatternModel<F> for LinearBlend<F> {
    fn name(&self) -> &'static str {
        "blend"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn components(&self) -> usize {
        self.known.components()
    }

    fn predict(&self, composition: &[f64]) -> Result<Array1<F>> {
        let b = self.bracket(composition)?;
        let mut out = Array1::zeros(self.grid.len());
        for (&k, &w) in b.members.iter().zip(&b.weights) {
            out.scaled_add(F::of(w), &self.known.means.row(k));
        }
        Ok(out)
    }
}
