//! The rows the jobs report: a refinement's ([`RefinementRow`], one per refined phase or
//! measured reference), a summation's ([`SummationRow`]), an identification's
//! ([`IdentifyRow`]), a series' ([`series_row`]) and, beside its job, a peak list's
//! ([`crate::PeakRow`]): the columns of the command line's tables and the keys of Python's rows,
//! defined once, each number shown at the one precision of its [`Quantity`], whatever the table.

use serde::Serialize;
use xrd_minerals::{Identification, Library, PhaseSpec, ReportedPhase, SpecRefinement};
use xrd_refine::{CELL_LABELS, FrameFit, PhaseResult, Quantification, ReferenceResult, Refinement};

/// What a number in a row measures, which says how many decimals every table shows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Quantity {
    /// A weight fraction, its esd, a detection limit (0–1).
    WeightFraction,
    /// A cell length or its esd (Å).
    Length,
    /// A cell angle or its esd (°).
    Angle,
    /// A crystallite size (nm).
    Size,
    /// A microstrain.
    Strain,
    /// A fit's weighted-profile R factor.
    Rwp,
    /// A fit's goodness of fit.
    Gof,
    /// A search-match score.
    Score,
    /// A share of the intensity in search-match.
    Share,
    /// A measured reference's scale.
    Scale,
    /// A 2θ shift (°).
    Shift,
    /// A series' order value (temperature, time).
    Order,
    /// A line's position or width, or its esd (° 2θ).
    TwoTheta,
    /// A d-spacing or its esd (Å).
    DSpacing,
    /// An intensity on the pattern's own scale: a line's height, the background under it.
    Intensity,
    /// A line's integrated intensity or its esd (° × the pattern's scale).
    Area,
    /// An intensity as a percentage of the strongest line's.
    RelativeIntensity,
    /// A profile's shape: the Lorentzian share η, an asymmetry.
    Shape,
}

impl Quantity {
    /// The decimals shown in tables and CSV: fine enough for the esds a fit gives (a cell
    /// length's 1e-6 Å of a synchrotron series, a weight fraction's 1e-4), no finer.
    pub const fn decimals(self) -> usize {
        match self {
            Quantity::WeightFraction
            | Quantity::Rwp
            | Quantity::Angle
            | Quantity::Shift
            | Quantity::TwoTheta => 4,
            Quantity::Length | Quantity::Strain => 6,
            Quantity::Size | Quantity::Intensity | Quantity::RelativeIntensity => 1,
            Quantity::Gof | Quantity::Score | Quantity::Share | Quantity::Order => 3,
            Quantity::Scale | Quantity::DSpacing => 5,
            Quantity::Area | Quantity::Shape => 2,
        }
    }
}

/// One value of a row, typed, with the quantity that says its precision.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number (kept whole in JSON and Python; [`Quantity::decimals`] in tables and CSV).
    Number {
        /// The value.
        value: f64,
        /// What it measures.
        quantity: Quantity,
    },
    /// Nothing: not defined for this row (a reference's cell, a size not refined).
    Empty,
}

impl RowValue {
    pub(crate) fn number(value: f64, quantity: Quantity) -> Self {
        Self::Number { value, quantity }
    }

    fn optional(value: Option<f64>, quantity: Quantity) -> Self {
        value.map_or(Self::Empty, |v| Self::number(v, quantity))
    }

    fn text(value: Option<String>) -> Self {
        value.map_or(Self::Empty, Self::Text)
    }
}

use Quantity::{Angle, Gof, Length, Rwp, Scale, Shift, Size, Strain};
const WEIGHT: Quantity = Quantity::WeightFraction;
const LENGTH: Quantity = Length;
const ANGLE: Quantity = Angle;
const SIZE: Quantity = Size;
const STRAIN: Quantity = Strain;
const RWP: Quantity = Rwp;
const GOF: Quantity = Gof;

