//! A measured pattern prepared for reading: on evenly spaced points when asked, its Kα2 part
//! stripped when asked, its background removed. The one preparation that indexing
//! (xrd-index), search-match (xrd-minerals), classification (xrd-classify) and the feature
//! space's measured inputs (xrd-cli) call, each with its own settings.
//!
//! ```
//! use xrd_io::{Background, Pattern, Preparation, Wavelength};
//! // A peak on a sloping background, 20–40° in 0.02° steps.
//! let y: Vec<f64> = (0..1001)
//!     .map(|i| 20.0 + 0.02 * i as f64)
//!     .map(|t| 100.0 + 2.0 * t + 500.0 * (-((t - 30.0) / 0.05f64).powi(2)).exp())
//!     .collect();
//! let p = Pattern::uniform(20.0, 0.02, y)?.with_wavelength(Some(Wavelength::CU_KA1));
//! let prepared = p.prepare(&Preparation::default().background(Background::TopHat).background_width(2.0))?;
//! // The background is gone, the peak is left.
//! let top = prepared.signal.iter().copied().fold(0.0, f64::max);
//! assert!(prepared.signal[0] < 1.0 && (top - 500.0).abs() < 25.0);
//! assert!(prepared.peak_sigmas() > xrd_io::MIN_PEAK_SIGMAS);
//! # Ok::<(), xrd_io::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Grid, OutOfRange, Pattern, Result};

/// How the background under the peaks is estimated, over a window of
/// [`Preparation::background_width`] degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Background {
    /// The top-hat background ([`crate::without_top_hat_background`], a window of at least
    /// three points): the morphological opening over the window, smoothed. It follows a broad
    /// hump (amorphous content, a glass or Kapton holder) wider than the window, and a peak
    /// narrower than it stands clear.
    #[default]
    TopHat,
    /// SNIP with the LLS transform ([`crate::snip`], [`Pattern::background`]): a lower envelope
    /// that does not follow a hump's concave top, which then reads as peaks.
    Snip,
    /// The rolling minimum over the window ([`crate::without_rolling_background`], at least one
    /// point): the cheapest, for peak positions.
    RollingMinimum,
    /// None: the intensities as they are (clipped at zero).
    None,
}

/// How a measured pattern is prepared ([`Pattern::prepare`]): a builder with the defaults on
/// its setters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Preparation {
    background: Background,
    background_width: f64,
    strip_kalpha2: bool,
    evenly_spaced: bool,
}

impl Default for Preparation {
    fn default() -> Self {
        Self {
            background: Background::TopHat,
            background_width: 5.0,
            strip_kalpha2: false,
            evenly_spaced: false,
        }
    }
}

crate::param_guard!(Error => Preparation);

impl Preparation {
    crate::setters! {
        /// How the background is estimated (default [`Background::TopHat`]).
        background, get_background: Background;

        /// Width of the background window in degrees 2θ, wider than a peak (default 5).
        background_width, get_background_width: f64;

        /// Whether the Kα2 part is stripped first (Rachinger, [`Pattern::strip_kalpha2`]; needs
        /// a doublet wavelength; default false).
        strip_kalpha2, get_strip_kalpha2: bool;

        /// Whether the pattern is put on evenly spaced points first: its own when they are,
        /// else linearly interpolated at its mean spacing (default false; windows counted in
        /// points, smoothing and indexing need even steps).
        evenly_spaced, get_evenly_spaced: bool;
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `background_width` unless it is finite and positive.
    pub fn check(&self) -> Result<()> {
        if !(self.background_width.is_finite() && self.background_width > 0.0) {
            return Err(Error::param(
                "background_width",
                crate::error::reason(self.background_width, "a finite width > 0 degrees"),
            ));
        }
        Ok(())
    }
}

/// A measured pattern prepared by [`Pattern::prepare`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Prepared {
    /// 2θ of the points (degrees): the pattern's own, or evenly spaced.
    pub two_theta: Vec<f64>,
    /// The intensities at those points, Kα2 stripped when asked, background included.
    pub intensity: Vec<f64>,
    /// The intensities without the background, clipped at zero.
    pub signal: Vec<f64>,
    /// The background subtracted (0 without one): `signal` is `intensity − background`
    /// clipped at zero, and `intensity − background` unclipped is the noise about it.
    pub background: Vec<f64>,
    /// The step of the points when they are evenly spaced ([`Pattern::step`]).
    pub step: Option<f64>,
}

impl Prepared {
    /// How many noise σ the strongest point of the signal stands ([`crate::peak_sigmas`]); a
    /// pattern below [`crate::MIN_PEAK_SIGMAS`] holds no peak worth reading.
    pub fn peak_sigmas(&self) -> f64 {
        crate::peak_sigmas(&self.signal)
    }
}

