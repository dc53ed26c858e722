//! Linear resampling of a pattern onto a uniform [`Grid`].

use serde::{Deserialize, Serialize};

use crate::{Error, Float, Grid, Pattern, Result};

/// What resampling does at grid points outside the measured 2θ range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum OutOfRange {
    /// Intensity 0 (nothing was measured there). The default.
    #[default]
    Zero,
    /// Fail with [`Error::OutsideRange`].
    Error,
    /// Repeat the first / last measured intensity.
    Clamp,
}

/// Grid points closer than this fraction of a step to the measured range count as inside it, so
/// that rounding of `start + i·step` does not turn the last point into an out-of-range one.
const EDGE_TOLERANCE: f64 = 1e-9;

/// Linearly interpolates `(x, y)` (x strictly increasing, as in a [`Pattern`]) at every point of
/// `grid`, writing into `out` (`out.len() == grid.len()`).
///
/// Runs in O(len(x) + len(grid)) with one forward sweep.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `x`, `y` or `out` disagree in length or `x` is empty;
/// [`Error::OutsideRange`] under [`OutOfRange::Error`].
pub fn resample_into<F: Float>(
    x: &[f64],
    y: &[f64],
    grid: &Grid,
    policy: OutOfRange,
    out: &mut [F],
) -> Result<()> {
    if x.len() != y.len() || x.is_empty() {
        return Err(Error::shape(
            "intensities per 2θ position",
            x.len(),
            y.len(),
        ));
    }
    if out.len() != grid.len() {
        return Err(Error::shape(
            "output points per grid point",
            grid.len(),
            out.len(),
        ));
    }
    let (lo, hi) = (x[0], x[x.len() - 1]);
    let tol = EDGE_TOLERANCE * grid.step();
    let inside = |t: f64| t >= lo - tol && t <= hi + tol;
    // Grid points inside the measured range form one run first..last; find it, then handle the
    // two outside stretches by policy and the run with a branch-light sweep.
    let first = out
        .iter()
        .enumerate()
        .position(|(i, _)| grid.x(i) >= lo - tol)
        .unwrap_or(out.len());
    let mut last = first;
    while last < out.len() && inside(grid.x(last)) {
        last += 1;
    }
    let outside = |t: f64| -> Result<f64> {
        match policy {
            OutOfRange::Zero => Ok(0.0),
            OutOfRange::Clamp => Ok(if t < lo { y[0] } else { y[y.len() - 1] }),
            OutOfRange::Error => Err(Error::OutsideRange {
                two_theta: t,
                min: lo,
                max: hi,
            }),
        }
    };
    for i in (0..first).chain(last..out.len()) {
        out[i] = F::of(outside(grid.x(i))?);
    }
    if x.len() == 1 {
        out[first..last].iter_mut().for_each(|o| *o = F::of(y[0]));
        return Ok(());
    }
    let mut j = 0; // x[j] <= t < x[j + 1] for the current grid point t (j + 1 < len)
    let end = x.len() - 2;
    for (i, o) in out.iter_mut().enumerate().take(last).skip(first) {
        let t = grid.x(i);
        while j < end && x[j + 1] <= t {
            j += 1;
        }
        // w leaves [0, 1] only within the edge tolerance: clamp to the end values there.
        let w = ((t - x[j]) / (x[j + 1] - x[j])).clamp(0.0, 1.0);
        *o = F::of(y[j] + w * (y[j + 1] - y[j]));
    }
    Ok(())
}

