//! The files a fit writes, one writer for every front end: `fit.csv` and `refinement.json`
//! (`quantification.json` for a summation), as `xrd refine --out` writes them and the
//! workbench exports them.

use serde::Serialize;

use crate::{Refined, Result, Summed, difference};

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `fit.csv`: 2θ, observed, calculated, background, difference, then each named curve.
fn fit_csv(
    two_theta: &[f64],
    observed: &[f64],
    calculated: &[f64],
    background: &[f64],
    curves: &[(&str, &[f64])],
) -> String {
    let mut csv = String::from("two_theta,observed,calculated,background,difference");
    for (name, _) in curves {
        csv.push(',');
        csv.push_str(&csv_field(name));
    }
    csv.push('\n');
    let difference = difference(observed, calculated);
    for i in 0..two_theta.len() {
        csv.push_str(&format!(
            "{:.5},{},{:.3},{:.3},{:.3}",
            two_theta[i], observed[i], calculated[i], background[i], difference[i]
        ));
        for (_, c) in curves {
            csv.push_str(&format!(",{:.3}", c[i]));
        }
        csv.push('\n');
    }
    csv
}

#[derive(Serialize)]
struct RefinementFile<'a> {
    file: &'a str,
    sources: &'a [String],
    /// Which structure each spec resolved to, and why.
    choices: &'a [xrd_minerals::ChoiceReport],
    refinement: &'a xrd_refine::Refinement,
}

#[derive(Serialize)]
struct QuantificationFile<'a> {
    file: &'a str,
    library: &'a std::path::Path,
    quantification: &'a xrd_refine::Quantification,
}

impl Refined {
    /// `fit.csv`: the curves at every point refined, each phase's and measured reference's
    /// curve by name.
    pub fn fit_csv(&self) -> String {
        refinement_fit_csv(&self.refinement)
    }

    /// `refinement.json`: the pattern's label, each phase's source and the choice of its
    /// structure, and the refinement.
    ///
    /// # Errors
    /// The refinement cannot be written as JSON (a non-finite number).
    pub fn refinement_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&RefinementFile {
            file: &self.file,
            sources: &self.sources,
            choices: &self.choices,
            refinement: &self.refinement,
        })
        .map_err(|e| crate::Error::Input(format!("refinement.json: {e}")))
    }
}

impl Summed {
    /// `fit.csv` of a summation: each reference's curve by id.
    pub fn fit_csv(&self) -> String {
        let q = &self.quantification;
        let curves: Vec<(&str, &[f64])> = q
            .references
            .iter()
            .map(|r| r.id.as_str())
            .zip(q.curves.iter().map(Vec::as_slice))
            .collect();
        fit_csv(
            &q.two_theta,
            &q.observed,
            &q.calculated,
            &q.background,
            &curves,
        )
    }

    /// `quantification.json`: the pattern's label, the reference library and the summation.
    ///
    /// # Errors
    /// The summation cannot be written as JSON.
    pub fn quantification_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&QuantificationFile {
            file: &self.file,
            library: &self.library,
            quantification: &self.quantification,
        })
        .map_err(|e| crate::Error::Input(format!("quantification.json: {e}")))
    }
}

/// `fit.csv` of one refinement: the curves at every point refined, each phase's and measured
/// reference's curve by name.
fn refinement_fit_csv(f: &xrd_refine::Refinement) -> String {
    let curves: Vec<(&str, &[f64])> = f
        .phases
        .iter()
        .map(|p| p.name.as_str())
        .chain(f.references.iter().map(|r| r.id.as_str()))
        .zip(f.phase_curves.iter().chain(&f.reference_curves))
        .map(|(n, c)| (n, c.as_slice()))
        .collect();
    fit_csv(
        &f.two_theta,
        &f.observed,
        &f.calculated,
        &f.background,
        &curves,
    )
}

impl crate::JointRefined {
    /// `fit_N.csv` of pattern `k` (0-based) of a joint refinement; none beyond the last.
    pub fn fit_csv(&self, k: usize) -> Option<String> {
        self.refinement.histograms.get(k).map(refinement_fit_csv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_where_they_must_be() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn fit_csv_has_a_column_per_curve_and_a_row_per_point() {
        let text = fit_csv(
            &[10.0, 10.02],
            &[5.0, 7.0],
            &[4.5, 7.25],
            &[1.0, 1.0],
            &[("a,b", &[1.0, 2.0][..])],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "two_theta,observed,calculated,background,difference,\"a,b\""
        );
        assert_eq!(lines[1], "10.00000,5,4.500,1.000,0.500,1.000");
        assert_eq!(lines[2], "10.02000,7,7.250,1.000,-0.250,2.000");
    }
}