impl Pattern {
    /// This pattern prepared for reading as `preparation` says: evenly spaced, Kα2 stripped,
    /// background removed, in that order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid settings or, when evenly spaced points are
    /// asked, a pattern of fewer than two points; [`Error::Degenerate`] for Kα2 stripping of a
    /// pattern without a doublet wavelength; as [`crate::snip`].
    pub fn prepare(&self, preparation: &Preparation) -> Result<Prepared> {
        preparation.check()?;
        let spaced;
        let mut pattern = self;
        if preparation.evenly_spaced {
            spaced = self.evenly_spaced()?;
            pattern = spaced.as_ref().unwrap_or(self);
        }
        let stripped;
        if preparation.strip_kalpha2 {
            stripped = pattern.strip_kalpha2()?;
            pattern = &stripped;
        }
        let width = preparation.background_width;
        let intensity = pattern.intensity();
        let background = match preparation.background {
            Background::TopHat => pattern.top_hat_background(width)?,
            Background::Snip => pattern.background(width)?,
            Background::RollingMinimum => {
                let step = pattern.step_for(width)?;
                let window = (width / step).round().max(1.0) as usize;
                crate::rolling_background(intensity, window)
            }
            Background::None => vec![0.0; intensity.len()],
        };
        Ok(Prepared {
            two_theta: pattern.two_theta().to_vec(),
            intensity: intensity.to_vec(),
            signal: crate::background::clipped_difference(intensity, &background),
            background,
            step: pattern.step(),
        })
    }

    /// This pattern on evenly spaced points: `None` when its own are (use it as it is), else
    /// linearly interpolated at its mean spacing over its range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `pattern` for fewer than two points.
    pub fn evenly_spaced(&self) -> Result<Option<Pattern>> {
        let n = self.len();
        let (first, last) = self.range();
        if n < 2 || last <= first {
            return Err(Error::param(
                "pattern",
                format!("{n} points over {first}–{last}°: too few to space evenly"),
            ));
        }
        if self.step().is_some() {
            return Ok(None);
        }
        let step = (last - first) / (n - 1) as f64;
        let grid = Grid::new(first, step, n)?;
        let y = self.resample(&grid, OutOfRange::Clamp)?;
        Ok(Some(
            Pattern::uniform(first, step, y)?
                .with_wavelength(self.wavelength())
                .with_meta(self.meta().clone()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wavelength;
    use crate::error::refused;

    fn peak_on_slope(two_theta: &[f64]) -> Pattern {
        let y = two_theta
            .iter()
            .map(|t| 50.0 + t + 400.0 * (-((t - 30.0) / 0.06f64).powi(2)).exp())
            .collect();
        Pattern::new(two_theta.to_vec(), y)
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA))
    }

    #[test]
    fn each_background_is_the_function_it_names() {
        let x: Vec<f64> = (0..801).map(|i| 22.0 + 0.02 * f64::from(i)).collect();
        let p = peak_on_slope(&x);
        let prep = |b| p.prepare(&Preparation::default().background(b).background_width(2.0));
        let top_hat = prep(Background::TopHat).unwrap();
        assert_eq!(top_hat.signal, p.without_top_hat_background(2.0).unwrap());
        let snip = prep(Background::Snip).unwrap();
        let bg = p.background(2.0).unwrap();
        for ((s, y), b) in snip.signal.iter().zip(p.intensity()).zip(&bg) {
            assert_eq!(*s, (y - b).max(0.0));
        }
        let rolling = prep(Background::RollingMinimum).unwrap();
        assert_eq!(
            rolling.signal,
            crate::without_rolling_background(p.intensity(), 100)
        );
        let none = prep(Background::None).unwrap();
        assert_eq!(none.signal, p.intensity());
        for prepared in [&top_hat, &snip, &rolling] {
            let top = prepared.signal.iter().copied().fold(0.0, f64::max);
            assert!((top - 400.0).abs() < 30.0, "{top}");
            assert_eq!(prepared.intensity, p.intensity());
            assert_eq!(prepared.step, p.step());
        }
        assert!(none.peak_sigmas() > top_hat.peak_sigmas() * 0.0);
    }

    #[test]
    fn uneven_points_are_spaced_and_kalpha2_stripped_in_order() {
        // Points bunched towards the end: not evenly spaced.
        let x: Vec<f64> = (0..600)
            .map(|i| 25.0 + 10.0 * (f64::from(i) / 599.0).sqrt())
            .collect();
        let p = peak_on_slope(&x);
        assert!(p.step().is_none());
        let even = p.evenly_spaced().unwrap().unwrap();
        assert!(even.step().is_some());
        assert_eq!((even.len(), even.range()), (600, p.range()));
        assert_eq!(even.wavelength(), p.wavelength());
        let prepared = p
            .prepare(
                &Preparation::default()
                    .evenly_spaced(true)
                    .strip_kalpha2(true)
                    .background(Background::None),
            )
            .unwrap();
        assert_eq!(
            prepared.intensity,
            even.strip_kalpha2().unwrap().intensity()
        );
        assert_eq!(prepared.two_theta, even.two_theta());
        // Already even: the pattern itself.
        let y: Vec<f64> = (0..601).map(|i| 25.0 + 0.01 * f64::from(i)).collect();
        assert!(peak_on_slope(&y).evenly_spaced().unwrap().is_none());
    }

    #[test]
    fn invalid_settings_and_patterns_are_refused() {
        let x: Vec<f64> = (0..101).map(|i| 25.0 + 0.02 * f64::from(i)).collect();
        let p = peak_on_slope(&x);
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                refused(p.prepare(&Preparation::default().background_width(w))),
                "background_width"
            );
        }
        let one = Pattern::new(vec![30.0], vec![1.0]).unwrap();
        assert_eq!(
            refused(one.prepare(&Preparation::default().evenly_spaced(true))),
            "pattern"
        );
        let no_doublet = p.clone().with_wavelength(None);
        assert!(matches!(
            no_doublet.prepare(&Preparation::default().strip_kalpha2(true)),
            Err(Error::Degenerate { .. })
        ));
    }
}
