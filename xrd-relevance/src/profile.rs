//! `Dev(2θ)` profiles and the generic path that computes them with any encoder.

use std::borrow::Cow;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::{Float, Grid, Location, NonFinite};

use crate::window::{Removed, Window};
use crate::{Encoder, Error, Relevance, Result};

/// The relevance profile of one pattern: `Dev` for every masked window.
///
/// `dev()[k]` is the distance between the latent point of the pattern with window `k` masked and
/// the latent point of the unmasked pattern (`latent()`). Windows whose masking changes nothing
/// (e.g. all-zero regions under the zero mask) have `Dev = 0` exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "F: Float")]
pub struct DevProfile<F> {
    grid: Grid,
    windows: Vec<Window>,
    dev: Vec<F>,
    latent: Vec<F>,
}

impl<F: Float> DevProfile<F> {
    /// Assembles a profile; `dev` has one value per window.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the lengths disagree or a window leaves the grid.
    pub fn new(grid: Grid, windows: Vec<Window>, dev: Vec<F>, latent: Vec<F>) -> Result<Self> {
        if dev.len() != windows.len() {
            return Err(Error::shape(
                "Dev values per window",
                windows.len(),
                dev.len(),
            ));
        }
        if let Some(w) = windows
            .iter()
            .find(|w| w.end > grid.len() || w.end <= w.start)
        {
            return Err(Error::shape(
                "window end within the grid",
                grid.len(),
                w.end,
            ));
        }
        Ok(Self {
            grid,
            windows,
            dev,
            latent,
        })
    }

    /// A profile from parts known to fit together.
    pub(crate) fn from_parts(
        grid: Grid,
        windows: Vec<Window>,
        dev: Vec<F>,
        latent: Vec<F>,
    ) -> Self {
        Self {
            grid,
            windows,
            dev,
            latent,
        }
    }

    /// The grid of the pattern.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The masked windows.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// `Dev` per window.
    pub fn dev(&self) -> &[F] {
        &self.dev
    }

    /// The latent point of the unmasked pattern.
    pub fn latent(&self) -> &[F] {
        &self.latent
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.dev.len()
    }

    /// Whether there are no windows (never for a profile computed by [`Relevance`]).
    pub fn is_empty(&self) -> bool {
        self.dev.is_empty()
    }

    /// 2θ where each window starts (the paper's `Dev(2θ)` masks `[2θ, 2θ + Δ)`).
    pub fn two_theta(&self) -> Vec<f64> {
        self.windows.iter().map(|w| self.grid.x(w.start)).collect()
    }

    /// 2θ at the middle of each window.
    pub fn centers(&self) -> Vec<f64> {
        self.windows
            .iter()
            .map(|w| self.grid.x(w.start) + (w.len() - 1) as f64 * 0.5 * self.grid.step())
            .collect()
    }

    /// The largest `Dev` (zero for an empty profile).
    pub fn max(&self) -> F {
        self.dev.iter().fold(F::zero(), |m, &d| m.max(d))
    }

    /// Relevance per grid point: the mean `Dev` of the windows that mask the point (zero where no
    /// window does, i.e. in the gaps left by a stride larger than the width). With the default
    /// stride (= width) every point carries the `Dev` of its window.
    pub fn per_point(&self) -> Vec<F> {
        let n = self.grid.len();
        let mut sum = vec![F::zero(); n];
        let mut count = vec![0u32; n];
        for (w, &d) in self.windows.iter().zip(&self.dev) {
            for i in w.start..w.end {
                sum[i] += d;
                count[i] += 1;
            }
        }
        sum.iter()
            .zip(&count)
            .map(|(&s, &c)| if c > 1 { s / F::of(f64::from(c)) } else { s })
            .collect()
    }
}

