//! The powder pattern: a strictly increasing 2θ axis, intensities, optional sigma, wavelength and
//! metadata.

use serde::{Deserialize, Serialize};

use crate::error::NO_FILE;
use crate::{Error, Format, Location, Result, Wavelength};

/// A 2θ axis counts as uniform when every position is within this fraction of a step of
/// `start + i·step` (files print 2θ rounded, so exact equality would be too strict).
const UNIFORM_TOLERANCE: f64 = 1e-3;

/// What a file says about a pattern besides its numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The format the pattern was read from.
    pub format: Option<Format>,
    /// The file name the pattern was read from.
    pub source: Option<String>,
    /// Sample name or identifier.
    pub sample: Option<String>,
    /// Free-text comments and header lines.
    pub comments: Vec<String>,
    /// Counting time per step in seconds.
    pub counting_time: Option<f64>,
    /// Other `key = value` items of the file header, in file order.
    pub extra: Vec<(String, String)>,
}

impl Metadata {
    /// The value of the first `extra` item named `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// One powder diffraction pattern in f64.
///
/// Invariants, checked by every constructor: at least one point; 2θ (degrees) finite and strictly
/// increasing; intensities finite; sigma, when present, finite, non-negative and as long as the
/// intensities.
///
/// ```
/// use xrd_io::{Error, Pattern, Wavelength};
/// let p = Pattern::uniform(10.0, 0.02, vec![1.0, 5.0, 2.0])?.with_wavelength(Some(Wavelength::CU_KA));
/// assert_eq!(p.two_theta(), &[10.0, 10.02, 10.04]);
/// assert_eq!(p.step(), Some(0.02));
/// assert!(matches!(
///     Pattern::new(vec![1.0, 1.0], vec![0.0, 0.0]), // not increasing
///     Err(Error::NonMonotonic { .. })
/// ));
/// # Ok::<(), xrd_io::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "UncheckedPattern")]
pub struct Pattern {
    two_theta: Vec<f64>,
    intensity: Vec<f64>,
    sigma: Option<Vec<f64>>,
    wavelength: Option<Wavelength>,
    meta: Metadata,
    /// The step a uniform constructor was given, returned exactly by [`Pattern::step`].
    #[serde(skip)]
    declared_step: Option<f64>,
}

/// Equal data, wavelength and metadata (how the axis was constructed does not matter).
impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.two_theta == other.two_theta
            && self.intensity == other.intensity
            && self.sigma == other.sigma
            && self.wavelength == other.wavelength
            && self.meta == other.meta
    }
}

/// The serde mirror of [`Pattern`], validated on the way in.
#[derive(Deserialize)]
struct UncheckedPattern {
    two_theta: Vec<f64>,
    intensity: Vec<f64>,
    sigma: Option<Vec<f64>>,
    wavelength: Option<Wavelength>,
    #[serde(default)]
    meta: Metadata,
}

impl TryFrom<UncheckedPattern> for Pattern {
    type Error = Error;
    fn try_from(u: UncheckedPattern) -> Result<Pattern> {
        Ok(Pattern::new(u.two_theta, u.intensity)?
            .with_sigma(u.sigma)?
            .with_wavelength(u.wavelength)
            .with_meta(u.meta))
    }
}