/// One row of a refinement's report: a refined phase or a measured reference fitted beside
/// the phases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefinementRow {
    /// The pattern's label (its file, with `#k` for one of several patterns in a file).
    pub file: String,
    /// 1-based position among the phases, then the references.
    pub phase: usize,
    /// The phase's or reference's name.
    pub name: String,
    /// The phase's formula; none for a reference.
    pub formula: Option<String>,
    /// The phase's space group; none for a reference.
    pub space_group: Option<u8>,
    /// Weight fraction.
    pub weight_fraction: f64,
    /// Its esd.
    pub weight_fraction_esd: f64,
    /// The fraction before the microabsorption correction, when one was applied.
    pub weight_fraction_uncorrected: Option<f64>,
    /// Refined cell a, b, c (Å), α, β, γ (°); none for a reference.
    pub cell: Option<[f64; 6]>,
    /// Crystallite size (nm), when refined.
    pub size_nm: Option<f64>,
    /// Microstrain; none for a reference.
    pub strain: Option<f64>,
    /// Where it comes from: a library id or path, or `reference:ID`.
    pub source: String,
    /// The fit's Rwp.
    pub rwp: f64,
    /// The fit's goodness of fit.
    pub gof: f64,
    /// The phase's kind (`structure`, `pawley`, `ponkcs`) or the reference's (`reference`,
    /// `standard`, `background`).
    pub kind: String,
}

impl RefinementRow {
    /// The columns of the rows, in order: the table's header and the keys of each row.
    pub const COLUMNS: [&'static str; 20] = [
        "file",
        "phase",
        "name",
        "formula",
        "space_group",
        "weight_fraction",
        "weight_fraction_esd",
        "weight_fraction_uncorrected",
        "a",
        "b",
        "c",
        "alpha",
        "beta",
        "gamma",
        "size_nm",
        "strain",
        "source",
        "rwp",
        "gof",
        "kind",
    ];

    /// The row of the refined phase `p` (0-based) of `fit`, from `source`.
    pub fn of_phase(
        file: &str,
        fit: &Refinement,
        p: usize,
        ph: &PhaseResult,
        source: &str,
    ) -> Self {
        Self {
            file: file.to_string(),
            phase: p + 1,
            name: ph.name.clone(),
            formula: Some(ph.formula.clone()),
            space_group: Some(ph.space_group),
            weight_fraction: ph.weight_fraction,
            weight_fraction_esd: ph.weight_fraction_esd,
            weight_fraction_uncorrected: ph.weight_fraction_uncorrected,
            cell: Some(ph.cell),
            size_nm: ph.size_nm,
            strain: Some(ph.strain),
            source: source.to_string(),
            rwp: fit.rwp,
            gof: fit.gof,
            kind: ph.kind.name().to_string(),
        }
    }

    /// The row of the measured reference `j` (0-based, after the phases) of `fit`: no formula,
    /// cell, size or strain, and no microabsorption correction.
    pub fn of_reference(file: &str, fit: &Refinement, j: usize, r: &ReferenceResult) -> Self {
        Self {
            file: file.to_string(),
            phase: fit.phases.len() + j + 1,
            name: r.name.clone(),
            formula: None,
            space_group: None,
            weight_fraction: r.weight_fraction,
            weight_fraction_esd: r.weight_fraction_esd,
            weight_fraction_uncorrected: None,
            cell: None,
            size_nm: None,
            strain: None,
            source: format!("reference:{}", r.id),
            rwp: fit.rwp,
            gof: fit.gof,
            kind: r.kind().to_string(),
        }
    }