impl Relevance {
    /// The relevance profile of one pattern through any encoder (the generic path).
    ///
    /// Every window that changes the pattern yields one masked copy; copies are encoded
    /// [`batch_size`](crate::RelevanceParams::batch_size) at a time, batches in parallel (rayon).
    /// Windows that change nothing get `Dev = 0` without being encoded.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have one value per grid point or the encoder does
    /// not return one latent point per row, [`Error::NonFinite`] for a NaN/∞ intensity or latent
    /// component, and whatever the encoder reports.
    pub fn profile<F, E>(&self, encoder: &E, x: ArrayView1<'_, F>) -> Result<DevProfile<F>>
    where
        F: Float,
        E: Encoder<F> + Sync + ?Sized,
    {
        let x = self.checked_pattern(x)?;
        let removed = Removed::of(&x, &self.windows, self.width, self.mask);
        let x_row = ArrayView2::from_shape((1, x.len()), &x)
            .map_err(|_| Error::shape("pattern length", self.grid.len(), x.len()))?;
        let latent = checked_latent(encoder.encode_batch(x_row)?, 1, None)?;
        let origin = latent.row(0).to_vec();
        let dim = origin.len();
        let mut dev = vec![F::zero(); self.windows.len()];
        let computed = removed
            .active
            .par_chunks(self.batch_size)
            .map(|ks| {
                let mut batch = Array2::<F>::zeros((ks.len(), x.len()));
                for (mut row, &k) in batch.axis_iter_mut(Axis(0)).zip(ks) {
                    let w = self.windows[k];
                    row.assign(&ArrayView1::from(&x[..]));
                    let masked = row.slice_mut(s![w.start..w.end]);
                    for (v, &r) in masked.into_iter().zip(removed.window(k, w)) {
                        *v -= r;
                    }
                }
                let z = checked_latent(encoder.encode_batch(batch.view())?, ks.len(), Some(dim))?;
                Ok(z.outer_iter()
                    .map(|p| match p.as_slice() {
                        Some(p) => self.distance.between(p, &origin),
                        None => self.distance.between(&p.to_vec(), &origin),
                    })
                    .collect::<Vec<F>>())
            })
            .collect::<Result<Vec<_>>>()?;
        for (&k, d) in removed.active.iter().zip(computed.into_iter().flatten()) {
            dev[k] = d;
        }
        DevProfile::new(self.grid, self.windows.clone(), dev, origin)
    }

    /// The relevance profiles of many patterns (one per row of `xs`), patterns in parallel.
    ///
    /// # Errors
    /// As [`Relevance::profile`], for the first failing pattern.
    pub fn profiles<F, E>(&self, encoder: &E, xs: ArrayView2<'_, F>) -> Result<Vec<DevProfile<F>>>
    where
        F: Float,
        E: Encoder<F> + Sync + ?Sized,
    {
        (0..xs.nrows())
            .into_par_iter()
            .map(|i| self.profile(encoder, xs.row(i)))
            .collect()
    }

    /// `x` as a contiguous slice after checking its length and values.
    pub(crate) fn checked_pattern<'a, F: Float>(
        &self,
        x: ArrayView1<'a, F>,
    ) -> Result<Cow<'a, [F]>> {
        if x.len() != self.grid.len() {
            return Err(Error::shape(
                "pattern length (grid points)",
                self.grid.len(),
                x.len(),
            ));
        }
        if let Some((index, &v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(NonFinite::new("intensity", Location::Point(index), v.as_f64()).into());
        }
        Ok(match x.to_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(x.to_vec()),
        })
    }
}