impl Pattern {
    /// A pattern from explicit 2θ positions (degrees) and intensities.
    ///
    /// # Errors
    /// [`Error::NoData`] when empty, [`Error::ShapeMismatch`], [`Error::NonFinite`] and
    /// [`Error::NonMonotonic`] (with [`Location::Point`] of the first bad point).
    pub fn new(two_theta: Vec<f64>, intensity: Vec<f64>) -> Result<Pattern> {
        if two_theta.is_empty() {
            return Err(Error::NoData {
                file: NO_FILE.into(),
                expected: "at least one point".into(),
            });
        }
        if two_theta.len() != intensity.len() {
            return Err(Error::shape(
                "intensities per 2θ position",
                two_theta.len(),
                intensity.len(),
            ));
        }
        check_finite("2θ", &two_theta)?;
        check_finite("intensity", &intensity)?;
        for (i, w) in two_theta.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(Error::NonMonotonic {
                    file: NO_FILE.into(),
                    at: Location::Point(i + 1),
                    previous: w[0],
                    value: w[1],
                });
            }
        }
        Ok(Pattern {
            two_theta,
            intensity,
            sigma: None,
            wavelength: None,
            meta: Metadata::default(),
            declared_step: None,
        })
    }

    /// A pattern on the uniform axis `start + i·step` (degrees).
    ///
    /// # Errors
    /// As [`Pattern::new`], and [`Error::InvalidGrid`] for a non-finite or non-positive step.
    pub fn uniform(start: f64, step: f64, intensity: Vec<f64>) -> Result<Pattern> {
        let grid = crate::Grid::new(start, step, intensity.len().max(1))?;
        let two_theta = (0..intensity.len()).map(|i| grid.x(i)).collect();
        let mut p = Pattern::new(two_theta, intensity)?;
        p.declared_step = (p.len() > 1).then_some(step);
        Ok(p)
    }

    /// Attaches per-point standard uncertainties (same length as the intensities).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`]; [`Error::NonFinite`] or [`Error::OutOfDomain`] for NaN, infinite
    /// or negative values.
    pub fn with_sigma(mut self, sigma: Option<Vec<f64>>) -> Result<Pattern> {
        if let Some(s) = &sigma {
            if s.len() != self.intensity.len() {
                return Err(Error::shape(
                    "sigma values per intensity",
                    self.intensity.len(),
                    s.len(),
                ));
            }
            check_finite("sigma", s)?;
            if let Some(i) = s.iter().position(|&v| v < 0.0) {
                return Err(Error::OutOfDomain {
                    what: "sigma",
                    at: Location::Point(i),
                    value: s[i],
                    expected: "a standard uncertainty ≥ 0",
                });
            }
        }
        self.sigma = sigma;
        Ok(self)
    }

    /// Sets the wavelength.
    pub fn with_wavelength(mut self, wavelength: Option<Wavelength>) -> Pattern {
        self.wavelength = wavelength;
        self
    }

    /// Replaces the metadata.
    pub fn with_meta(mut self, meta: Metadata) -> Pattern {
        self.meta = meta;
        self
    }

    /// Replaces the intensities (and drops sigma, which no longer applies).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] or [`Error::NonFinite`].
    pub fn with_intensity(mut self, intensity: Vec<f64>) -> Result<Pattern> {
        if intensity.len() != self.two_theta.len() {
            return Err(Error::shape(
                "intensities per 2θ position",
                self.two_theta.len(),
                intensity.len(),
            ));
        }
        check_finite("intensity", &intensity)?;
        self.intensity = intensity;
        self.sigma = None;
        Ok(self)
    }

    /// 2θ positions in degrees, strictly increasing.
    pub fn two_theta(&self) -> &[f64] {
        &self.two_theta
    }

    /// Intensities (counts, counts per second or arbitrary units, as the file gives them).
    pub fn intensity(&self) -> &[f64] {
        &self.intensity
    }

    /// Per-point standard uncertainties, when the file gives them.
    pub fn sigma(&self) -> Option<&[f64]> {
        self.sigma.as_deref()
    }

    /// The wavelength, when known.
    pub fn wavelength(&self) -> Option<Wavelength> {
        self.wavelength
    }

    /// Metadata.
    pub fn meta(&self) -> &Metadata {
        &self.meta
    }

    /// Metadata, mutable.
    pub fn meta_mut(&mut self) -> &mut Metadata {
        &mut self.meta
    }

    /// Number of points (at least one).
    pub fn len(&self) -> usize {
        self.two_theta.len()
    }

    /// Always `false`: a pattern has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// First and last 2θ.
    pub fn range(&self) -> (f64, f64) {
        (self.two_theta[0], self.two_theta[self.two_theta.len() - 1])
    }

    /// The step when the axis is uniform, otherwise `None` (also for a single point): exactly the
    /// step given to [`Pattern::uniform`], or else `(last − first)/(n − 1)` when every position is
    /// within 0.1 % of a step of `first + i·step`.
    pub fn step(&self) -> Option<f64> {
        let n = self.two_theta.len();
        if n < 2 {
            return None;
        }
        if self.declared_step.is_some() {
            return self.declared_step;
        }
        let (a, b) = self.range();
        let step = (b - a) / (n - 1) as f64;
        let uniform = self
            .two_theta
            .iter()
            .enumerate()
            .all(|(i, &x)| (x - (a + i as f64 * step)).abs() <= UNIFORM_TOLERANCE * step);
        uniform.then_some(step)
    }

    /// The maximum intensity.
    pub fn max_intensity(&self) -> f64 {
        self.intensity
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Splits the pattern into (2θ, intensities, sigma).
    pub fn into_parts(self) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
        (self.two_theta, self.intensity, self.sigma)
    }
}

