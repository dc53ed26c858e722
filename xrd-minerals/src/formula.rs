//! Chemical formulas as published (`Ca2 Al2 Si3 O12 H2`, `Pb2 Ag Cl3 O (F H)`, `SiO2`,
//! `Ti2.4 Mn3.6 D6.024`) read into a composition, to tell whether two structures are the same
//! material.

use crate::{Error, Result};

/// Largest difference of atomic fractions for two compositions to count as the same formula:
/// 0.02, so `Fe0.98 O` is FeO but `Fe3 O4` (0.43) is not `Fe2 O3` (0.40).
pub const SAME_FORMULA_TOLERANCE: f64 = 0.02;

/// Largest atomic fraction of an element that is a trace of a formula: a dopant or impurity
/// the structure was refined with (`(Mn0.983 Fe0.017)2 O3`: Fe 0.7 at.%), which leaves it the
/// same material for diffraction.
pub const TRACE_FRACTION: f64 = 0.01;

/// A composition: element symbols with their atomic fractions (summing to 1), sorted by symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition(Vec<(String, f64)>);

impl Composition {
    /// Reads a formula: element symbols (`Ca`, `O`; deuterium `D` as written) each with an
    /// optional count (`2`, `0.5`), groups in parentheses or brackets with an optional count,
    /// spaces anywhere.
    ///
    /// # Errors
    /// [`Error::Format`] for anything else (unbalanced parentheses, a count without an element,
    /// no element at all).
    pub fn parse(formula: &str) -> Result<Self> {
        let bad = |reason: &str| {
            Err(Error::Format {
                what: format!("formula `{formula}`"),
                reason: reason.to_string(),
            })
        };
        let chars: Vec<char> = formula.chars().collect();
        // A stack of groups; each group a list of (symbol, count).
        let mut stack: Vec<Vec<(String, f64)>> = vec![Vec::new()];
        let mut i = 0;
        let number = |i: &mut usize| -> Option<f64> {
            let start = *i;
            while *i < chars.len() && (chars[*i].is_ascii_digit() || chars[*i] == '.') {
                *i += 1;
            }
            let text: String = chars[start..*i].iter().collect();
            if text.is_empty() {
                None
            } else {
                text.parse().ok()
            }
        };
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() || c == '·' || c == '*' {
                i += 1;
            } else if c == '(' || c == '[' {
                stack.push(Vec::new());
                i += 1;
            } else if c == ')' || c == ']' {
                i += 1;
                let Some(group) = stack.pop() else {
                    return bad("unbalanced parentheses");
                };
                let n = number(&mut i).unwrap_or(1.0);
                let Some(top) = stack.last_mut() else {
                    return bad("unbalanced parentheses");
                };
                top.extend(group.into_iter().map(|(e, k)| (e, k * n)));
                if stack.is_empty() {
                    return bad("unbalanced parentheses");
                }
            } else if c.is_ascii_uppercase() {
                let mut symbol = c.to_string();
                i += 1;
                while i < chars.len() && chars[i].is_ascii_lowercase() {
                    symbol.push(chars[i]);
                    i += 1;
                }
                let n = number(&mut i).unwrap_or(1.0);
                if !(n.is_finite() && n > 0.0) {
                    return bad("a count that is not a positive number");
                }
                if let Some(top) = stack.last_mut() {
                    top.push((symbol, n));
                }
            } else {
                return bad("an unexpected character");
            }
        }
        if stack.len() != 1 {
            return bad("unbalanced parentheses");
        }
        let mut counts: Vec<(String, f64)> = Vec::new();
        for (e, n) in stack.pop().unwrap_or_default() {
            match counts.iter_mut().find(|(s, _)| *s == e) {
                Some((_, k)) => *k += n,
                None => counts.push((e, n)),
            }
        }
        Self::from_counts(counts).map_or_else(|| bad("no element"), Ok)
    }

    /// A composition of element symbols with amounts (any positive scale); None without a
    /// positive amount.
    pub fn from_counts(mut counts: Vec<(String, f64)>) -> Option<Self> {
        counts.retain(|(_, n)| *n > 0.0);
        let total: f64 = counts.iter().map(|(_, n)| n).sum();
        if !(total.is_finite() && total > 0.0) {
            return None;
        }
        for (_, n) in &mut counts {
            *n /= total;
        }
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        Some(Composition(counts))
    }

    /// The elements with their atomic fractions, sorted by symbol.
    pub fn fractions(&self) -> &[(String, f64)] {
        &self.0
    }

    /// The oxidation state of each cation by charge balance, where the formula fixes it: O −2,
    /// F, Cl, Br, I −1, H +1 beside O, C +4 in a carbonate (three O or more per C), and the one
    /// remaining element whatever balances them (0 for a pure element). `None` when the anions
    /// are others (sulfides, nitrides) or more than one element is left to balance.
    ///
    /// ```
    /// use xrd_minerals::Composition;
    /// let q = |f: &str| Composition::parse(f).unwrap().oxidation_states();
    /// assert_eq!(q("V2O5"), Some(vec![("V".to_string(), 5.0)]));
    /// assert_eq!(q("Mn C O3"), Some(vec![("C".to_string(), 4.0), ("Mn".to_string(), 2.0)]));
    /// assert_eq!(q("C"), Some(vec![("C".to_string(), 0.0)]));
    /// assert_eq!(q("Ca Mg C2 O6"), None); // two cations to balance
    /// ```
    pub fn oxidation_states(&self) -> Option<Vec<(String, f64)>> {
        let count = |el: &str| {
            self.0
                .iter()
                .find(|(e, _)| e == el)
                .map_or(0.0, |(_, f)| *f)
        };
        if self.0.len() == 1 {
            return Some(vec![(self.0[0].0.clone(), 0.0)]);
        }
        let o = count("O");
        let mut charge = -2.0 * o;
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for (e, f) in &self.0 {
            match e.as_str() {
                "O" => {}
                "F" | "Cl" | "Br" | "I" => charge -= f,
                "H" | "D" if o > 0.0 => charge += f,
                "C" if o >= 3.0 * f - 1e-9 => {
                    charge += 4.0 * f;
                    known.push((e.clone(), 4.0));
                }
                "S" | "Se" | "Te" | "N" | "P" | "As" if o == 0.0 => return None,
                _ => unknown.push((e.clone(), *f)),
            }
        }
        if o == 0.0
            && !self
                .0
                .iter()
                .any(|(e, _)| matches!(e.as_str(), "F" | "Cl" | "Br" | "I"))
        {
            return None;
        }
        match unknown.as_slice() {
            // Rounded: the fractions are normalised, and V₂O₅'s +5 should read 5.0.
            [(e, f)] if *f > 0.0 => known.push((e.clone(), (-charge / f * 1e6).round() / 1e6)),
            [] => {}
            _ => return None,
        }
        known.sort_by(|a, b| a.0.cmp(&b.0));
        Some(known)
    }

    /// The elements at most [`TRACE_FRACTION`] of the atoms, with their fractions; none when
    /// together they are more than twice that (several minor elements make another member of a
    /// series), or every element is one (a formula of a hundred elements).
    pub fn traces(&self) -> Vec<(&str, f64)> {
        let traces: Vec<(&str, f64)> = (self.0.iter())
            .filter(|(_, f)| *f <= TRACE_FRACTION)
            .map(|(e, f)| (e.as_str(), *f))
            .collect();
        let total: f64 = traces.iter().map(|(_, f)| f).sum();
        if traces.len() == self.0.len() || total > 2.0 * TRACE_FRACTION {
            return Vec::new();
        }
        traces
    }

    /// The composition without its [`Composition::traces`], the rest renormalised.
    ///
    /// ```
    /// use xrd_minerals::Composition;
    /// let doped = Composition::parse("(Fe.034 Mn1.966) O3").unwrap();
    /// assert_eq!(doped.traces(), [("Fe", 0.034 / 5.0)]);
    /// assert!(doped.without_traces().same_formula(&Composition::parse("Mn2O3").unwrap()));
    /// ```
    pub fn without_traces(&self) -> Composition {
        let traces = self.traces();
        if traces.is_empty() {
            return self.clone();
        }
        let kept = (self.0.iter())
            .filter(|(e, _)| !traces.iter().any(|(t, _)| t == e))
            .cloned()
            .collect();
        Self::from_counts(kept).unwrap_or_else(|| self.clone())
    }

    /// Whether both have the same elements and their fractions differ by at most
    /// [`SAME_FORMULA_TOLERANCE`].
    pub fn same_formula(&self, other: &Composition) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((a, x), (b, y))| a == b && (x - y).abs() <= SAME_FORMULA_TOLERANCE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(f: &str) -> Composition {
        Composition::parse(f).unwrap()
    }

    #[test]
    fn published_formulas() {
        assert_eq!(
            c("Ca2 Al2 Si3 O12 H2").fractions(),
            [
                ("Al".to_string(), 2.0 / 21.0),
                ("Ca".to_string(), 2.0 / 21.0),
                ("H".to_string(), 2.0 / 21.0),
                ("O".to_string(), 12.0 / 21.0),
                ("Si".to_string(), 3.0 / 21.0)
            ]
        );
        assert!(c("SiO2").same_formula(&c("Si O2")));
        assert!(c("Si2Mo").same_formula(&c("Mo Si2")));
        assert!(c("Pb2 Ag Cl3 O (F H)").same_formula(&c("Pb2AgCl3OFH")));
        assert!(c("Ca3(PO4)2").same_formula(&c("Ca3 P2 O8")));
        assert!(c("Ti2.4 Mn3.6 D6.024").same_formula(&c("Ti2.4Mn3.6D6")));
        assert!(c("Fe0.98 O").same_formula(&c("FeO")));
        assert!(!c("Fe3 O4").same_formula(&c("Fe2 O3")));
        assert!(!c("Na Cl").same_formula(&c("K Cl")));
        assert!(!c("Na Cl").same_formula(&c("Na Cl O3")));
    }

    #[test]
    fn traces_are_the_elements_of_one_per_cent_or_less() {
        assert!(c("Fe3 O4").traces().is_empty());
        assert_eq!(c("V2 Mg.01 O5").traces(), [("Mg", 0.01 / 7.01)]);
        // 1.2 at.%: a dopant, not a trace.
        assert!(c("(Mn.94 Ca.06) C O3").traces().is_empty());
        assert!(!c("(Mn.96 Ca.04) C O3").same_formula(&c("MnCO3")));
        assert!(
            c("(Mn.96 Ca.04) C O3")
                .without_traces()
                .same_formula(&c("MnCO3"))
        );
        // Every element at 1 % or less: none is a trace.
        // Five minor elements of 2.7 at.% together: a member of a series, not traces.
        assert!(
            c("Cu9.73 Zn0.1 Fe0.08 Ni0.05 Co0.03 Mn0.03 S")
                .traces()
                .is_empty()
        );
        let even =
            Composition::from_counts((0..101).map(|k| (format!("E{k}"), 1.0)).collect()).unwrap();
        assert!(even.traces().is_empty());
        assert_eq!(even.without_traces(), even);
    }

    #[test]
    fn malformed_formulas_are_errors() {
        for f in ["", "  ", "(Ca", "Ca)", "2", "ca", "Ca-O", "O0", "]"] {
            assert!(
                matches!(Composition::parse(f), Err(Error::Format { .. })),
                "{f}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = Composition::parse(&s);
        }
    }
}
