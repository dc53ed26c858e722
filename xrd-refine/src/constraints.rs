//! Constraints as one linear map from a fit's free variables to the model's parameters: a
//! parameter either follows one variable, p = c · x, or is held at its value. A selection (each
//! free parameter its own variable, c = 1) is the common case; an equivalence is a second
//! parameter following the same variable. Bounds are the parameters', carried to the variables.
//!
//! A cell's symmetry ties sit one level down, in the cell's parametrisation (`cell.rs`): its
//! free parameters already are the independent combinations of the six metric coefficients.

use crate::parameter::Table;

/// A parameter's column in a Jacobian and its coefficient there, or none (held).
pub(crate) type Column = Option<(usize, f64)>;

/// The free variables of one fit and the parameters that follow them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Constraints {
    /// Per parameter: the variable it follows and its coefficient, or none (held).
    ties: Vec<Column>,
    /// Per variable: the parameters that follow it, the first one the variable's own.
    members: Vec<Vec<usize>>,
}

impl Constraints {
    /// Each of the `free` parameters (of `n`) a variable of its own, in the order given.
    pub fn select(n: usize, free: &[usize]) -> Self {
        let mut ties = vec![None; n];
        for (k, &i) in free.iter().enumerate() {
            ties[i] = Some((k, 1.0));
        }
        Self {
            ties,
            members: free.iter().map(|&i| vec![i]).collect(),
        }
    }

    /// Parameter `follower` follows `leader`'s variable with coefficient `c` (p = c · x, the
    /// leader's own coefficient taken as given): an equivalence, a row of the map.
    #[cfg(test)]
    pub fn tie(&mut self, leader: usize, follower: usize, c: f64) {
        if leader == follower {
            return;
        }
        if let Some((old, _)) = self.ties[follower] {
            self.members[old].retain(|&i| i != follower);
            // A variable left without parameters is dropped, the later ones renumbered.
            if self.members[old].is_empty() {
                self.members.remove(old);
                for (k, _) in self.ties.iter_mut().flatten() {
                    if *k > old {
                        *k -= 1;
                    }
                }
            }
            self.ties[follower] = None;
        }
        let Some((k, lc)) = self.ties[leader] else {
            return;
        };
        self.ties[follower] = Some((k, c * lc));
        self.members[k].push(follower);
    }

    /// The number of free variables.
    /// The parameter variable `k` is its own (the first that follows it).
    pub fn leader(&self, k: usize) -> usize {
        self.members[k][0]
    }

    pub fn variables(&self) -> usize {
        self.members.len()
    }

    /// Per parameter: its variable's column and coefficient in a Jacobian, or none.
    pub fn columns(&self) -> &[Column] {
        &self.ties
    }

    /// The variables at parameter `values` (read from each representative).
    pub fn read(&self, values: &[f64]) -> Vec<f64> {
        self.members
            .iter()
            .map(|m| {
                let (_, c) = self.ties[m[0]].unwrap_or((0, 1.0));
                values[m[0]] / c
            })
            .collect()
    }

    /// Sets the parameters that follow a variable from `x`; the held ones keep their values.
    pub fn write(&self, x: &[f64], values: &mut [f64]) {
        for (i, t) in self.ties.iter().enumerate() {
            if let Some((k, c)) = *t {
                values[i] = c * x[k];
            }
        }
    }

    /// Each variable's bounds: the tightest its parameters' bounds allow.
    pub fn bounds(&self, table: &Table) -> Vec<(f64, f64)> {
        self.members
            .iter()
            .map(|m| {
                m.iter()
                    .fold((f64::NEG_INFINITY, f64::INFINITY), |(lo, hi), &i| {
                        let (_, c) = self.ties[i].unwrap_or((0, 1.0));
                        let p = &table[i];
                        let (a, b) = if c >= 0.0 {
                            (p.lo / c, p.hi / c)
                        } else {
                            (p.hi / c, p.lo / c)
                        };
                        (lo.max(a), hi.min(b))
                    })
            })
            .collect()
    }

    /// The parameters that follow variable `k`, its own first.
    pub fn members(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        self.members[k].iter().copied()
    }

    /// A variable's name: its parameters' names joined by `=`.
    pub fn name(&self, table: &Table, k: usize) -> String {
        self.members[k]
            .iter()
            .map(|&i| table[i].key.to_string())
            .collect::<Vec<_>>()
            .join(" = ")
    }

    /// The covariance of parameters `a` and `b` from the variables' covariance `cov`: zero
    /// for a held one.
    pub fn covariance(&self, a: usize, b: usize, cov: impl Fn(usize, usize) -> f64) -> f64 {
        match (self.ties[a], self.ties[b]) {
            (Some((x, ca)), Some((y, cb))) => ca * cb * cov(x, y),
            _ => 0.0,
        }
    }

    /// Whether parameter `i` follows a variable.
    pub fn is_free(&self, i: usize) -> bool {
        self.ties[i].is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameter::{Id, Owners};

    #[test]
    fn a_selection_reads_and_writes_its_parameters_unchanged() {
        let c = Constraints::select(4, &[1, 3]);
        assert_eq!(c.variables(), 2);
        assert_eq!(c.read(&[9.0, -0.0, 7.0, 2.5]), [-0.0, 2.5]);
        let mut v = [9.0, 0.0, 7.0, 0.0];
        c.write(&[1.5, -2.0], &mut v);
        assert_eq!(v, [9.0, 1.5, 7.0, -2.0]);
        assert!(c.is_free(3) && !c.is_free(2));
    }

    #[test]
    fn a_tie_moves_both_parameters_and_takes_the_tighter_bounds() {
        let owners = Owners {
            phases: &["a".to_string(), "b".to_string()],
            cells: &[Vec::new(), Vec::new()],
            references: &[],
            sites: &[],
        };
        let mut t = Table::default();
        t.push(Id::B(0), &owners, 0.0, -1.0, 5.0);
        t.push(Id::B(1), &owners, 0.0, -1.0, 3.0);
        let mut c = Constraints::select(2, &[0, 1]);
        c.tie(0, 1, 2.0);
        assert_eq!(c.variables(), 1, "the follower's own variable is dropped");
        let mut v = [0.0, 0.0];
        c.write(&[1.0], &mut v);
        assert_eq!(v, [1.0, 2.0]);
        assert_eq!(c.bounds(&t)[0], (-0.5, 1.5));
        assert_eq!(c.name(&t, 0), "a.B = b.B");
        assert_eq!(c.covariance(0, 1, |_, _| 0.25), 0.5);
    }
}
