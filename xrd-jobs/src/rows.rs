//! The rows a refinement reports, one per refined phase or measured reference: the columns of
//! `xrd refine`'s table and the keys of `xrd.refine`'s "rows" ([`RefinementRow`]; a summation of
//! measured references alone has its own, [`SummationRow`]), defined once so the command line
//! and the Python bindings only format them.

use xrd_refine::{PhaseResult, Quantification, ReferenceResult, Refinement};

use serde::Serialize;
use xrd_minerals::{PhaseSpec, SpecRefinement};

/// One value of a [`RefinementRow`], typed, with the precision the command line prints it at.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number, shown with `decimals` decimals (kept whole in JSON and Python).
    Number {
        /// The value.
        value: f64,
        /// Decimals shown in tables and CSV.
        decimals: usize,
    },
    /// Nothing: not defined for this row (a reference's cell, a size not refined).
    Empty,
}

impl RowValue {
    fn number(value: f64, decimals: usize) -> Self {
        Self::Number { value, decimals }
    }

    fn optional(value: Option<f64>, decimals: usize) -> Self {
        value.map_or(Self::Empty, |v| Self::number(v, decimals))
    }
}

/// Decimals of weight fractions, cell lengths, angles, sizes, strains, Rwp and GoF: the
/// precision of the command line's table, finer than their esds warrant.
const WEIGHT: usize = 4;
const LENGTH: usize = 5;
const ANGLE: usize = 3;
const SIZE: usize = 1;
const STRAIN: usize = 5;
const RWP: usize = 4;
const GOF: usize = 3;

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
    /// use xrd_jobs::{RefinementRow, RowValue};
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
    /// assert_eq!(values[8], RowValue::Number { value: 3.785, decimals: 5 });
    /// ```
    pub fn values(&self) -> [RowValue; 20] {
        let cell =
            |k: usize, decimals: usize| RowValue::optional(self.cell.map(|c| c[k]), decimals);
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

/// Decimals of a reference's scale and shift.
const SCALE: usize = 5;
const SHIFT: usize = 4;

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
        let number = |value: f64, decimals: usize| RowValue::Number { value, decimals };
        assert_eq!(phase[at("phase")], RowValue::Integer(1));
        assert_eq!(phase[at("space_group")], RowValue::Integer(141));
        assert_eq!(phase[at("weight_fraction")], number(0.61234, 4));
        assert_eq!(phase[at("weight_fraction_uncorrected")], number(0.6, 4));
        assert_eq!(phase[at("c")], number(9.51234, 5));
        assert_eq!(phase[at("gamma")], number(90.0, 3));
        assert_eq!(phase[at("size_nm")], number(42.04, 1));
        assert_eq!(phase[at("strain")], number(0.0012, 5));
        assert_eq!(phase[at("source")], RowValue::Text("amcsd:9161".into()));
        assert_eq!(phase[at("rwp")], number(0.0812, 4));
        assert_eq!(phase[at("gof")], number(1.624, 3));
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
        assert_eq!(reference[at("weight_fraction")], number(0.38766, 4));
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
        let number = |value: f64, decimals: usize| RowValue::Number { value, decimals };
        let first = rows[0].values();
        assert_eq!(first.len(), SummationRow::COLUMNS.len());
        assert_eq!(first[2], RowValue::Text("KAOLINITE".into()));
        assert_eq!(first[8], number(0.3, 5));
        assert_eq!(first[11], number(1.424, 3));
        let rest = rows[1].values();
        assert_eq!(rest[1], RowValue::Integer(2));
        assert_eq!(rest[2], RowValue::Empty);
        assert_eq!(rest[4], RowValue::Text("rest".into()));
        assert_eq!(rest[5], number(0.1234, 4));
        assert_eq!(
            &rest[7..10],
            [RowValue::Empty, RowValue::Empty, RowValue::Empty]
        );
    }

    #[test]
    fn the_difference_is_observed_less_calculated() {
        assert_eq!(difference(&[10.0, 5.0], &[8.0, 6.5]), vec![2.0, -1.5]);
    }
}
