//! Symmetry operators written as `x, y+1/2, -z`.

use crate::{Error, Result};

/// An affine symmetry operation on fractional coordinates: r′ = R r + t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymOp {
    /// Rotation part (rows act on (x, y, z)).
    pub rotation: [[f64; 3]; 3],
    /// Translation part.
    pub translation: [f64; 3],
}

impl SymOp {
    /// The identity.
    pub const IDENTITY: Self = Self {
        rotation: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        translation: [0.0; 3],
    };

    /// Parses `x, y+1/2, -z` (also `+x,+y,+z`, `1/2-y`, `x-y`, `0.5+x`, upper case).
    ///
    /// # Errors
    /// [`Error::SymmetryOperator`] if the text is not three affine expressions in x, y, z.
    pub fn parse(text: &str) -> Result<Self> {
        let err = || Error::SymmetryOperator(text.to_string());
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() != 3 {
            return Err(err());
        }
        let mut op = Self {
            rotation: [[0.0; 3]; 3],
            translation: [0.0; 3],
        };
        for (i, p) in parts.iter().enumerate() {
            let (row, t) = parse_component(p).ok_or_else(err)?;
            op.rotation[i] = row;
            op.translation[i] = t;
        }
        Ok(op)
    }

    /// Applies the operation to fractional coordinates.
    pub fn apply(&self, r: [f64; 3]) -> [f64; 3] {
        let m = &self.rotation;
        [0, 1, 2].map(|i| m[i][0] * r[0] + m[i][1] * r[1] + m[i][2] * r[2] + self.translation[i])
    }
}

/// One component, e.g. `1/2-y` → ([0, −1, 0], 0.5).
fn parse_component(s: &str) -> Option<([f64; 3], f64)> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    let mut row = [0.0; 3];
    let mut t = 0.0;
    let mut rest = s.as_str();
    let mut any = false;
    while !rest.is_empty() {
        let mut sign = 1.0;
        if let Some(r) = rest.strip_prefix('+') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('-') {
            sign = -1.0;
            rest = r;
        } else if any {
            return None;
        }
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        let coef = if num.is_empty() {
            None
        } else {
            Some(parse_number(num)?)
        };
        let mut after = after;
        if let Some(r) = after.strip_prefix('*') {
            after = r;
        }
        match after.chars().next() {
            Some(c @ ('x' | 'y' | 'z')) => {
                let k = (c as u8 - b'x') as usize;
                row[k] += sign * coef.unwrap_or(1.0);
                rest = &after[1..];
            }
            _ => {
                t += sign * coef?;
                rest = after;
            }
        }
        any = true;
    }
    (row.iter().chain([&t]).all(|v| v.is_finite())).then_some((row, t))
}

fn parse_number(s: &str) -> Option<f64> {
    match s.split_once('/') {
        Some((a, b)) => {
            let (a, b): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
            (b != 0.0).then(|| a / b)
        }
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let op = SymOp::parse("1/2-y, 1/2+x, 1/2+z").unwrap();
        assert_eq!(op.apply([0.1, 0.2, 0.3]), [0.3, 0.6, 0.8]);
        let op = SymOp::parse("+x,+y,-z").unwrap();
        assert_eq!(op.apply([0.1, 0.2, 0.3]), [0.1, 0.2, -0.3]);
        let op = SymOp::parse("X-Y, X, Z+0.5").unwrap();
        assert_eq!(op.apply([0.5, 0.25, 0.0]), [0.25, 0.5, 0.5]);
        let op = SymOp::parse("-x+1/3, y, z").unwrap();
        assert!((op.apply([0.0; 3])[0] - 1.0 / 3.0).abs() < 1e-15);
        for bad in [
            "x,y", "x,y,z,x", "x,y,w", "x,,z", "x,y,1/0", "x y,y,z", "x,y,z+",
        ] {
            let r = SymOp::parse(bad);
            assert!(
                matches!(&r, Err(Error::SymmetryOperator(op)) if op == bad),
                "{bad}: {r:?}"
            );
        }
    }
}