    /// The row's values in the order of [`RefinementRow::COLUMNS`].
    ///
    /// ```
    /// use xrd_jobs::{Quantity, RefinementRow, RowValue};
    /// let row = RefinementRow {
    ///     file: "mix.xy".into(),
    ///     phase: 1,
    ///     name: "Anatase".into(),
    ///     formula: Some("Ti4 O8".into()),
    ///     space_group: Some(141),
    ///     weight_fraction: 0.6,
    ///     weight_fraction_esd: 0.01,
    ///     weight_fraction_uncorrected: None,
    ///     cell: Some([3.785, 3.785, 9.514, 90.0, 90.0, 90.0]),
    ///     size_nm: Some(42.0),
    ///     strain: Some(0.0),
    ///     source: "amcsd:9161".into(),
    ///     rwp: 0.08,
    ///     gof: 1.2,
    ///     kind: "structure".into(),
    /// };
    /// let values = row.values();
    /// assert_eq!(values.len(), RefinementRow::COLUMNS.len());
    /// assert_eq!(values[4], RowValue::Integer(141));
    /// assert_eq!(values[7], RowValue::Empty);
    /// assert_eq!(values[8], RowValue::Number { value: 3.785, quantity: Quantity::Length });
    /// ```
    pub fn values(&self) -> [RowValue; 20] {
        let cell =
            |k: usize, quantity: Quantity| RowValue::optional(self.cell.map(|c| c[k]), quantity);
        [
            RowValue::Text(self.file.clone()),
            RowValue::Integer(self.phase as i64),
            RowValue::Text(self.name.clone()),
            self.formula.clone().map_or(RowValue::Empty, RowValue::Text),
            self.space_group
                .map_or(RowValue::Empty, |g| RowValue::Integer(i64::from(g))),
            RowValue::number(self.weight_fraction, WEIGHT),
            RowValue::number(self.weight_fraction_esd, WEIGHT),
            RowValue::optional(self.weight_fraction_uncorrected, WEIGHT),
            cell(0, LENGTH),
            cell(1, LENGTH),
            cell(2, LENGTH),
            cell(3, ANGLE),
            cell(4, ANGLE),
            cell(5, ANGLE),
            RowValue::optional(self.size_nm, SIZE),
            RowValue::optional(self.strain, STRAIN),
            RowValue::Text(self.source.clone()),
            RowValue::number(self.rwp, RWP),
            RowValue::number(self.gof, GOF),
            RowValue::Text(self.kind.clone()),
        ]
    }
}

/// The rows of `fit` for the pattern `file`: its phases, each from the source of the same
/// index in `sources` (a library id or path; empty when missing), then its measured
/// references.
pub fn refinement_rows(file: &str, fit: &Refinement, sources: &[String]) -> Vec<RefinementRow> {
    let phases = fit.phases.iter().enumerate().map(|(p, ph)| {
        let source = sources.get(p).map_or("", String::as_str);
        RefinementRow::of_phase(file, fit, p, ph, source)
    });
    let references = (fit.references.iter().enumerate())
        .map(|(j, r)| RefinementRow::of_reference(file, fit, j, r));
    phases.chain(references).collect()
}

/// The rows of the refinement `fit` of `specs` on the pattern `file`: each phase from its
/// chosen structure ([`SpecRefinement::sources`]), then the measured references.
pub fn spec_rows(fit: &SpecRefinement, specs: &[PhaseSpec], file: &str) -> Vec<RefinementRow> {
    refinement_rows(file, &fit.refinement, &fit.sources(specs))
}

/// One row of a full-pattern summation's report (`xrd refine --references`, `xrd.refine` with
/// `references` alone): a measured reference, or the amorphous or unaccounted rest that an
/// internal standard reveals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummationRow {
    /// The pattern's label.
    pub file: String,
    /// 1-based position among the references; the rest comes last.
    pub phase: usize,
    /// The reference's id in its library; none for the rest.
    pub id: Option<String>,
    /// The mineral's name.
    pub name: String,
    /// `reference`, `standard`, `background` or `rest`.
    pub kind: String,
    /// Weight fraction.
    pub weight_fraction: f64,
    /// Its esd.
    pub weight_fraction_esd: f64,
    /// The weight fraction its scale's detection limit stands for; none for the rest.
    pub detection_limit: Option<f64>,
    /// Its scale; none for the rest.
    pub scale: Option<f64>,
    /// Its 2θ shift (°); none for the rest.
    pub shift: Option<f64>,
    /// The fit's Rwp.
    pub rwp: f64,
    /// The fit's goodness of fit.
    pub gof: f64,
}

const SCALE: Quantity = Scale;
const SHIFT: Quantity = Shift;

impl SummationRow {
    /// The columns of the rows, in order.
    pub const COLUMNS: [&'static str; 12] = [
        "file",
        "phase",
        "id",
        "name",
        "kind",
        "weight_fraction",
        "weight_fraction_esd",
        "detection_limit",
        "scale",
        "shift",
        "rwp",
        "gof",
    ];

