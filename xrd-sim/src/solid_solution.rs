//! Vegard-law solid solutions between two structures of one type.

use crate::{Error, Lattice, Result, Site, Structure};

/// Largest distance (fractional units, per axis, modulo 1) between paired sites of the end
/// members: farther apart, the two are not one structure type in one setting.
pub const MAX_SITE_MISMATCH: f64 = 0.1;

impl Structure {
    /// The solid solution `(1 − x)·self + x·other` by Vegard's law: cell lengths and angles
    /// interpolated linearly, each site of `self` paired with the nearest site of `other` (both
    /// full cells of one structure type in the same setting), its position and B interpolated,
    /// and its occupancy shared — one site when both ends hold the same species, two sites at
    /// the same position with occupancies `(1 − x)·occ` and `x·occ′` when they differ (a mixed
    /// site, as a CIF writes it). `x = 0` gives `self`'s sites and `x = 1` `other`'s.
    ///
    /// ```
    /// use xrd_sim::{Lattice, Site, Structure, Species, Element};
    /// let el = |s: &str| Element::from_symbol(s).unwrap();
    /// let rock_salt = |cation: Element, a: f64| -> Structure {
    ///     let l = Lattice::from_parameters(a, a, a, 90.0, 90.0, 90.0).unwrap();
    ///     Structure::new(l, vec![
    ///         Site::new(Species::neutral(cation), [0.0, 0.0, 0.0]),
    ///         Site::new(Species::neutral(el("Cl")), [0.5, 0.5, 0.5]),
    ///     ]).unwrap()
    /// };
    /// let (nacl, kcl) = (rock_salt(el("Na"), 5.64), rock_salt(el("K"), 6.29));
    /// let mixed = nacl.solid_solution(&kcl, 0.25)?;
    /// assert!((mixed.lattice().lengths()[0] - 5.8025).abs() < 1e-12);
    /// assert_eq!(mixed.formula(), "Na0.750 K0.250 Cl1");
    /// # Ok::<(), xrd_sim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `x` outside [0, 1], end members with different numbers
    /// of sites, or a site with no partner within [`MAX_SITE_MISMATCH`]; errors of the
    /// interpolated cell.
    pub fn solid_solution(&self, other: &Structure, x: f64) -> Result<Structure> {
        let invalid = |name: &'static str, reason: String| Error::param(name, reason);
        if !(0.0..=1.0).contains(&x) {
            return Err(invalid("x", format!("{x} is not in [0, 1]")));
        }
        if self.len() != other.len() {
            return Err(invalid(
                "other",
                format!(
                    "{} sites against {}: not one structure type",
                    self.len(),
                    other.len()
                ),
            ));
        }
        let mix = |a: f64, b: f64| (1.0 - x) * a + x * b;
        let (la, lb) = (self.lattice(), other.lattice());
        let (len_a, len_b, ang_a, ang_b) = (la.lengths(), lb.lengths(), la.angles(), lb.angles());
        let lattice = Lattice::from_parameters(
            mix(len_a[0], len_b[0]),
            mix(len_a[1], len_b[1]),
            mix(len_a[2], len_b[2]),
            mix(ang_a[0], ang_b[0]),
            mix(ang_a[1], ang_b[1]),
            mix(ang_a[2], ang_b[2]),
        )?;
        let mut unpaired: Vec<usize> = (0..other.len()).collect();
        let mut sites = Vec::with_capacity(2 * self.len());
        for (i, a) in self.sites().iter().enumerate() {
            let (k, mismatch) = unpaired
                .iter()
                .enumerate()
                .map(|(k, &j)| (k, separation(a.frac, other.sites()[j].frac)))
                .min_by(|p, q| p.1.total_cmp(&q.1))
                .ok_or_else(|| invalid("other", "no site left to pair".into()))?;
            if mismatch > MAX_SITE_MISMATCH {
                return Err(invalid(
                    "other",
                    format!(
                        "site {i} ({}) has no partner within {MAX_SITE_MISMATCH} (nearest {mismatch:.3}): \
                         not one structure type in one setting",
                        a.label
                    ),
                ));
            }
            let b = &other.sites()[unpaired.swap_remove(k)];
            // b's position moved next to a's (a lattice translation) before interpolating.
            let frac: [f64; 3] =
                std::array::from_fn(|d| mix(a.frac[d], a.frac[d] + wrapped(b.frac[d] - a.frac[d])));
            let b_iso = mix(a.b_iso, b.b_iso);
            if a.species == b.species {
                sites.push(Site {
                    frac,
                    occupancy: mix(a.occupancy, b.occupancy),
                    b_iso,
                    ..a.clone()
                });
            } else {
                for (end, share) in [(a, 1.0 - x), (b, x)] {
                    if share > 0.0 {
                        sites.push(Site {
                            frac,
                            occupancy: share * end.occupancy,
                            b_iso,
                            ..end.clone()
                        });
                    }
                }
            }
        }
        Structure::new(lattice, sites)
    }
}