fn check_finite(what: &'static str, xs: &[f64]) -> Result<()> {
    match xs.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::NonFinite {
            file: NO_FILE.into(),
            at: Location::Point(i),
            what,
            value: xs[i],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors() {
        assert!(matches!(
            Pattern::new(vec![], vec![]),
            Err(Error::NoData { .. })
        ));
        assert!(matches!(
            Pattern::new(vec![1.0, 2.0], vec![1.0]),
            Err(Error::ShapeMismatch(crate::ShapeMismatch { expected, found, .. }))
                if expected == "2" && found == "1"
        ));
        assert!(matches!(
            Pattern::new(vec![1.0, f64::NAN], vec![1.0, 2.0]),
            Err(Error::NonFinite {
                at: Location::Point(1),
                what: "2θ",
                ..
            })
        ));
        assert!(matches!(
            Pattern::new(vec![1.0, 2.0], vec![f64::INFINITY, 2.0]),
            Err(Error::NonFinite {
                at: Location::Point(0),
                what: "intensity",
                ..
            })
        ));
        assert!(matches!(
            Pattern::new(vec![1.0, 3.0, 2.0], vec![0.0; 3]),
            Err(Error::NonMonotonic {
                at: Location::Point(2),
                ..
            })
        ));
        let p = Pattern::new(vec![1.0, 2.0], vec![1.0, 2.0]).unwrap();
        assert!(matches!(
            p.clone().with_sigma(Some(vec![1.0])),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            p.clone().with_sigma(Some(vec![1.0, -1.0])),
            Err(Error::OutOfDomain { .. })
        ));
        assert!(matches!(
            p.with_sigma(Some(vec![1.0, f64::NAN])),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn uniform_axis_is_recognised() {
        let p = Pattern::uniform(5.0, 0.01, vec![0.0; 1000]).unwrap();
        assert_eq!(p.step(), Some(0.01));
        let q = Pattern::new(p.two_theta().to_vec(), vec![0.0; 1000]).unwrap();
        assert!((q.step().unwrap() - 0.01).abs() < 1e-12);
        let q = Pattern::new(vec![1.0, 2.0, 4.0], vec![0.0; 3]).unwrap();
        assert_eq!(q.step(), None);
        assert_eq!(q.range(), (1.0, 4.0));
    }

    #[test]
    fn json_round_trip_validates() {
        let p = Pattern::uniform(5.0, 0.5, vec![1.0, 2.0])
            .unwrap()
            .with_wavelength(Some(Wavelength::MO_KA));
        let s = serde_json::to_string(&p).unwrap();
        let q: Pattern = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        let bad = r#"{"two_theta":[2.0,1.0],"intensity":[1.0,1.0],"sigma":null,"wavelength":null}"#;
        let e = serde_json::from_str::<Pattern>(bad).unwrap_err();
        assert!(e.is_data(), "{e}");
        assert!(
            e.to_string()
                .contains("2θ = 1 does not exceed the previous 2θ = 2"),
            "{e}"
        );
    }
}
