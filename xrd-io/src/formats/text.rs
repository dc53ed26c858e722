//! Shared pieces of the text readers: line splitting, number parsing and point collection.

use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

/// The lines of a text file with their 1-based numbers; `\n`, `\r\n`, `\r\r\n` and lone `\r`
/// line ends are all accepted.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let sep = if text.contains('\n') { '\n' } else { '\r' };
    text.split(sep)
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
}

/// The wavelength a header or comment line states as `wavelength: …`, `wavelength = …` or
/// `lambda: …` (what xrd-io's xy writer puts there; any form [`Wavelength`]'s `FromStr` reads),
/// or `None` when the line says something else.
pub(crate) fn header_wavelength(line: &str) -> Option<Wavelength> {
    let line = line.trim_start_matches(['#', '!', ';', ' ', '\t']);
    let key = ["wavelength", "lambda"].into_iter().find(|k| {
        line.get(..k.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(k))
    })?;
    let value = line[key.len()..].trim_start().strip_prefix([':', '='])?;
    value.parse().ok()
}

/// Decodes bytes as UTF-8 (replacing invalid sequences), dropping a byte-order mark.
pub(crate) fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Parses a number; `None` for anything else. Accepts `1`, `-1.5e3`, `.5`, and rejects the words
/// Rust would accept (`inf`, `nan`) so they surface as errors of the caller.
pub(crate) fn number(token: &str) -> Option<f64> {
    let t = token.trim();
    let first = t.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, '-' | '+' | '.')) {
        return parse_special(t);
    }
    t.parse::<f64>().ok().or_else(|| parse_special(t))
}

/// `nan`, `inf` and friends, which are numbers in the file but invalid data.
fn parse_special(t: &str) -> Option<f64> {
    let l = t.trim_start_matches(['+', '-']).to_ascii_lowercase();
    match l.as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "infinity" => Some(if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        _ => None,
    }
}

/// Points of one pattern as they are read, with where each came from.
#[derive(Debug, Default)]
pub(crate) struct Points {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub sigma: Vec<f64>,
    pub at: Vec<Location>,
}

impl Points {
    pub fn with_capacity(n: usize) -> Points {
        Points {
            x: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            sigma: Vec::new(),
            at: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, x: f64, y: f64, sigma: Option<f64>, at: Location) {
        self.x.push(x);
        self.y.push(y);
        if let Some(s) = sigma {
            self.sigma.push(s);
        }
        self.at.push(at);
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Builds the pattern, mapping validation errors to the file and location of the point.
    pub fn finish(
        self,
        file: &str,
        format: Format,
        expected: &str,
        wavelength: Option<Wavelength>,
        mut meta: Metadata,
    ) -> Result<Pattern> {
        if self.x.is_empty() {
            return Err(Error::NoData {
                file: file.to_owned(),
                expected: expected.to_owned(),
            });
        }
        let at = self.at;
        let locate = |e: Error| {
            e.in_file(file)
                .locate(|i| at.get(i).copied().unwrap_or(Location::Point(i)))
        };
        let sigma = (!self.sigma.is_empty()).then_some(self.sigma);
        meta.format = Some(format);
        meta.source = Some(file.to_owned());
        Ok(Pattern::new(self.x, self.y)
            .and_then(|p| p.with_sigma(sigma))
            .map_err(locate)?
            .with_wavelength(wavelength)
            .with_meta(meta))
    }
}

/// Builds a pattern on a uniform axis (formats that store start and step), mapping errors to
/// `at(i)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn uniform(
    file: &str,
    format: Format,
    start: f64,
    step: f64,
    y: Vec<f64>,
    at: impl Fn(usize) -> Location,
    wavelength: Option<Wavelength>,
    mut meta: Metadata,
) -> Result<Pattern> {
    if y.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "at least one intensity".into(),
        });
    }
    if !(start.is_finite() && step.is_finite() && step > 0.0) {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Whole,
            expected: "a finite start and a positive step".into(),
            found: format!("start {start}, step {step}"),
        });
    }
    meta.format = Some(format);
    meta.source = Some(file.to_owned());
    Ok(Pattern::uniform(start, step, y)
        .map_err(|e| e.in_file(file).locate(at))?
        .with_wavelength(wavelength)
        .with_meta(meta))
}

/// The separators of data rows: ASCII whitespace, `;`, and `,` unless it is the decimal mark.
fn is_separator(c: char, decimal_comma: bool) -> bool {
    matches!(c, ' ' | '\t' | ';' | '\x0b' | '\x0c')
        || (c == ',' && !decimal_comma)
        || (!c.is_ascii() && c.is_whitespace())
}

/// The tokens of a data line. `decimal_comma` selects `1,5` as one-and-a-half (with separators
/// whitespace and `;`); otherwise whitespace, `,`, `;` and tabs all separate.
pub(crate) fn tokens(line: &str, decimal_comma: bool) -> impl Iterator<Item = &str> {
    line.split(move |c: char| is_separator(c, decimal_comma))
        .filter(|t| !t.is_empty())
}

/// [`tokens`], collected.
pub(crate) fn split_numbers(line: &str, decimal_comma: bool) -> Vec<&str> {
    tokens(line, decimal_comma).collect()
}

/// Parses one token, with `,` as the decimal mark when `decimal_comma`.
pub(crate) fn number_in(token: &str, decimal_comma: bool) -> Option<f64> {
    if decimal_comma && token.contains(',') {
        number(&token.replacen(',', ".", 1))
    } else {
        number(token)
    }
}

/// Whether a line uses decimal commas: no `.`, at least two whitespace/`;`-separated tokens, each
/// a number once its comma is a dot, and at least one comma.
pub(crate) fn uses_decimal_comma(line: &str) -> bool {
    if line.contains('.') || !line.contains(',') {
        return false;
    }
    let tokens = split_numbers(line, true);
    tokens.len() >= 2 && tokens.iter().all(|t| number_in(t, true).is_some())
}

/// Parses a `key=value` wavelength-like number that may carry units or quotes.
pub(crate) fn leading_number(s: &str) -> Option<f64> {
    let t = s.trim().trim_matches(['\'', '"']).trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == 'e'
                || c == 'E'
                || ((c == '-' || c == '+') && (i == 0 || t[..i].ends_with(['e', 'E']))))
        })
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        let l: Vec<_> = lines("a\r\nb\r\r\nc").collect();
        assert_eq!(l, vec![(1, "a"), (2, "b"), (3, "c")]);
        let l: Vec<_> = lines("a\rb").collect();
        assert_eq!(l, vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn numbers() {
        assert_eq!(number(" 1.5e2 "), Some(150.0));
        assert_eq!(number(".5"), Some(0.5));
        assert!(number("nan").unwrap().is_nan());
        assert_eq!(number("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(number("abc"), None);
        assert_eq!(number("infinite"), None);
        assert!(uses_decimal_comma("41110,0001736 0,29 -0,75"));
        assert!(!uses_decimal_comma("610,1404980"));
        assert!(!uses_decimal_comma("1.5, 2.5"));
        assert_eq!(number_in("0,29", true), Some(0.29));
        assert_eq!(leading_number("'1.540600' A"), Some(1.5406));
        assert_eq!(leading_number("1.5e-1x"), Some(0.15));
    }
}
