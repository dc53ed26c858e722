//! The peak-list job (`xrd peaks`, `xrd.fit_peaks`): every line of a measured pattern by profile
//! fitting (xrd-refine's `peaks`), without a structure or a cell.

use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};
use xrd_refine::peaks::{FittedPeak, PeakFitParams, fit_peaks};

use crate::error::invalid;
use crate::{Quantity, Result, RowValue, measured_wavelength};

/// The options of a peak list ([`Peaks`]), as `xrd peaks`'s flags, `xrd.fit_peaks`'s keywords and
/// a JSON request take them; the defaults are xrd-refine's.
///
/// ```
/// let o: xrd_jobs::PeaksOptions = serde_json::from_str(r#"{"min_height": 0.02}"#).unwrap();
/// assert_eq!(o.noise_multiple, 5.0);
/// let job = xrd_jobs::Peaks::new(o)?;
/// # Ok::<(), xrd_jobs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeaksOptions {
    /// The wavelength of patterns whose file gives none (default Cu Kα).
    pub wavelength: Option<Wavelength>,
    /// Smallest height above the background, as a fraction of the strongest line's.
    pub min_height: f64,
    /// Smallest height above the background in multiples of the pattern's noise.
    pub noise_multiple: f64,
    /// Smallest distance between two lines (° 2θ).
    pub min_separation: f64,
    /// Width of the rolling minimum that finds the background (° 2θ).
    pub background_window: f64,
    /// Half-width of the window fitted around a line, in FWHMs.
    pub window: f64,
    /// Lines fitted together at most; longer chains of overlapping windows are cut at their
    /// deepest valleys.
    pub max_group_lines: usize,
}

impl Default for PeaksOptions {
    fn default() -> Self {
        let fit = PeakFitParams::default();
        let search = fit.get_search();
        PeaksOptions {
            wavelength: None,
            min_height: search.get_relative_height(),
            noise_multiple: search.get_noise_multiple(),
            min_separation: search.get_min_separation(),
            background_window: search.get_background_window(),
            window: fit.get_window(),
            max_group_lines: fit.get_max_group_lines(),
        }
    }
}

impl PeaksOptions {
    /// The fit's settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the option out of range (by the option's name).
    pub fn params(&self) -> Result<PeakFitParams> {
        // The fit's own search (it allows for no shared noise: the fit tests each line), with
        // these thresholds.
        let search = PeakFitParams::default()
            .get_search()
            .relative_height(self.min_height)
            .noise_multiple(self.noise_multiple)
            .min_separation(self.min_separation)
            .background_window(self.background_window);
        let params = PeakFitParams::default()
            .search(search)
            .window(self.window)
            .max_group_lines(self.max_group_lines);
        params.check().map_err(|e| match e {
            xrd_refine::Error::InvalidParameter(p) => invalid(
                if p.name == "relative_height" {
                    "min_height"
                } else {
                    p.name
                },
                p.reason.clone(),
            ),
            other => other.into(),
        })?;
        Ok(params)
    }

    /// Checks every option.
    ///
    /// # Errors
    /// As [`PeaksOptions::params`].
    pub fn check(&self) -> Result<()> {
        self.params().map(|_| ())
    }
}

/// One line of a peak list: a row of `xrd peaks` and a dict of `xrd.fit_peaks`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeakRow {
    /// The pattern's label.
    pub file: String,
    /// The line's number in its pattern, from 1 by angle.
    pub peak: usize,
    /// Position (° 2θ).
    pub two_theta: f64,
    /// Its esd. Every esd is NaN (an empty cell, JSON null) where the fit held its parameter at
    /// a limit; a warning says which.
    pub two_theta_esd: f64,
    /// d-spacing (Å).
    pub d: f64,
    /// Its esd.
    pub d_esd: f64,
    /// Height above the background.
    pub height: f64,
    /// Integrated intensity (° × the pattern's scale; Kα2 not included).
    pub area: f64,
    /// Its esd.
    pub area_esd: f64,
    /// 100 × area / the strongest line's.
    pub relative_intensity: f64,
    /// FWHM (° 2θ).
    pub fwhm: f64,
    /// Its esd.
    pub fwhm_esd: f64,
    /// Integral breadth (° 2θ).
    pub integral_breadth: f64,
    /// The Lorentzian share η.
    pub eta: f64,
    /// (right − left) / (right + left) of the half widths.
    pub asymmetry: f64,
    /// The background under the line.
    pub background: f64,
    /// Lines fitted together share it.
    pub group: usize,
}