/// Checks an encoder's output: `rows` rows, `dim` columns when known (at least one), all finite.
pub(crate) fn checked_latent<F: Float>(
    z: Array2<F>,
    rows: usize,
    dim: Option<usize>,
) -> Result<Array2<F>> {
    if z.nrows() != rows {
        return Err(Error::shape(
            "latent points returned by the encoder",
            rows,
            z.nrows(),
        ));
    }
    let expected = dim.unwrap_or(z.ncols().max(1));
    if z.ncols() != expected {
        return Err(Error::shape("latent dimension", expected, z.ncols()));
    }
    if let Some((index, &v)) = z.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let (row, col) = (index / expected, index % expected);
        return Err(NonFinite::cell("latent point", row, col, v.as_f64()).into());
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use super::*;
    use crate::{Distance, Mask, Span};

    /// A linear encoder `P(x) = A·x`: `Dev(w) = |A[:, w]·x[w]|` in closed form.
    fn linear(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((2, n), |(i, j)| {
            ((i * 7 + j * 3) % 5) as f64 - 2.0 + 0.1 * j as f64
        })
    }

    #[test]
    fn linear_encoder_gives_the_closed_form() {
        let grid = Grid::new(10.0, 0.01, 23).unwrap();
        let a = linear(23);
        let x = Array1::from_shape_fn(23, |j| {
            if (5..9).contains(&j) {
                0.0
            } else {
                1.0 + j as f64
            }
        });
        let enc = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.dot(&a.t()));
        for (width, stride) in [(3, 3), (3, 1), (2, 5), (23, 1)] {
            let rel = Relevance::params()
                .width(Span::Points(width))
                .stride(Span::Points(stride))
                .batch_size(2)
                .distance(Distance::Manhattan)
                .build(&grid)
                .unwrap();
            let p = rel.profile(&enc, x.view()).unwrap();
            assert_eq!(p.len(), 23usize.div_ceil(stride));
            for (w, &d) in p.windows().iter().zip(p.dev()) {
                let part = a
                    .slice(s![.., w.start..w.end])
                    .dot(&x.slice(s![w.start..w.end]));
                let expected = part[0].abs() + part[1].abs();
                assert!(
                    (d - expected).abs() <= 1e-12 * (1.0 + expected),
                    "{w:?}: {d} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn zero_windows_are_exactly_zero_and_never_encoded() {
        let grid = Grid::new(10.0, 0.01, 12).unwrap();
        let x = Array1::from_vec(vec![
            0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0,
        ]);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let enc = |b: ArrayView2<'_, f32>| {
            calls.fetch_add(b.nrows(), std::sync::atomic::Ordering::Relaxed);
            Ok::<_, Error>(b.map_axis(Axis(1), |r| r.sum()).insert_axis(Axis(1)))
        };
        let rel = Relevance::params()
            .width(Span::Points(3))
            .build(&grid)
            .unwrap();
        let p = rel.profile(&enc, x.view()).unwrap();
        assert_eq!(p.dev(), [0.0, 0.0, 6.0, 0.0]);
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 1 + 1);
        assert_eq!(p.latent(), [6.0]);
        assert_eq!(p.per_point()[7], 6.0);
        assert_eq!(p.two_theta()[2], grid.x(6));
    }

    #[test]
    fn local_background_mask_ignores_a_constant_offset() {
        let grid = Grid::new(10.0, 0.01, 40).unwrap();
        let a = linear(40);
        let enc = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.dot(&a.t()));
        let peak = Array1::from_shape_fn(40, |j| (-((j as f64 - 20.0) / 2.0).powi(2)).exp());
        let rel = Relevance::params().mask(Mask::LocalBackground {
            margin: Span::Points(10),
        });
        let rel = rel.build(&grid).unwrap();
        let base = rel.profile(&enc, peak.view()).unwrap();
        let lifted = rel.profile(&enc, (&peak + 5.0).view()).unwrap();
        for (a, b) in base.dev().iter().zip(lifted.dev()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert_eq!(lifted.dev()[0], 0.0);
    }

    #[test]
    fn bad_inputs_and_encoders_are_errors() {
        let grid = Grid::new(10.0, 0.01, 6).unwrap();
        let rel = Relevance::params().build(&grid).unwrap();
        let enc = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.to_owned());
        let short = Array1::<f64>::zeros(5);
        assert!(matches!(
            rel.profile(&enc, short.view()),
            Err(Error::ShapeMismatch(_))
        ));
        let mut nan = Array1::<f64>::ones(6);
        nan[4] = f64::NAN;
        assert!(matches!(
            rel.profile(&enc, nan.view()),
            Err(Error::NonFinite(xrd_io::NonFinite {
                at: xrd_io::Location::Point(4),
                ..
            }))
        ));
        let ones = Array1::<f64>::ones(6);
        let drops = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.slice(s![..1, ..]).to_owned());
        assert!(matches!(
            rel.profile(&drops, ones.view()),
            Err(Error::ShapeMismatch(_))
        ));
        let blows_up = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.mapv(|v| 1.0 / (v - 1.0)));
        assert!(matches!(
            rel.profile(&blows_up, ones.view()),
            Err(Error::NonFinite(_))
        ));
        let fails = |_: ArrayView2<'_, f64>| -> Result<Array2<f64>> {
            Err(Error::encoder(std::io::Error::other("model not loaded")))
        };
        assert!(matches!(
            rel.profile(&fails, ones.view()),
            Err(Error::Encoder(_))
        ));
    }

    #[test]
    fn profiles_round_trip_through_json_and_reject_bad_parts() {
        let grid = Grid::new(10.0, 0.01, 6).unwrap();
        let windows = vec![Window { start: 0, end: 3 }, Window { start: 3, end: 6 }];
        let p = DevProfile::new(grid, windows.clone(), vec![0.5f32, 0.0], vec![0.1, 0.2]).unwrap();
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<DevProfile<f32>>(&s).unwrap(), p);
        assert_eq!(p.centers()[1], grid.x(4));
        assert_eq!(p.max(), 0.5);
        // Which sizes disagree, and how.
        let mismatch = |r: Result<DevProfile<f32>>| match r {
            Err(Error::ShapeMismatch(m)) => format!("{}: {} vs {}", m.what, m.expected, m.found),
            other => format!("{other:?}"),
        };
        assert_eq!(
            mismatch(DevProfile::new(grid, windows.clone(), vec![0.5f32], vec![])),
            "Dev values per window: 2 vs 1"
        );
        let outside = vec![Window { start: 4, end: 7 }];
        assert_eq!(
            mismatch(DevProfile::new(grid, outside, vec![0.5f32], vec![])),
            "window end within the grid: 6 vs 7"
        );
    }

    #[test]
    fn many_patterns_match_one_by_one() {
        let grid = Grid::new(10.0, 0.01, 30).unwrap();
        let a = linear(30);
        let enc = |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.dot(&a.t()).mapv(f64::tanh));
        let xs = Array2::from_shape_fn((4, 30), |(i, j)| ((i + 1) * j % 7) as f64);
        let rel = Relevance::params().build(&grid).unwrap();
        let all = rel.profiles(&enc, xs.view()).unwrap();
        for (i, p) in all.iter().enumerate() {
            assert_eq!(p, &rel.profile(&enc, xs.row(i)).unwrap());
        }
    }
}
