//! The refinement's parameters: a typed identity for each, and one table of (identity, name,
//! start, bounds) from which the index layout, the names, the reported values and the
//! correlations all derive.
//!
//! The table holds where a fit starts; the working values travel as a plain vector in the
//! table's order (a [`crate::State`] between fits), so one prepared model serves many fits.

/// The three parameters of one broad background peak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HumpPart {
    Area,
    Position,
    Fwhm,
}

/// The instrument's width terms, in the order of [`crate::Instrument`]'s fields (the layout
/// relies on it): Caglioti's Gaussian U, V, W and the Lorentzian X, Y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Width {
    U,
    V,
    W,
    X,
    Y,
}

impl Width {
    fn name(self) -> &'static str {
        match self {
            Width::U => "U",
            Width::V => "V",
            Width::W => "W",
            Width::X => "X",
            Width::Y => "Y",
        }
    }
}

/// What a parameter is, and whose: phase `p`, measured reference `r`, background term or hump
/// `k`, free cell parameter `c` of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Id {
    Background(usize),
    Hump(usize, HumpPart),
    /// The 2θ zero shift.
    Zero,
    /// The specimen displacement (a shift of cos θ).
    Displacement,
    Width(Width),
    Asymmetry,
    Scale(usize),
    Cell(usize, usize),
    /// A phase's overall atomic displacement parameter.
    B(usize),
    Size(usize),
    Strain(usize),
    Texture(usize),
    ReferenceScale(usize),
    ReferenceShift(usize),
}

impl Id {
    /// The phase the parameter belongs to, if any.
    pub fn phase(self) -> Option<usize> {
        match self {
            Id::Scale(p)
            | Id::Cell(p, _)
            | Id::B(p)
            | Id::Size(p)
            | Id::Strain(p)
            | Id::Texture(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the parameter rests at its lower bound when there is nothing to refine (a scale
    /// refined away, no size or strain broadening): no warning there.
    pub fn rests_at_bound(self) -> bool {
        matches!(
            self,
            Id::Size(_) | Id::Strain(_) | Id::Scale(_) | Id::ReferenceScale(_)
        )
    }
}

/// One parameter: its identity, name, start and bounds.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub id: Id,
    pub name: String,
    pub start: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Param {
    /// Whether `value` sits at one of the bounds (to a relative 1e-9).
    pub fn at_bound(&self, value: f64) -> bool {
        let near = |b: f64| b.is_finite() && (value - b).abs() <= 1e-9 * b.abs().max(1e-9);
        near(self.lo) || near(self.hi)
    }
}

/// The names a table's parameters are called by: each phase's and each measured reference's.
pub(crate) struct Owners<'a> {
    pub phases: &'a [String],
    /// Each phase's free cell parameters (`A`, `A=B`, …).
    pub cells: &'a [Vec<String>],
    pub references: &'a [String],
}

/// Every parameter of one refinement, in the order of the working vector.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    params: Vec<Param>,
}

impl Table {
    /// Appends a parameter named after its identity; returns its index.
    pub fn push(&mut self, id: Id, owners: &Owners<'_>, start: f64, lo: f64, hi: f64) -> usize {
        let name = match id {
            Id::Background(k) => format!("background {k}"),
            Id::Hump(k, part) => format!(
                "hump {k} {}",
                match part {
                    HumpPart::Area => "area",
                    HumpPart::Position => "position",
                    HumpPart::Fwhm => "fwhm",
                }
            ),
            Id::Zero => "zero shift".into(),
            Id::Displacement => "displacement".into(),
            Id::Width(w) => w.name().into(),
            Id::Asymmetry => "asymmetry".into(),
            Id::Scale(p) => format!("{} scale", owners.phases[p]),
            Id::Cell(p, c) => format!("{} cell {}", owners.phases[p], owners.cells[p][c]),
            Id::B(p) => format!("{} B", owners.phases[p]),
            Id::Size(p) => format!("{} size", owners.phases[p]),
            Id::Strain(p) => format!("{} strain", owners.phases[p]),
            Id::Texture(p) => format!("{} texture r", owners.phases[p]),
            Id::ReferenceScale(r) => format!("{} scale", owners.references[r]),
            Id::ReferenceShift(r) => format!("{} shift", owners.references[r]),
        };
        self.params.push(Param {
            id,
            name,
            start,
            lo,
            hi,
        });
        self.params.len() - 1
    }

    pub fn len(&self) -> usize {
        self.params.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.params.iter()
    }

    /// Every parameter's start, in order: the working vector of a cold fit.
    pub fn starts(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.start).collect()
    }

    /// Every parameter's name, in order.
    pub fn names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }
}

impl std::ops::Index<usize> for Table {
    type Output = Param;
    fn index(&self, i: usize) -> &Param {
        &self.params[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_identity_and_its_owner() {
        let owners = Owners {
            phases: &["rutile".to_string()],
            cells: &[vec!["A=B".to_string(), "C".to_string()]],
            references: &["kaolinite".to_string()],
        };
        let mut t = Table::default();
        t.push(Id::Hump(0, HumpPart::Fwhm), &owners, 8.0, 1.0, 60.0);
        t.push(Id::Cell(0, 1), &owners, 0.1, 0.09, 0.11);
        t.push(Id::ReferenceShift(0), &owners, 0.0, -0.1, 0.1);
        t.push(Id::Width(Width::W), &owners, 0.01, 1e-6, 1.0);
        assert_eq!(
            t.names(),
            ["hump 0 fwhm", "rutile cell C", "kaolinite shift", "W"]
        );
        assert_eq!(t.starts(), [8.0, 0.1, 0.0, 0.01]);
        assert!(t[1].at_bound(0.11) && !t[1].at_bound(0.1));
    }
}