impl PeakRow {
    /// The columns of the rows, in order: the table's header and the keys of each row.
    pub const COLUMNS: [&'static str; 17] = [
        "file",
        "peak",
        "two_theta",
        "two_theta_esd",
        "d",
        "d_esd",
        "height",
        "area",
        "area_esd",
        "relative_intensity",
        "fwhm",
        "fwhm_esd",
        "integral_breadth",
        "eta",
        "asymmetry",
        "background",
        "group",
    ];

    /// The row's values in the order of [`PeakRow::COLUMNS`]; an esd the fit could not give
    /// stays NaN (an empty cell in tables, `nan` in Python).
    pub fn values(&self) -> [RowValue; 17] {
        use Quantity::{Area, DSpacing, Intensity, RelativeIntensity, Shape, TwoTheta};
        [
            RowValue::Text(self.file.clone()),
            RowValue::Integer(self.peak as i64),
            RowValue::number(self.two_theta, TwoTheta),
            RowValue::number(self.two_theta_esd, TwoTheta),
            RowValue::number(self.d, DSpacing),
            RowValue::number(self.d_esd, DSpacing),
            RowValue::number(self.height, Intensity),
            RowValue::number(self.area, Area),
            RowValue::number(self.area_esd, Area),
            RowValue::number(self.relative_intensity, RelativeIntensity),
            RowValue::number(self.fwhm, TwoTheta),
            RowValue::number(self.fwhm_esd, TwoTheta),
            RowValue::number(self.integral_breadth, TwoTheta),
            RowValue::number(self.eta, Shape),
            RowValue::number(self.asymmetry, Shape),
            RowValue::number(self.background, Intensity),
            RowValue::Integer(self.group as i64),
        ]
    }

    fn of(file: &str, k: usize, p: &FittedPeak) -> PeakRow {
        PeakRow {
            file: file.to_string(),
            peak: k + 1,
            two_theta: p.two_theta,
            two_theta_esd: p.two_theta_esd,
            d: p.d_spacing,
            d_esd: p.d_spacing_esd,
            height: p.height,
            area: p.area,
            area_esd: p.area_esd,
            relative_intensity: p.relative_intensity,
            fwhm: p.fwhm,
            fwhm_esd: p.fwhm_esd,
            integral_breadth: p.integral_breadth,
            eta: p.eta,
            asymmetry: p.asymmetry,
            background: p.background,
            group: p.group,
        }
    }
}

/// What a peak list of one pattern returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PeakList {
    /// The pattern's label.
    pub file: String,
    /// The wavelength the d-spacings were read at (Kα1 of a doublet).
    pub wavelength: Wavelength,
    /// The lines, by position.
    pub rows: Vec<PeakRow>,
    /// Weighted profile R over the fitted windows.
    pub rwp: f64,
    /// The correlation time of the fit's residuals in points (1 for independent errors); every
    /// esd is multiplied by its square root (see `xrd_refine::peaks::PeakFit`).
    pub correlation_time: f64,
    /// The fitted lines and backgrounds at every point of the pattern (the observed outside
    /// the fitted windows).
    pub calculated: Vec<f64>,
    /// What the reader should know (lines left out, groups that did not converge).
    pub warnings: Vec<String>,
}

/// A peak-list job.
#[derive(Debug)]
pub struct Peaks {
    options: PeaksOptions,
    params: PeakFitParams,
}

impl Peaks {
    /// The job of `options`.
    ///
    /// # Errors
    /// An option out of range.
    pub fn new(options: PeaksOptions) -> Result<Self> {
        let params = options.params()?;
        Ok(Peaks { options, params })
    }