    /// The row's values in the order of [`SummationRow::COLUMNS`].
    pub fn values(&self) -> [RowValue; 12] {
        [
            RowValue::Text(self.file.clone()),
            RowValue::Integer(self.phase as i64),
            self.id.clone().map_or(RowValue::Empty, RowValue::Text),
            RowValue::Text(self.name.clone()),
            RowValue::Text(self.kind.clone()),
            RowValue::number(self.weight_fraction, WEIGHT),
            RowValue::number(self.weight_fraction_esd, WEIGHT),
            RowValue::optional(self.detection_limit, WEIGHT),
            RowValue::optional(self.scale, SCALE),
            RowValue::optional(self.shift, SHIFT),
            RowValue::number(self.rwp, RWP),
            RowValue::number(self.gof, GOF),
        ]
    }
}

/// The rows of the summation `q` of the pattern `file`: its references, then, with an internal
/// standard, the amorphous or unaccounted rest.
pub fn summation_rows(file: &str, q: &Quantification) -> Vec<SummationRow> {
    let references = q.references.iter().enumerate().map(|(p, r)| SummationRow {
        file: file.to_string(),
        phase: p + 1,
        id: Some(r.id.clone()),
        name: r.name.clone(),
        kind: r.kind().to_string(),
        weight_fraction: r.weight_fraction,
        weight_fraction_esd: r.weight_fraction_esd,
        detection_limit: Some(r.detection_limit),
        scale: Some(r.scale),
        shift: Some(r.shift),
        rwp: q.rwp,
        gof: q.gof,
    });
    let rest = match (q.amorphous, q.amorphous_esd) {
        (Some(a), Some(e)) => Some(SummationRow {
            file: file.to_string(),
            phase: q.references.len() + 1,
            id: None,
            name: "amorphous or unaccounted".to_string(),
            kind: "rest".to_string(),
            weight_fraction: a,
            weight_fraction_esd: e,
            detection_limit: None,
            scale: None,
            shift: None,
            rwp: q.rwp,
            gof: q.gof,
        }),
        _ => None,
    };
    references.chain(rest).collect()
}

/// The difference curve, observed − calculated, point by point (fit.csv's `difference`,
/// `xrd.refine`'s "difference").
pub fn difference(observed: &[f64], calculated: &[f64]) -> Vec<f64> {
    observed
        .iter()
        .zip(calculated)
        .map(|(o, c)| o - c)
        .collect()
}

/// One row of an identification's report (`xrd identify`, `xrd.identify`): a phase found,
/// refined (weight fraction) or as search-match found it (share of the intensity); a pattern
/// that matches nothing has one row, phase 0 named `(no match)` with the best score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentifyRow {
    /// The pattern's label.
    pub file: String,
    /// 1-based position among the phases found; 0 for no match.
    pub phase: usize,
    /// The phase's name.
    pub name: String,
    /// Its formula.
    pub formula: Option<String>,
    /// Its space group.
    pub space_group: Option<u8>,
    /// Its search-match score (the best candidate's with no match; none for a phase only the
    /// refinement added).
    pub score: Option<f64>,
    /// Its share of the intensity in search-match.
    pub share: Option<f64>,
    /// Its library id.
    pub source: Option<String>,
    /// Weight fraction, when refined.
    pub weight_fraction: Option<f64>,
    /// Its esd.
    pub weight_fraction_esd: Option<f64>,
    /// The refinement's Rwp.
    pub rwp: Option<f64>,
}

impl IdentifyRow {
    /// The columns of the rows, in order.
    pub const COLUMNS: [&'static str; 11] = [
        "file",
        "phase",
        "name",
        "formula",
        "space_group",
        "score",
        "share",
        "source",
        "weight_fraction",
        "weight_fraction_esd",
        "rwp",
    ];

    /// The row's values in the order of [`IdentifyRow::COLUMNS`].
    pub fn values(&self) -> [RowValue; 11] {
        [
            RowValue::Text(self.file.clone()),
            RowValue::Integer(self.phase as i64),
            RowValue::Text(self.name.clone()),
            RowValue::text(self.formula.clone()),
            self.space_group
                .map_or(RowValue::Empty, |g| RowValue::Integer(i64::from(g))),
            RowValue::optional(self.score.filter(|s| s.is_finite()), Quantity::Score),
            RowValue::optional(self.share, Quantity::Share),
            RowValue::text(self.source.clone()),
            RowValue::optional(self.weight_fraction, WEIGHT),
            RowValue::optional(self.weight_fraction_esd, WEIGHT),
            RowValue::optional(self.rwp, RWP),
        ]
    }
}