/// `d` wrapped into [−½, ½).
fn wrapped(d: f64) -> f64 {
    d - (d + 0.5).floor()
}

/// The largest per-axis distance between two fractional positions, modulo lattice translations.
fn separation(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3)
        .map(|d| wrapped(b[d] - a[d]).abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Element, Species};

    fn el(symbol: &str) -> Element {
        Element::from_symbol(symbol).unwrap()
    }

    fn rock_salt(cation: Element, a: f64, shift: f64) -> Structure {
        let l = Lattice::from_parameters(a, a, a, 90.0, 90.0, 90.0).unwrap();
        let mut sites = Vec::new();
        for t in [
            [0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5],
            [0.5, 0.0, 0.5],
            [0.5, 0.5, 0.0],
        ] {
            sites.push(Site::new(Species::neutral(el("Cl")), t.map(|v| v + 0.5)));
            sites.push(Site::new(Species::neutral(cation), t.map(|v| v + shift)));
        }
        Structure::new(l, sites).unwrap()
    }

    #[test]
    fn ends_are_the_end_members_and_the_middle_is_mixed() {
        let (na, k) = (
            rock_salt(el("Na"), 5.64, 0.0),
            rock_salt(el("K"), 6.29, 1.0),
        );
        let at0 = na.solid_solution(&k, 0.0).unwrap();
        assert_eq!(at0.formula(), na.formula());
        assert!((at0.lattice().volume() - na.lattice().volume()).abs() < 1e-9);
        let at1 = na.solid_solution(&k, 1.0).unwrap();
        assert_eq!(at1.formula(), k.formula());
        let half = na.solid_solution(&k, 0.5).unwrap();
        assert_eq!(half.len(), 12, "4 Cl, 4 Na and 4 K half-occupied");
        assert_eq!(half.formula(), "Cl4 Na2 K2");
        assert!((half.lattice().lengths()[0] - 5.965).abs() < 1e-12);
        // Positions stay where they were, though K's were written one cell over.
        assert!(
            half.sites()
                .iter()
                .all(|s| s.frac.iter().all(|v| (0.0..=1.0).contains(v)))
        );
    }

    #[test]
    fn different_types_and_bad_fractions_are_errors() {
        let na = rock_salt(el("Na"), 5.64, 0.0);
        let shifted = rock_salt(el("K"), 6.29, 0.25);
        assert!(
            na.solid_solution(&shifted, 0.5)
                .unwrap_err()
                .to_string()
                .contains("partner")
        );
        let l = *na.lattice();
        let small = Structure::new(l, na.sites()[..4].to_vec()).unwrap();
        assert!(
            na.solid_solution(&small, 0.5)
                .unwrap_err()
                .to_string()
                .contains("sites")
        );
        for x in [-0.1, 1.1, f64::NAN] {
            assert!(matches!(
                na.solid_solution(&na, x),
                Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                    name: "x",
                    ..
                }))
            ));
        }
    }
}