    /// The wavelength `pattern` is read at: its file's, else the option's, else Cu Kα.
    pub fn wavelength_of(&self, pattern: &Pattern) -> Wavelength {
        measured_wavelength(pattern.wavelength(), self.options.wavelength, None)
            .unwrap_or(Wavelength::CU_KA)
    }

    /// The peak list of `pattern`, labelled `label`.
    ///
    /// # Errors
    /// Those of [`fit_peaks`].
    pub fn run(&self, label: &str, pattern: &Pattern) -> Result<PeakList> {
        let wavelength = self.wavelength_of(pattern);
        let fit = fit_peaks(pattern, wavelength, &self.params)?;
        Ok(PeakList {
            file: label.to_string(),
            wavelength,
            rows: (fit.peaks.iter().enumerate())
                .map(|(k, p)| PeakRow::of(label, k, p))
                .collect(),
            rwp: fit.rwp,
            correlation_time: fit.correlation_time,
            calculated: fit.calculated,
            warnings: fit.warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns are the serialized row's keys (what the workbench receives), and each value
    /// has its column's type and precision.
    #[test]
    fn columns_are_the_serialized_keys_and_values_follow_them() {
        let row = PeakRow {
            file: "a.xy".into(),
            peak: 3,
            two_theta: 40.59,
            two_theta_esd: f64::NAN,
            d: 2.2208,
            d_esd: 3e-5,
            height: 25115.8,
            area: 3053.68,
            area_esd: 19.19,
            relative_intensity: 100.0,
            fwhm: 0.0957,
            fwhm_esd: 7e-4,
            integral_breadth: 0.1216,
            eta: 0.41,
            asymmetry: -0.23,
            background: 1442.2,
            group: 1,
        };
        let json = serde_json::to_value(&row).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut columns = PeakRow::COLUMNS.to_vec();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        columns.sort_unstable();
        assert_eq!(sorted, columns);
        let values = row.values();
        for (column, value) in PeakRow::COLUMNS.iter().zip(&values) {
            match (*column, value) {
                ("file", RowValue::Text(t)) => assert_eq!(t, "a.xy"),
                ("peak", RowValue::Integer(3)) | ("group", RowValue::Integer(1)) => {}
                (c, RowValue::Number { value, quantity }) => {
                    let expected = json[c].as_f64().unwrap_or(f64::NAN);
                    assert!(
                        value.to_bits() == expected.to_bits()
                            || value.is_nan() && expected.is_nan(),
                        "{c}"
                    );
                    let decimals = match c {
                        "two_theta" | "two_theta_esd" | "fwhm" | "fwhm_esd"
                        | "integral_breadth" => 4,
                        "d" | "d_esd" => 5,
                        "height" | "background" | "relative_intensity" => 1,
                        _ => 2,
                    };
                    assert_eq!(quantity.decimals(), decimals, "{c}");
                }
                (c, v) => panic!("{c}: {v:?}"),
            }
        }
    }

    /// Each option out of range is refused by the option's own name.
    #[test]
    fn every_bad_option_is_refused_by_its_name() {
        let bad = [
            (
                "min_height",
                PeaksOptions {
                    min_height: 1.5,
                    ..Default::default()
                },
            ),
            (
                "noise_multiple",
                PeaksOptions {
                    noise_multiple: -1.0,
                    ..Default::default()
                },
            ),
            (
                "min_separation",
                PeaksOptions {
                    min_separation: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "background_window",
                PeaksOptions {
                    background_window: 0.0,
                    ..Default::default()
                },
            ),
            (
                "window",
                PeaksOptions {
                    window: 0.5,
                    ..Default::default()
                },
            ),
            (
                "max_group_lines",
                PeaksOptions {
                    max_group_lines: 0,
                    ..Default::default()
                },
            ),
        ];
        for (name, o) in bad {
            match Peaks::new(o) {
                Err(crate::Error::InvalidParameter(p)) => assert_eq!(p.name, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(PeaksOptions::default().check().is_ok());
    }
}