/// The rows of the identification `found` of the pattern `file` against `library`: the phases
/// `reported` ([`Identification::report`]), or one `(no match)` row.
pub fn identify_rows(
    library: &Library,
    file: &str,
    found: &Identification,
    reported: &[ReportedPhase],
) -> Vec<IdentifyRow> {
    if reported.is_empty() {
        return vec![IdentifyRow {
            file: file.to_string(),
            phase: 0,
            name: "(no match)".to_string(),
            formula: None,
            space_group: None,
            score: found.candidates.first().map(|c| c.score),
            share: None,
            source: None,
            weight_fraction: None,
            weight_fraction_esd: None,
            rwp: None,
        }];
    }
    reported
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let e = &library.entries()[r.entry];
            IdentifyRow {
                file: file.to_string(),
                phase: k + 1,
                name: e.name().to_string(),
                formula: Some(e.formula.clone()),
                space_group: Some(e.space_group),
                score: Some(r.score),
                share: r.share,
                source: Some(e.id.clone()),
                weight_fraction: r.refined.map(|f| f.weight_fraction),
                weight_fraction_esd: r.refined.map(|f| f.weight_fraction_esd),
                rwp: r.refined.map(|f| f.rwp),
            }
        })
        .collect()
}

/// The columns of a series' rows: frame, file, the order value (named `order_name`), start,
/// rwp, gof; per phase `NAME_wt`, `NAME_wt_esd`, `NAME_detection_limit`, each cell parameter
/// and its esd (`NAME_a`, `NAME_a_esd`, … `NAME_gamma_esd`), `NAME_size_nm`, `NAME_strain`;
/// then flags and error. The command line's `series.csv`, Python's DataFrame and the
/// workbench's table are these.
pub fn series_columns(phases: &[String], order_name: &str) -> Vec<String> {
    let mut h: Vec<String> = ["frame", "file", order_name, "start", "rwp", "gof"]
        .iter()
        .map(ToString::to_string)
        .collect();
    for n in phases {
        let n = n.replace([' ', ','], "_");
        h.push(format!("{n}_wt"));
        h.push(format!("{n}_wt_esd"));
        h.push(format!("{n}_detection_limit"));
        for l in CELL_LABELS {
            h.push(format!("{n}_{l}"));
            h.push(format!("{n}_{l}_esd"));
        }
        h.push(format!("{n}_size_nm"));
        h.push(format!("{n}_strain"));
    }
    h.push("flags".into());
    h.push("error".into());
    h
}

/// Values of each phase in a series row ([`series_columns`]): weight fraction, its esd,
/// detection limit, six cell parameters with esds, size, strain.
const SERIES_PHASE_COLUMNS: usize = 17;
/// Columns of a series row before the phases': frame, file, order, start, rwp, gof.
const SERIES_LEAD: usize = 6;