impl Pattern {
    /// Intensities linearly interpolated at every point of `grid`.
    ///
    /// ```
    /// use xrd_io::{Error, Grid, OutOfRange, Pattern};
    /// let p = Pattern::new(vec![10.0, 20.0], vec![0.0, 100.0])?;
    /// let g = Grid::new(5.0, 5.0, 4)?; // 5, 10, 15, 20
    /// assert_eq!(p.resample(&g, OutOfRange::Zero)?, vec![0.0, 0.0, 50.0, 100.0]);
    /// assert!(matches!(
    ///     p.resample(&g, OutOfRange::Error),
    ///     Err(Error::OutsideRange { two_theta, .. }) if two_theta == 5.0
    /// ));
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::OutsideRange`] under [`OutOfRange::Error`].
    pub fn resample(&self, grid: &Grid, policy: OutOfRange) -> Result<Vec<f64>> {
        let mut out = vec![0.0; grid.len()];
        resample_into(self.two_theta(), self.intensity(), grid, policy, &mut out)?;
        Ok(out)
    }

    /// The pattern resampled onto `grid`, keeping wavelength and metadata (sigma is interpolated
    /// linearly too, a conservative approximation).
    ///
    /// # Errors
    /// As [`Pattern::resample`].
    pub fn resampled(&self, grid: &Grid, policy: OutOfRange) -> Result<Pattern> {
        let y = self.resample(grid, policy)?;
        let sigma = match self.sigma() {
            Some(s) => {
                let mut out = vec![0.0; grid.len()];
                resample_into(self.two_theta(), s, grid, policy, &mut out)?;
                Some(out)
            }
            None => None,
        };
        Ok(Pattern::uniform(grid.start(), grid.step(), y)?
            .with_sigma(sigma)?
            .with_wavelength(self.wavelength())
            .with_meta(self.meta().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interpolation by bisection for every grid point, the obvious reference.
    fn naive(x: &[f64], y: &[f64], t: f64) -> f64 {
        if t <= x[0] {
            return y[0];
        }
        if t >= x[x.len() - 1] {
            return y[y.len() - 1];
        }
        let j = x.partition_point(|&v| v <= t) - 1;
        y[j] + (t - x[j]) / (x[j + 1] - x[j]) * (y[j + 1] - y[j])
    }

    #[test]
    fn sweep_matches_bisection_on_an_irregular_axis() {
        let x: Vec<f64> = (0..200)
            .map(|i| 10.0 + i as f64 * 0.37 + (i as f64 * 1.3).sin() * 0.1)
            .collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 0.7).cos() * 50.0 + 60.0).collect();
        let p = Pattern::new(x.clone(), y.clone()).unwrap();
        let g = Grid::new(5.0, 0.013, 7000).unwrap();
        let clamp = p.resample(&g, OutOfRange::Clamp).unwrap();
        let zero = p.resample(&g, OutOfRange::Zero).unwrap();
        for i in 0..g.len() {
            let t = g.x(i);
            assert!((clamp[i] - naive(&x, &y, t)).abs() < 1e-9);
            let inside = t >= x[0] && t <= x[x.len() - 1];
            assert_eq!(zero[i] == clamp[i], inside || clamp[i] == 0.0);
        }
        let mut f32s = vec![0.0f32; g.len()];
        resample_into(&x, &y, &g, OutOfRange::Clamp, &mut f32s).unwrap();
        assert!((f32s[100] as f64 - clamp[100]).abs() < 1e-3);
    }

    #[test]
    fn out_of_range_policies() {
        let p = Pattern::new(vec![1.0, 2.0, 3.0], vec![5.0, 6.0, 7.0]).unwrap();
        let g = Grid::new(0.0, 1.0, 5).unwrap();
        assert_eq!(
            p.resample(&g, OutOfRange::Zero).unwrap(),
            vec![0.0, 5.0, 6.0, 7.0, 0.0]
        );
        assert_eq!(
            p.resample(&g, OutOfRange::Clamp).unwrap(),
            vec![5.0, 5.0, 6.0, 7.0, 7.0]
        );
        assert!(
            matches!(p.resample(&g, OutOfRange::Error), Err(Error::OutsideRange { two_theta, .. }) if two_theta == 0.0)
        );
        let inside = Grid::new(1.0, 0.5, 5).unwrap();
        assert_eq!(
            p.resample(&inside, OutOfRange::Error).unwrap(),
            vec![5.0, 5.5, 6.0, 6.5, 7.0]
        );
        let mut short = vec![0.0f64; 3];
        assert!(matches!(
            resample_into(
                p.two_theta(),
                p.intensity(),
                &g,
                OutOfRange::Zero,
                &mut short
            ),
            Err(Error::ShapeMismatch(crate::ShapeMismatch {
                what: "output points per grid point",
                ..
            }))
        ));
    }

    #[test]
    fn resampled_pattern_keeps_metadata_and_sigma() {
        let p = Pattern::new(vec![1.0, 3.0], vec![0.0, 4.0])
            .unwrap()
            .with_sigma(Some(vec![1.0, 3.0]))
            .unwrap()
            .with_wavelength(Some(crate::Wavelength::CU_KA1));
        let q = p
            .resampled(&Grid::new(1.0, 1.0, 3).unwrap(), OutOfRange::Error)
            .unwrap();
        assert_eq!(q.intensity(), &[0.0, 2.0, 4.0]);
        assert_eq!(q.sigma(), Some(&[1.0, 2.0, 3.0][..]));
        assert_eq!(q.wavelength(), p.wavelength());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn matches_bisection_on_random_axes(
            gaps in proptest::collection::vec(0.01f64..2.0, 0..40),
            start in -5.0f64..5.0,
            g0 in -10.0f64..10.0,
            step in 0.05f64..1.5,
            n in 1usize..60,
        ) {
            let mut x = vec![start];
            for g in &gaps {
                x.push(x[x.len() - 1] + g);
            }
            let y: Vec<f64> = x.iter().map(|v| (v * 1.7).sin() * 10.0).collect();
            let grid = Grid::new(g0, step, n).unwrap();
            let mut clamp = vec![0.0; n];
            resample_into(&x, &y, &grid, OutOfRange::Clamp, &mut clamp).unwrap();
            let mut zero = vec![0.0; n];
            resample_into(&x, &y, &grid, OutOfRange::Zero, &mut zero).unwrap();
            let mut strict = vec![0.0; n];
            let err = resample_into(&x, &y, &grid, OutOfRange::Error, &mut strict);
            let (lo, hi) = (x[0], x[x.len() - 1]);
            for i in 0..n {
                let t = grid.x(i);
                proptest::prop_assert!((clamp[i] - naive(&x, &y, t)).abs() < 1e-9);
                let inside = t >= lo - 1e-9 * step && t <= hi + 1e-9 * step;
                proptest::prop_assert_eq!(zero[i], if inside { clamp[i] } else { 0.0 });
            }
            let all_inside = (0..n).all(|i| grid.x(i) >= lo - 1e-9 * step && grid.x(i) <= hi + 1e-9 * step);
            proptest::prop_assert!(
                if all_inside { err.is_ok() } else { matches!(err, Err(Error::OutsideRange { .. })) },
                "{err:?}"
            );
        }
    }
}
