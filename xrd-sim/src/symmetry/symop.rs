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

    /// The operation as `x,y+1/2,-z` (translations as fractions of 12ths where they are, else
    /// decimals): [`SymOp::parse`] reads it back.
    ///
    /// ```
    /// use xrd_sim::SymOp;
    /// let op = SymOp::parse("1/2-y, x-y, z+1/3")?;
    /// assert_eq!(op.to_xyz(), "-y+1/2,x-y,z+1/3");
    /// assert_eq!(SymOp::parse(&op.to_xyz())?, op);
    /// # Ok::<(), xrd_sim::Error>(())
    /// ```
    pub fn to_xyz(&self) -> String {
        let component = |row: [f64; 3], t: f64| {
            let mut out = String::new();
            for (c, name) in row.iter().zip(['x', 'y', 'z']) {
                if *c == 0.0 {
                    continue;
                }
                if *c < 0.0 {
                    out.push('-');
                } else if !out.is_empty() {
                    out.push('+');
                }
                if (c.abs() - 1.0).abs() > 1e-12 {
                    out.push_str(&format!("{}*", c.abs()));
                }
                out.push(name);
            }
            let t = t - t.floor();
            if t.abs() > 1e-9 && (1.0 - t).abs() > 1e-9 {
                let twelfths = t * 12.0;
                let text = if (twelfths - twelfths.round()).abs() < 1e-9 {
                    let (mut n, mut d) = (twelfths.round() as i64, 12i64);
                    let g = gcd(n, d);
                    n /= g;
                    d /= g;
                    format!("{n}/{d}")
                } else {
                    format!("{t}")
                };
                if !out.is_empty() {
                    out.push('+');
                }
                out.push_str(&text);
            }
            if out.is_empty() {
                out.push('0');
            }
            out
        };
        (0..3)
            .map(|i| component(self.rotation[i], self.translation[i]))
            .collect::<Vec<_>>()
            .join(",")
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

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
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

    #[test]
    fn every_operation_of_every_group_round_trips_through_text() {
        for n in 1..=230u8 {
            let g = crate::SpaceGroup::new(n).unwrap();
            for op in g.operations() {
                let back = SymOp::parse(&op.to_xyz()).unwrap();
                for i in 0..3 {
                    for j in 0..3 {
                        assert!((back.rotation[i][j] - op.rotation[i][j]).abs() < 1e-12);
                    }
                    let d = back.translation[i] - op.translation[i];
                    assert!((d - d.round()).abs() < 1e-12, "{n}: {}", op.to_xyz());
                }
            }
        }
    }
}