/// The row of the frame `fit` of a series of `phases` phases under [`series_columns`] (frames
/// numbered from 1), each number at its quantity's precision.
pub fn series_row(fit: &FrameFit, phases: usize) -> Vec<RowValue> {
    use RowValue::{Empty, Integer, Text};
    let mut r = vec![
        Integer(fit.index as i64 + 1),
        Text(fit.name.clone()),
        RowValue::optional(fit.order, Quantity::Order),
        Text(fit.start.name().to_string()),
    ];
    match &fit.refinement {
        Some(refined) => {
            r.push(RowValue::number(refined.rwp, RWP));
            r.push(RowValue::number(refined.gof, GOF));
            for p in &refined.phases {
                r.push(RowValue::number(p.weight_fraction, WEIGHT));
                r.push(RowValue::number(p.weight_fraction_esd, WEIGHT));
                r.push(RowValue::optional(p.detection_limit, WEIGHT));
                for k in 0..6 {
                    let q = if k < 3 { LENGTH } else { ANGLE };
                    r.push(RowValue::number(p.cell[k], q));
                    r.push(RowValue::number(p.cell_esd[k], q));
                }
                r.push(RowValue::optional(p.size_nm, SIZE));
                r.push(RowValue::number(p.strain, STRAIN));
            }
        }
        None => r.resize(SERIES_LEAD + phases * SERIES_PHASE_COLUMNS, Empty),
    }
    let flags: Vec<String> = fit.flags.iter().map(ToString::to_string).collect();
    r.push(Text(flags.join("; ")));
    r.push(Text(fit.error.clone().unwrap_or_default()));
    r
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A refinement of one anatase (corrected for microabsorption) beside one measured
    /// reference, as serde reads refinement.json.
    fn refinement() -> Refinement {
        let instrument = serde_json::to_value(xrd_refine::Instrument::default())
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_value(json!({
            "phases": [{
                "name": "Anatase", "formula": "Ti4 O8", "space_group": 141,
                "weight_fraction": 0.61234, "weight_fraction_esd": 0.01,
                "weight_fraction_uncorrected": 0.6,
                "cell": [3.78512, 3.78512, 9.51234, 90.0, 90.0, 90.0], "cell_esd": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                "volume": 136.3, "size_nm": 42.04, "strain": 0.0012, "texture": null,
                "b_overall": 0.0, "scale": 1.0, "cell_mass": 319.5, "ticks": [],
                "kind": "structure", "extracted": [],
            }],
            "rp": 0.06, "rwp": 0.0812, "rexp": 0.05, "chi2": 2.6, "gof": 1.624,
            "durbin_watson": 1.5, "esd_factor": 1.0, "instrument": instrument,
            "displacement": 0.0, "parameters": [], "warnings": [], "iterations": 10,
            "points": 100, "refined": 12, "two_theta": [], "observed": [], "calculated": [],
            "background": [], "phase_curves": [],
            "references": [{
                "id": "KAOLINITE", "name": "Kaolinite", "rir": 1.2, "background": false,
                "scale": 0.3, "scale_esd": 0.01, "shift": 0.0, "shift_esd": 0.0,
                "weight_fraction": 0.38766, "weight_fraction_esd": 0.02,
                "detection_limit": 0.01, "detected": true, "standard": false,
            }],
            "reference_curves": [], "amorphous": null,
        }))
        .unwrap_or_else(|e| panic!("a refinement of the test: {e}"))
    }

    #[test]
    fn a_phase_and_a_reference_fill_every_column() {
        let rows = refinement_rows("mix.xy", &refinement(), &["amcsd:9161".to_string()]);
        assert_eq!(rows.len(), 2);
        let phase = rows[0].values();
        let reference = rows[1].values();
        assert_eq!(phase.len(), RefinementRow::COLUMNS.len());
        assert_eq!(reference.len(), RefinementRow::COLUMNS.len());
        let at = |name: &str| {
            RefinementRow::COLUMNS
                .iter()
                .position(|c| *c == name)
                .unwrap_or_else(|| panic!("no column {name}"))
        };
        let number = |value: f64, quantity: Quantity| RowValue::Number { value, quantity };
        assert_eq!(phase[at("phase")], RowValue::Integer(1));
        assert_eq!(phase[at("space_group")], RowValue::Integer(141));
        assert_eq!(phase[at("weight_fraction")], number(0.61234, WEIGHT));
        assert_eq!(
            phase[at("weight_fraction_uncorrected")],
            number(0.6, WEIGHT)
        );
        assert_eq!(phase[at("c")], number(9.51234, LENGTH));
        assert_eq!(phase[at("gamma")], number(90.0, ANGLE));
        assert_eq!(phase[at("size_nm")], number(42.04, SIZE));
        assert_eq!(phase[at("strain")], number(0.0012, STRAIN));
        assert_eq!(phase[at("source")], RowValue::Text("amcsd:9161".into()));
        assert_eq!(phase[at("rwp")], number(0.0812, RWP));
        assert_eq!(phase[at("gof")], number(1.624, GOF));
        assert_eq!(phase[at("kind")], RowValue::Text("structure".into()));
        // The reference comes after the phases, with no formula, cell, size or strain.
        assert_eq!(reference[at("phase")], RowValue::Integer(2));
        assert_eq!(reference[at("name")], RowValue::Text("Kaolinite".into()));
        for empty in [
            "formula",
            "space_group",
            "weight_fraction_uncorrected",
            "a",
            "gamma",
        ] {
            assert_eq!(reference[at(empty)], RowValue::Empty, "{empty}");
        }
        assert_eq!(reference[at("size_nm")], RowValue::Empty);
        assert_eq!(reference[at("strain")], RowValue::Empty);
        assert_eq!(reference[at("weight_fraction")], number(0.38766, WEIGHT));
        assert_eq!(
            reference[at("source")],
            RowValue::Text("reference:KAOLINITE".into())
        );
        assert_eq!(reference[at("kind")], RowValue::Text("reference".into()));
        assert_eq!(reference[at("file")], RowValue::Text("mix.xy".into()));
    }

    #[test]
    fn a_summation_with_a_standard_ends_with_the_rest() {
        let fit = refinement();
        let q: Quantification = serde_json::from_value(json!({
            "references": serde_json::to_value(&fit.references).unwrap_or_default(),
            "amorphous": 0.1234, "amorphous_esd": 0.02, "rp": 0.05, "rwp": 0.0712,
            "rexp": 0.05, "chi2": 2.0, "gof": 1.424, "esd_factor": 1.0, "iterations": 5,
            "warnings": [], "two_theta": [], "observed": [], "calculated": [],
            "background": [], "curves": [],
        }))
        .unwrap_or_else(|e| panic!("a summation of the test: {e}"));
        let rows = summation_rows("mix.xy", &q);
        assert_eq!(rows.len(), 2);
        let number = |value: f64, quantity: Quantity| RowValue::Number { value, quantity };
        let first = rows[0].values();
        assert_eq!(first.len(), SummationRow::COLUMNS.len());
        assert_eq!(first[2], RowValue::Text("KAOLINITE".into()));
        assert_eq!(first[8], number(0.3, SCALE));
        assert_eq!(first[11], number(1.424, GOF));
        let rest = rows[1].values();
        assert_eq!(rest[1], RowValue::Integer(2));
        assert_eq!(rest[2], RowValue::Empty);
        assert_eq!(rest[4], RowValue::Text("rest".into()));
        assert_eq!(rest[5], number(0.1234, WEIGHT));
        assert_eq!(
            &rest[7..10],
            [RowValue::Empty, RowValue::Empty, RowValue::Empty]
        );
    }

    #[test]
    fn a_series_column_has_the_quantity_its_name_says() {
        let fit = FrameFit {
            index: 0,
            name: "f1.xy".into(),
            order: Some(300.0),
            start: xrd_refine::FrameStart::Cold,
            refinement: Some(refinement()),
            error: None,
            flags: Vec::new(),
        };
        let phases = fit.refinement.as_ref().map_or(0, |r| r.phases.len());
        let names: Vec<String> = (0..phases).map(|k| format!("P{k}")).collect();
        let columns = series_columns(&names, "temperature_k");
        let row = series_row(&fit, phases);
        assert_eq!(row.len(), columns.len());
        let failed = series_row(
            &FrameFit {
                refinement: None,
                error: Some("no fit".into()),
                ..fit.clone()
            },
            phases,
        );
        assert_eq!(failed.len(), columns.len());
        for (name, value) in columns.iter().zip(&row) {
            let by_name = match name.as_str() {
                "temperature_k" => Some(Quantity::Order),
                "frame" | "file" | "start" | "flags" | "error" => None,
                "rwp" => Some(RWP),
                "gof" => Some(GOF),
                n if n.ends_with("_wt") || n.ends_with("_wt_esd") || n.ends_with("_limit") => {
                    Some(WEIGHT)
                }
                n if n.ends_with("size_nm") => Some(SIZE),
                n if n.ends_with("strain") => Some(STRAIN),
                n if ["_alpha", "_beta", "_gamma"].iter().any(|a| n.contains(a)) => Some(ANGLE),
                n if ["_a", "_b", "_c"]
                    .iter()
                    .any(|a| n.ends_with(a) || n.contains(&format!("{a}_esd"))) =>
                {
                    Some(LENGTH)
                }
                n => panic!("column {n} of no known quantity"),
            };
            match (by_name, value) {
                (Some(q), RowValue::Number { quantity, .. }) => assert_eq!(*quantity, q, "{name}"),
                (Some(_), RowValue::Empty) | (None, RowValue::Text(_) | RowValue::Integer(_)) => {}
                (q, v) => panic!("{name}: {v:?} where {q:?} was expected"),
            }
        }
    }

    #[test]
    fn the_difference_is_observed_less_calculated() {
        assert_eq!(difference(&[10.0, 5.0], &[8.0, 6.5]), vec![2.0, -1.5]);
    }
}
