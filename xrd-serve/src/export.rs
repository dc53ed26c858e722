//! What a fit exports: the files `xrd refine --out` writes (`fit.csv`, `refinement.json`, the
//! refined CIFs), the table `xrd refine --format csv` prints, and the command line and Python
//! call that reproduce the fit.
//!
//! The files are the job layer's (`Refined::fit_csv`, `Refined::refinement_json`, …), the ones
//! `xrd refine --out` writes; the browser test runs the exported command and compares.

use std::path::Path;

use xrd_jobs::{RefineOptions, RefinementRow, RowValue, SummationRow};

use crate::job::Fit;

use xrd_jobs::csv_field;

/// A row's value as a CSV cell, at its quantity's precision (as the command line prints it).
pub(crate) fn cell(v: RowValue) -> String {
    match v {
        RowValue::Text(t) => csv_field(&t),
        RowValue::Integer(n) => n.to_string(),
        RowValue::Number { value, quantity } => format!("{value:.*}", quantity.decimals()),
        _ => String::new(),
    }
}

/// A table of `columns` and `rows` as CSV.
pub(crate) fn rows_csv<R: IntoIterator<Item = RowValue>>(
    columns: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> String {
    let mut out = columns
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(cell).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The table of `xrd refine --format csv`: a refinement's rows, or a summation's.
pub(crate) fn table_csv(fit: &Fit) -> String {
    match fit {
        Fit::Refined(r) => rows_csv(
            &RefinementRow::COLUMNS,
            r.rows.iter().map(RefinementRow::values),
        ),
        Fit::Summed(s) => rows_csv(
            &SummationRow::COLUMNS,
            s.rows.iter().map(SummationRow::values),
        ),
    }
}

/// `fit.csv` as `xrd refine --out` writes it.
pub(crate) fn fit_csv(fit: &Fit) -> String {
    match fit {
        Fit::Refined(r) => r.fit_csv(),
        Fit::Summed(s) => s.fit_csv(),
    }
}

/// A command-line word, quoted for a POSIX shell when it needs it.
pub(crate) fn shell(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The `xrd refine` arguments (after `refine`) that run `options` on `pattern`, writing into
/// `out`: only the options that differ from their defaults.
pub(crate) fn command_args(pattern: &Path, options: &RefineOptions, out: &str) -> Vec<String> {
    let d = RefineOptions::default();
    let mut a = vec![pattern.display().to_string()];
    let mut push = |flag: &str, value: String| {
        a.push(flag.to_string());
        a.push(value);
    };
    for p in &options.phases {
        push("--phase", p.clone());
    }
    for l in &options.library {
        push("--library", l.display().to_string());
    }
    if let Some(r) = &options.reference_library {
        push("--references", r.display().to_string());
    }
    for r in &options.references {
        push("--reference", r.clone());
    }
    if options.rir_bridge != d.rir_bridge {
        push("--rir-bridge", options.rir_bridge.clone());
    }
    if options.alignment != d.alignment {
        push("--alignment", options.alignment.clone());
    }
    if options.max_shift != d.max_shift {
        push("--max-shift", options.max_shift.to_string());
    }
    if let Some(i) = &options.instrument {
        push("--instrument", i.display().to_string());
    }
    if let Some(s) = &options.standard {
        push("--standard", s.to_string());
    }
    if let Some(c) = &options.calibrate {
        push("--calibrate", c.to_string());
    }
    if let Some(v) = options.particle_size {
        push("--particle-size", v.to_string());
    }
    if let Some(v) = options.monochromator {
        push("--monochromator", v.to_string());
    }
    if let Some(v) = options.polarisation {
        push("--polarisation", v.to_string());
    }
    if let Some(v) = options.capillary {
        push("--capillary", v.to_string());
    }
    if let Some(g) = &options.geometry {
        push("--geometry", g.clone());
    }
    if let Some(w) = options.wavelength {
        push("--wavelength", w.to_string());
    }
    if let Some(b) = options.background {
        push("--background", b.to_string());
    }
    if options.humps != d.humps {
        push("--humps", options.humps.to_string());
    }
    if options.stages != d.stages {
        push("--stages", options.stages.join(","));
    }
    if options.max_candidates != d.max_candidates {
        push("--max-candidates", options.max_candidates.to_string());
    }
    if options.atoms != d.atoms {
        push("--refine-atoms", options.atoms.join(","));
    }
    for r in &options.restraints {
        push("--restrain", r.clone());
    }
    if options.texture_harmonics != d.texture_harmonics {
        push("--texture-harmonics", options.texture_harmonics.to_string());
    }
    if !options.builtin {
        a.push("--no-builtin".into());
    }
    if let Some((lo, hi)) = options.two_theta_range {
        a.extend(["--range".into(), lo.to_string(), hi.to_string()]);
    }
    for (lo, hi) in &options.exclude {
        a.extend(["--exclude".into(), lo.to_string(), hi.to_string()]);
    }
    for id in &options.fix {
        a.extend(["--fix".into(), id.clone()]);
    }
    for id in &options.free {
        a.extend(["--free".into(), id.clone()]);
    }
    a.extend(["--out".into(), out.to_string()]);
    a
}

/// The shell command line.
pub(crate) fn command_line(pattern: &Path, options: &RefineOptions, out: &str) -> String {
    let words: Vec<String> = command_args(pattern, options, out)
        .iter()
        .map(|w| shell(w))
        .collect();
    format!("xrd refine {}", words.join(" "))
}

/// The Python call (`xrd.refine`, the same options as keywords).
pub(crate) fn python_call(pattern: &Path, options: &RefineOptions) -> String {
    let d = serde_json::to_value(RefineOptions::default()).unwrap_or_default();
    let o = serde_json::to_value(options).unwrap_or_default();
    let mut kw = Vec::new();
    if let (Some(o), Some(d)) = (o.as_object(), d.as_object()) {
        for (k, v) in o {
            if d.get(k) == Some(v) {
                continue;
            }
            let literal = match (k.as_str(), v) {
                ("wavelength", _) => options
                    .wavelength
                    .map_or("None".into(), |w| format!("{:?}", w.to_string())),
                ("standard" | "calibrate", serde_json::Value::Object(m)) => format!(
                    "({}, {})",
                    python_literal(m.get("spec").unwrap_or(&serde_json::Value::Null)),
                    python_literal(m.get("weight").unwrap_or(&serde_json::Value::Null))
                ),
                ("two_theta_range", serde_json::Value::Array(a)) => python_tuple(a),
                // A list of (from, to) tuples: the bindings read a pair from a tuple.
                ("exclude", serde_json::Value::Array(regions)) => format!(
                    "[{}]",
                    regions
                        .iter()
                        .map(|r| r.as_array().map_or("None".into(), |a| python_tuple(a)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => python_literal(v),
            };
            kw.push(format!("{k}={literal}"));
        }
    }
    let path = python_literal(&serde_json::Value::String(pattern.display().to_string()));
    format!("import xrd\nfit = xrd.refine({path}, {})", kw.join(", "))
}

fn python_tuple(a: &[serde_json::Value]) -> String {
    format!(
        "({})",
        a.iter().map(python_literal).collect::<Vec<_>>().join(", ")
    )
}

fn python_literal(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{:?}: {}", k, python_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option the workbench takes reaches the exported command: a field added to
    /// `RefineOptions` fails here until it is exported (or named as refused).
    #[test]
    fn every_option_reaches_the_command() {
        let flags = [
            ("phases", "--phase"),
            ("library", "--library"),
            ("builtin", "--no-builtin"),
            ("references", "--reference"),
            ("reference_library", "--references"),
            ("rir_bridge", "--rir-bridge"),
            ("alignment", "--alignment"),
            ("max_shift", "--max-shift"),
            ("instrument", "--instrument"),
            ("standard", "--standard"),
            ("calibrate", "--calibrate"),
            ("particle_size", "--particle-size"),
            ("monochromator", "--monochromator"),
            ("polarisation", "--polarisation"),
            ("capillary", "--capillary"),
            ("geometry", "--geometry"),
            ("wavelength", "--wavelength"),
            ("two_theta_range", "--range"),
            ("exclude", "--exclude"),
            ("fix", "--fix"),
            ("free", "--free"),
            ("background", "--background"),
            ("humps", "--humps"),
            ("stages", "--stages"),
            ("max_candidates", "--max-candidates"),
            ("atoms", "--refine-atoms"),
            ("restraints", "--restrain"),
            ("texture_harmonics", "--texture-harmonics"),
        ];
        // The workbench refuses it (it writes no files).
        let refused = ["save_instrument"];
        let defaults = serde_json::to_value(RefineOptions::default()).unwrap();
        let keys: Vec<&str> = defaults
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for k in &keys {
            assert!(
                flags.iter().any(|(f, _)| f == k) || refused.contains(k),
                "`{k}` is not exported"
            );
        }
        let options: RefineOptions = serde_json::from_value(serde_json::json!({
            "phases": ["PbSO4.cif"], "library": ["cifs"], "builtin": false,
            "references": ["KAOLINITE"], "reference_library": "refs.csv",
            "rir_bridge": "quartz", "alignment": "sample", "max_shift": 0.25,
            "instrument": "a.prm", "standard": {"spec": "corundum", "weight": 0.2},
            "calibrate": {"spec": "pawley:x", "weight": 0.3}, "particle_size": 3.0,
            "monochromator": 26.6, "polarisation": 0.9, "capillary": 0.5,
            "geometry": "debye_scherrer", "two_theta_range": [10.0, 80.0],
            "exclude": [[20.0, 21.0]], "fix": ["instrument.zero"], "free": ["PbSO4.B"],
            "background": 6, "humps": 2, "stages": ["scale", "cells", "atoms"],
            "max_candidates": 5, "atoms": ["xyz"], "restraints": ["PbSO4:S-O1=1.47/0.01"],
            "texture_harmonics": 6
        }))
        .unwrap();
        let options = RefineOptions {
            wavelength: Some(xrd_io::Wavelength::monochromatic(1.0).unwrap()),
            ..options
        };
        let args = command_args(Path::new("p.xy"), &options, "fit");
        for (key, flag) in flags {
            assert!(
                args.iter().any(|a| a == flag),
                "`{key}`: no {flag} in {args:?}"
            );
        }
        assert!(
            args.windows(2)
                .any(|w| w == ["--geometry", "debye_scherrer"])
        );
        assert!(args.windows(2).any(|w| w == ["--refine-atoms", "xyz"]));
    }
}
