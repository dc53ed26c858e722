//! Random crystals of a given space group, built from its Wyckoff positions, for training
//! classifiers on simulated patterns (the on-the-fly approach of Schopmans et al. 2023).
//!
//! One try of [`SyntheticCrystalParams::generate`]:
//! 1. **Wyckoff sites**: a number of sites drawn uniformly from 1…`max_sites`; with probability
//!    `general_position` (default 0.7) the first is the general position if it fits the atom
//!    budget (`max_atoms`, raised to the group's smallest multiplicity when that is larger); every
//!    other site is a Wyckoff position drawn uniformly among those that still fit the budget —
//!    general and special positions alike; a position without free coordinates is used at most
//!    once. With [`SyntheticCrystalParams::atoms_per_cell`] the budget is drawn per crystal
//!    (log-uniformly) instead, and sites are added until it is filled or `max_sites` are placed.
//! 2. **Elements**: 2…`max_elements` distinct elements (uniform; never more than sites, one for a
//!    single site — inorganic crystals of one element are rare) drawn without
//!    replacement from [`SyntheticCrystalParams::elements`] (default [`default_elements`]); the first
//!    sites take one element each so that every drawn element occurs, the others a random one.
//!    This gives the stoichiometry: multiplicities times elements.
//! 3. **Lattice**: shape drawn per crystal system (standard setting: unique axis b for monoclinic,
//!    hexagonal axes for trigonal groups): length ratios from U(1, `max_axis_ratio`) in random order,
//!    triclinic angles from U(70°, 110°), monoclinic β from U(90°, 120°); volume
//!    Σ (4/3)π r³ / φ over the atoms, r the covalent radius, packing fraction φ ~ U(`packing`).
//! 4. **Coordinates**: the free coordinates of each site uniform in [0, 1); a placement is kept when
//!    its orbit has the site's multiplicity and no two atoms (periodic images included) are closer
//!    than `min_distance` × (r₁ + r₂); `placement_tries` placements per site.
//! 5. **Displacement**: B per site from U(`b_iso`) (per element with `atoms_per_cell`).
//! 6. **Check** (optional, on by default): moyo must find the space group asked for (special
//!    positions alone, or one orbit of a group with a free origin, often have a supergroup's
//!    symmetry: one atom in P1 is P-1). Skipped for a crystal with a general-position site whose
//!    element occurs at no other site and a second element: it has exactly its group G almost
//!    surely. An extra symmetry h would map the generic point x of that site into its own orbit,
//!    h x = g x, so k = g⁻¹h ∉ G fixes x: k = (R, t), R ≠ 1, and it must map each atom z of the
//!    other element onto one, (1 − R) x = z′ − R z — an equation a random x meets with
//!    probability 0, as those atoms do not depend on x. (A general first site with two or more
//!    elements drawn keeps an element of its own for this reason.)
//!
//! A failed try starts again from step 1. From the second try on, every other try puts the
//! first site on the general position, the budget raised to its multiplicity plus the smallest
//! multiplicity if needed, with at least one more site (then no check is needed): some groups,
//! e.g. R-3 or F432, have no choice of special positions within the budget that lacks a
//! supergroup's symmetry, while in others a crowded general position rarely keeps the
//! distances. After `max_tries` tries the error is [`crate::Error::SyntheticCrystal`].

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::element::{Element, Species};
use crate::error::invalid;
use crate::lattice::Lattice;
use crate::structure::{Site, Structure};
use crate::symmetry::{CrystalSystem, SpaceGroup, WyckoffPosition};
use crate::{Error, Result};

/// Failed tries after which every other try puts the first site on the general position (1: the
/// second try does, the third does not, …).
const FORCE_GENERAL_AFTER: usize = 1;

/// Factor on the squared minimum distance beyond which a periodic image is not measured in
/// the distance check (a lower bound on its distance exceeds the minimum by this factor).
const PRUNE_MARGIN: f64 = 1.001;

/// Element weights of [`default_elements`]: symbol and relative weight.
///
/// Hand-set by us to resemble how often elements occur in inorganic crystal structures (oxygen
/// by far the most common, then the other anions, alkali and alkaline-earth metals, the 3d
/// metals and the main-group metals; rare earths, 4d/5d metals and actinides less often). They
/// are not fitted to a database; noble gases, radioactive elements beyond U and elements without
/// a covalent radius are left out.
pub const ELEMENT_WEIGHTS: &[(&str, f64)] = &[
    ("O", 30.0),
    ("S", 8.0),
    ("F", 6.0),
    ("Cl", 5.0),
    ("N", 5.0),
    ("P", 5.0),
    ("Si", 5.0),
    ("Se", 3.0),
    ("C", 3.0),
    ("H", 3.0),
    ("B", 3.0),
    ("Br", 2.0),
    ("I", 2.0),
    ("Te", 2.0),
    ("As", 2.0),
    ("Li", 4.0),
    ("Na", 5.0),
    ("K", 4.0),
    ("Rb", 2.0),
    ("Cs", 2.0),
    ("Be", 1.0),
    ("Mg", 4.0),
    ("Ca", 5.0),
    ("Sr", 3.0),
    ("Ba", 4.0),
    ("Al", 4.0),
    ("Ga", 2.0),
    ("In", 2.0),
    ("Tl", 1.0),
    ("Ge", 2.0),
    ("Sn", 3.0),
    ("Pb", 2.0),
    ("Sb", 2.0),
    ("Bi", 2.0),
    ("Sc", 1.0),
    ("Ti", 3.0),
    ("V", 3.0),
    ("Cr", 2.0),
    ("Mn", 3.0),
    ("Fe", 4.0),
    ("Co", 3.0),
    ("Ni", 3.0),
    ("Cu", 4.0),
    ("Zn", 3.0),
    ("Y", 2.0),
    ("Zr", 2.0),
    ("Nb", 2.0),
    ("Mo", 2.0),
    ("Ru", 1.0),
    ("Rh", 1.0),
    ("Pd", 1.0),
    ("Ag", 2.0),
    ("Cd", 2.0),
    ("Hf", 1.0),
    ("Ta", 1.0),
    ("W", 2.0),
    ("Re", 1.0),
    ("Os", 0.5),
    ("Ir", 1.0),
    ("Pt", 1.0),
    ("Au", 1.0),
    ("Hg", 1.0),
    ("La", 3.0),
    ("Ce", 2.0),
    ("Pr", 1.0),
    ("Nd", 2.0),
    ("Sm", 1.0),
    ("Eu", 1.0),
    ("Gd", 1.0),
    ("Tb", 0.5),
    ("Dy", 0.5),
    ("Ho", 0.5),
    ("Er", 0.5),
    ("Yb", 0.5),
    ("Lu", 0.5),
    ("Th", 0.5),
    ("U", 1.0),
];

/// The elements of [`ELEMENT_WEIGHTS`] with their weights.
pub fn default_elements() -> Vec<(Element, f64)> {
    ELEMENT_WEIGHTS
        .iter()
        .filter_map(|(s, w)| Element::from_symbol(s).ok().map(|e| (e, *w)))
        .collect()
}

/// Parameters of the random-crystal generator (see the [module docs](self) for the recipe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticCrystalParams {
    max_atoms: usize,
    #[serde(default)]
    atoms_per_cell: Option<(usize, usize)>,
    max_sites: usize,
    max_elements: usize,
    packing: (f64, f64),
    max_axis_ratio: f64,
    min_distance: f64,
    b_iso: (f64, f64),
    placement_tries: usize,
    max_tries: usize,
    check_symmetry: Option<f64>,
    general_position: f64,
    elements: Vec<(Element, f64)>,
}

impl SyntheticCrystalParams {
    /// The `atoms_per_cell` set by [`SyntheticCrystalParams::atoms_per_cell`] (see there for the default).
    pub fn get_atoms_per_cell(&self) -> Option<(usize, usize)> {
        self.atoms_per_cell
    }

    /// The `packing` set by [`SyntheticCrystalParams::packing`] (see there for the default).
    pub fn get_packing(&self) -> (f64, f64) {
        self.packing
    }

    /// The `b_iso` set by [`SyntheticCrystalParams::b_iso`] (see there for the default).
    pub fn get_b_iso(&self) -> (f64, f64) {
        self.b_iso
    }

    /// The `elements` set by [`SyntheticCrystalParams::elements`] (see there for the default).
    pub fn get_elements(&self) -> &[(Element, f64)] {
        &self.elements
    }
}

impl Default for SyntheticCrystalParams {
    fn default() -> Self {
        Self::new()
    }
}

xrd_io::param_guard!(Error => SyntheticCrystalParams);

impl SyntheticCrystalParams {
    /// The defaults: at most 48 atoms in the conventional cell, 4 Wyckoff sites and 3 elements,
    /// the first site on the general position with probability 0.7 (when it fits),
    /// packing fraction U(0.35, 0.75), axis ratios up to 2, minimum distance 0.7 × the sum of
    /// covalent radii, B from U(0.2, 1.5) Å², 20 placements per site, 200 tries, moyo check at
    /// symprec 1e-3 Å, elements of [`default_elements`].
    pub fn new() -> Self {
        Self {
            max_atoms: 48,
            atoms_per_cell: None,
            max_sites: 4,
            max_elements: 3,
            packing: (0.35, 0.75),
            max_axis_ratio: 2.0,
            min_distance: 0.7,
            b_iso: (0.2, 1.5),
            placement_tries: 20,
            max_tries: 200,
            check_symmetry: Some(1e-3),
            general_position: 0.7,
            elements: default_elements(),
        }
    }

    /// The recipe for crystals that resemble minerals in size and shape, for classifiers of
    /// measured patterns: [`new`](Self::new) with an atom budget drawn per crystal from 8–160
    /// ([`atoms_per_cell`](Self::atoms_per_cell); B drawn per element), up to 64 sites and axis
    /// ratios up to 3.
    /// Under the defaults a P-1 crystal has a median of 2 atoms and a P2₁/c one of 6; here the
    /// medians are 41 (triclinic) and 16–20 (monoclinic to hexagonal), and the first peak of
    /// a Cu Kα pattern moves from 14–17° to 7–11° (measured on 920 patterns, 4 per group),
    /// nearer to the 6–9° of the low-symmetry RRUFF mineral patterns. Generating costs about
    /// 1.35× the default recipe (CPU time per 1,000 training patterns: 1.00 s against 0.74 s).
    pub fn mineral_like() -> Self {
        Self::new()
            .atoms_per_cell(8, 160)
            .max_sites(64)
            .max_axis_ratio(3.0)
    }

    xrd_io::setters! {
        /// Atom budget of the conventional cell (default 48; raised per group to its smallest
        /// Wyckoff multiplicity, e.g. 16 for Ia-3d, 192 would never be reached otherwise).
        #[must_use]
        max_atoms, get_max_atoms: usize;
    }

    /// Draws the atom budget of every crystal log-uniformly from `lo…hi` atoms in the
    /// conventional cell (raised to the group's smallest Wyckoff multiplicity) and fills it:
    /// sites are added until no position fits the rest of the budget or `max_sites` are placed,
    /// instead of drawing the number of sites from 1…`max_sites` under the fixed `max_atoms`
    /// (default `None`: that fixed budget). As under the fixed budget, a retry that puts the first
    /// site on the general position (see the module docs) may exceed `hi`: it takes the general
    /// position's multiplicity plus the smallest one.
    ///
    /// Why: under a fixed budget the cell's content is tied to the group — a P-1 crystal
    /// holds at most `max_atoms / 4` general sites of 2 atoms, a P2₁/c crystal 4 atoms per
    /// site — so low-symmetry crystals come out small, with few peaks, whereas minerals of low
    /// symmetry have large cells (a feldspar 52 atoms, an amphibole about 80). A budget drawn
    /// independently of the group, with sites filling it, decouples the number of peaks from
    /// the symmetry, which is what a classifier must not learn to read as symmetry.
    #[must_use]
    pub fn atoms_per_cell(mut self, lo: usize, hi: usize) -> Self {
        self.atoms_per_cell = Some((lo, hi));
        self
    }

    xrd_io::setters! {
        /// Most Wyckoff sites (asymmetric-unit atoms) per crystal (default 4).
        #[must_use]
        max_sites, get_max_sites: usize;

        /// Most distinct elements per crystal (default 3).
        #[must_use]
        max_elements, get_max_elements: usize;
    }

    /// Range of the packing fraction φ: volume of covalent spheres / cell volume
    /// (default 0.35–0.75).
    #[must_use]
    pub fn packing(mut self, lo: f64, hi: f64) -> Self {
        self.packing = (lo, hi);
        self
    }

    xrd_io::setters! {
        /// Largest ratio between two independent cell lengths (default 2).
        #[must_use]
        max_axis_ratio, get_max_axis_ratio: f64;

        /// Smallest allowed distance as a fraction of the sum of covalent radii (default 0.7).
        #[must_use]
        min_distance, get_min_distance: f64;
    }

    /// Range of the isotropic displacement B (Å², default 0.2–1.5).
    #[must_use]
    pub fn b_iso(mut self, lo: f64, hi: f64) -> Self {
        self.b_iso = (lo, hi);
        self
    }

    xrd_io::setters! {
        /// Random placements tried per site before the try fails (default 20).
        #[must_use]
        placement_tries, get_placement_tries: usize;

        /// Tries before [`SyntheticCrystalParams::generate`] gives up (default 200).
        #[must_use]
        max_tries, get_max_tries: usize;

        /// Check with moyo at this symprec (Å) each crystal that may have more symmetry than its
        /// group, and try again when it has another space group (default `Some(1e-3)`). A crystal
        /// with a general-position site whose element occurs nowhere else, and a second element,
        /// provably has its group (almost surely; see the module docs) and is not checked. `None`
        /// skips the check (faster; crystals on special positions only, or with a single orbit of a
        /// group with a free origin such as one atom in P1, then often have a supergroup's
        /// symmetry).
        #[must_use]
        check_symmetry, get_check_symmetry: Option<f64>;

        /// Probability that the first site is the general position when it fits the atom budget
        /// (default 0.7; otherwise it is drawn like every other site).
        #[must_use]
        general_position, get_general_position: f64;
    }

    /// Elements to draw from, with relative weights (default [`default_elements`]).
    #[must_use]
    pub fn elements(mut self, elements: Vec<(Element, f64)>) -> Self {
        self.elements = elements;
        self
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        let range = |name: &'static str, (lo, hi): (f64, f64), min: f64, max: f64| {
            if lo.is_finite() && hi.is_finite() && min <= lo && lo <= hi && hi <= max {
                Ok(())
            } else {
                Err(invalid(
                    name,
                    format!("need {min} ≤ lo ≤ hi ≤ {max}, got ({lo}, {hi})"),
                ))
            }
        };
        for (name, v) in [
            ("max_atoms", self.max_atoms),
            ("max_sites", self.max_sites),
            ("max_elements", self.max_elements),
            ("placement_tries", self.placement_tries),
            ("max_tries", self.max_tries),
        ] {
            if v == 0 {
                return Err(invalid(name, "must be ≥ 1"));
            }
        }
        if let Some((lo, hi)) = self.atoms_per_cell
            && !(1 <= lo && lo <= hi)
        {
            return Err(invalid(
                "atoms_per_cell",
                format!("need 1 ≤ lo ≤ hi, got ({lo}, {hi})"),
            ));
        }
        if self.packing.0 <= 0.0 {
            return Err(invalid("packing", "the packing fraction must be > 0"));
        }
        range("packing", self.packing, 0.0, 1.0)?;
        range("b_iso", self.b_iso, 0.0, f64::MAX)?;
        if !(self.max_axis_ratio.is_finite() && self.max_axis_ratio >= 1.0) {
            return Err(invalid(
                "max_axis_ratio",
                format!("{} must be finite and ≥ 1", self.max_axis_ratio),
            ));
        }
        if !(self.min_distance.is_finite() && (0.0..2.0).contains(&self.min_distance)) {
            return Err(invalid(
                "min_distance",
                format!("{} must be in [0, 2)", self.min_distance),
            ));
        }
        if !(0.0..=1.0).contains(&self.general_position) {
            return Err(invalid(
                "general_position",
                format!("probability {} must be in [0, 1]", self.general_position),
            ));
        }
        if let Some(p) = self.check_symmetry
            && !(p.is_finite() && p > 0.0)
        {
            return Err(invalid(
                "check_symmetry",
                format!("symprec {p} must be > 0"),
            ));
        }
        let usable = self
            .elements
            .iter()
            .filter(|(e, w)| e.covalent_radius().is_some() && w.is_finite() && *w > 0.0)
            .count();
        if usable == 0
            || self.elements.iter().any(|(e, w)| {
                !(w.is_finite() && *w >= 0.0) || (*w > 0.0 && e.covalent_radius().is_none())
            })
        {
            return Err(invalid(
                "elements",
                "need finite weights ≥ 0, at least one > 0, and elements with a covalent radius (H–Cm)",
            ));
        }
        Ok(())
    }

    /// A random crystal of space group `space_group` (1–230, standard setting).
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`], the errors of [`SyntheticCrystalParams::check`], and
    /// [`Error::SyntheticCrystal`] after `max_tries` failed tries.
    pub fn generate<R: Rng + ?Sized>(&self, space_group: u8, rng: &mut R) -> Result<Structure> {
        self.check()?;
        let sg = SpaceGroup::new(space_group)?;
        let mut reason = String::new();
        for attempt in 0..self.max_tries {
            let force_general =
                attempt >= FORCE_GENERAL_AFTER.min(self.max_tries / 2) && attempt % 2 == 1;
            match self.try_once(sg, force_general, rng) {
                Ok((s, unique_general)) => match self.check_symmetry {
                    _ if unique_general => return Ok(s),
                    None => return Ok(s),
                    Some(symprec) => match s.space_group(symprec) {
                        Ok(info) if info.number == space_group => return Ok(s),
                        Ok(info) => {
                            reason = format!("moyo found space group {}", info.number);
                        }
                        Err(e) => reason = e.to_string(),
                    },
                },
                Err(r) => reason = r,
            }
        }
        Err(Error::SyntheticCrystal {
            space_group,
            tries: self.max_tries,
            reason,
        })
    }

    /// One try: the crystal and whether it has a [`unique_general_site`]; `Err` says why it
    /// failed.
    fn try_once<R: Rng + ?Sized>(
        &self,
        sg: &SpaceGroup,
        force_general: bool,
        rng: &mut R,
    ) -> std::result::Result<(Structure, bool), String> {
        let positions = sg.wyckoff_positions();
        let smallest = positions.iter().map(|w| w.multiplicity).min().unwrap_or(1);
        let (mut budget, n_sites) = match self.atoms_per_cell {
            None => (
                self.max_atoms.max(smallest),
                rng.random_range(1..=self.max_sites),
            ),
            Some((lo, hi)) => {
                let range = ((lo as f64).ln(), (hi as f64 + 1.0).ln());
                // exp(ln lo) may round just below lo: clamp.
                let n = (uniform(rng, range).exp().floor() as usize).clamp(lo, hi);
                (n.max(smallest), self.max_sites)
            }
        };
        // Every site takes at least one atom of the budget (a forced general site one more).
        let mut chosen: Vec<&WyckoffPosition> = Vec::with_capacity(n_sites.min(budget + 2));
        let general_fits = positions.first().is_some_and(|g| g.multiplicity <= budget);
        let general_first =
            force_general || (general_fits && rng.random::<f64>() < self.general_position);
        if general_first && let Some(general) = positions.first() {
            budget = budget.max(general.multiplicity) - general.multiplicity;
            chosen.push(general);
        }
        // A forced general site gets a companion (room for the smallest position at least), so
        // that the crystal has a unique general site and needs no symmetry check.
        let n_sites = if force_general && self.max_sites >= 2 {
            budget = budget.max(smallest);
            n_sites.max(2)
        } else {
            n_sites
        };
        while chosen.len() < n_sites {
            let fits: Vec<&WyckoffPosition> = positions
                .iter()
                .filter(|w| {
                    w.multiplicity <= budget
                        && (w.degrees_of_freedom > 0
                            || !chosen.iter().any(|c| c.letter == w.letter))
                })
                .collect();
            if fits.is_empty() {
                break;
            }
            let w = fits[rng.random_range(0..fits.len())];
            budget -= w.multiplicity;
            chosen.push(w);
        }
        let elements = self.draw_elements(chosen.len(), rng);
        // A general first site keeps an element of its own when there are two or more: then the
        // crystal needs no symmetry check (see `unique_general_site`).
        let own = usize::from(general_first && elements.len() >= 2);
        let mut site_elements: Vec<Element> = (0..chosen.len())
            .map(|i| {
                elements.get(i).copied().unwrap_or_else(|| {
                    elements[rng.random_range(own.min(elements.len() - 1)..elements.len())]
                })
            })
            .collect();
        site_elements[own..].shuffle(rng);
        let radius = |e: Element| e.covalent_radius().unwrap_or(1.5);
        let sphere_volume: f64 = chosen
            .iter()
            .zip(&site_elements)
            .map(|(w, e)| {
                w.multiplicity as f64 * 4.0 / 3.0 * std::f64::consts::PI * radius(*e).powi(3)
            })
            .sum();
        let packing = uniform(rng, self.packing);
        let lattice = self
            .draw_lattice(sg.crystal_system(), sphere_volume / packing, rng)
            .map_err(|e| e.to_string())?;
        let mut atoms: Vec<([f64; 3], f64)> = Vec::new();
        let mut sites = Vec::new();
        // With a drawn budget, B is drawn once per element: a large cell has tens of sites of one
        // element, and a B each would make the Debye–Waller factors (one exponential per site and
        // reflection) the generator's largest cost.
        let element_b: Vec<(Element, f64)> = match self.atoms_per_cell {
            Some(_) => elements
                .iter()
                .map(|e| (*e, uniform(rng, self.b_iso)))
                .collect(),
            None => Vec::new(),
        };
        for (w, e) in chosen.iter().zip(&site_elements) {
            let r = radius(*e);
            let mut placed = false;
            for _ in 0..self.placement_tries {
                let xyz: [f64; 3] = std::array::from_fn(|_| rng.random::<f64>());
                let orbit = sg.orbit(w.point(xyz));
                if orbit.len() != w.multiplicity {
                    continue;
                }
                if self.fits(&lattice, &atoms, &orbit, r) {
                    let b = match element_b.iter().find(|(f, _)| f == e) {
                        Some(&(_, b)) => b,
                        None => uniform(rng, self.b_iso),
                    };
                    for p in &orbit {
                        atoms.push((*p, r));
                        sites.push(Site::new(Species::neutral(*e), *p).with_b_iso(b));
                    }
                    placed = true;
                    break;
                }
            }
            if !placed {
                return Err(format!(
                    "no placement of site {}{} kept the minimum distances",
                    w.multiplicity, w.letter
                ));
            }
        }
        let unique_general = unique_general_site(&chosen, &site_elements);
        let s = Structure::new(lattice, sites).map_err(|e| e.to_string())?;
        Ok((s, unique_general))
    }

    /// Distinct elements drawn by weight without replacement: as many as U{2…min(`max_elements`,
    /// sites)} (one for a single site or `max_elements` = 1; fewer if the list is shorter).
    fn draw_elements<R: Rng + ?Sized>(&self, n_sites: usize, rng: &mut R) -> Vec<Element> {
        let hi = self.max_elements.min(n_sites.max(1));
        let n = rng.random_range(hi.min(2)..=hi);
        let mut pool: Vec<(Element, f64)> = self
            .elements
            .iter()
            .copied()
            .filter(|(_, w)| *w > 0.0)
            .collect();
        let mut out = Vec::with_capacity(n);
        while out.len() < n && !pool.is_empty() {
            let total: f64 = pool.iter().map(|(_, w)| w).sum();
            let mut x = rng.random::<f64>() * total;
            let mut k = pool.len() - 1;
            for (i, (_, w)) in pool.iter().enumerate() {
                if x < *w {
                    k = i;
                    break;
                }
                x -= w;
            }
            out.push(pool.swap_remove(k).0);
        }
        out
    }

    /// A lattice of the crystal system's metric with the given volume.
    fn draw_lattice<R: Rng + ?Sized>(
        &self,
        system: CrystalSystem,
        volume: f64,
        rng: &mut R,
    ) -> Result<Lattice> {
        let hi = self.max_axis_ratio;
        let mut ratio = || {
            if hi > 1.0 {
                rng.random_range(1.0..hi)
            } else {
                1.0
            }
        };
        let (mut r, angles) = match system {
            CrystalSystem::Triclinic => {
                let r = [ratio(), ratio(), ratio()];
                let ang = [0; 3].map(|_| rng.random_range(70.0..110.0));
                (r, ang)
            }
            CrystalSystem::Monoclinic => {
                let r = [ratio(), ratio(), ratio()];
                (r, [90.0, rng.random_range(90.0..120.0), 90.0])
            }
            CrystalSystem::Orthorhombic => ([ratio(), ratio(), ratio()], [90.0; 3]),
            CrystalSystem::Tetragonal => {
                let (a, c) = (ratio(), ratio());
                let (a, c) = if rng.random::<bool>() { (a, c) } else { (c, a) };
                ([a, a, c], [90.0; 3])
            }
            CrystalSystem::Trigonal | CrystalSystem::Hexagonal => {
                let (a, c) = (ratio(), ratio());
                let (a, c) = if rng.random::<bool>() { (a, c) } else { (c, a) };
                ([a, a, c], [90.0, 90.0, 120.0])
            }
            CrystalSystem::Cubic => ([1.0; 3], [90.0; 3]),
        };
        if matches!(
            system,
            CrystalSystem::Triclinic | CrystalSystem::Monoclinic | CrystalSystem::Orthorhombic
        ) {
            r.shuffle(rng);
        }
        let unit = Lattice::from_parameters(r[0], r[1], r[2], angles[0], angles[1], angles[2])?;
        let s = (volume / unit.volume()).cbrt();
        Lattice::from_parameters(
            r[0] * s,
            r[1] * s,
            r[2] * s,
            angles[0],
            angles[1],
            angles[2],
        )
    }

    /// `true` if the new orbit keeps the minimum distances to the atoms so far and within itself
    /// (periodic images of the 27 nearest cells).
    fn fits(
        &self,
        lattice: &Lattice,
        atoms: &[([f64; 3], f64)],
        orbit: &[[f64; 3]],
        r: f64,
    ) -> bool {
        let m = lattice.matrix();
        // Squared spacings of the lattice planes normal to each reciprocal axis: an image at
        // fractional offset f is at least |f_a| times that spacing away (f_a = c · a*_a).
        let spacing2 = lattice
            .reciprocal()
            .map(|r| 1.0 / crate::lattice::dot(r, r));
        let too_close = |p: &[f64; 3], q: &[f64; 3], dmin: f64, same: bool| {
            let d: [f64; 3] = std::array::from_fn(|k| {
                let x = p[k] - q[k];
                x - crate::rounding::nearest_integer(x)
            });
            let d2min = dmin * dmin;
            // Images beyond this bound along one axis are farther than dmin with a wide margin
            // for rounding: skipping them changes no answer, only saves their distances.
            let far = |a: usize, f: f64| f * f * spacing2[a] >= d2min * PRUNE_MARGIN;
            // |d_a| ≤ 1/2 (up to `nearest_integer`'s rounding, ~2e-7, far inside PRUNE_MARGIN),
            // so every image's offset along that axis is beyond dmin as well: one far axis makes
            // all 27 images far (the same answer, without the loops).
            if !same && (0..3).any(|a| far(a, d[a])) {
                return false;
            }
            for i in -1..=1 {
                let f0 = d[0] + f64::from(i);
                if far(0, f0) {
                    continue;
                }
                for j in -1..=1 {
                    let f1 = d[1] + f64::from(j);
                    if far(1, f1) {
                        continue;
                    }
                    for k in -1..=1 {
                        if same && i == 0 && j == 0 && k == 0 {
                            continue;
                        }
                        let f2 = d[2] + f64::from(k);
                        if far(2, f2) {
                            continue;
                        }
                        let f = [f0, f1, f2];
                        let c: [f64; 3] = std::array::from_fn(|a| {
                            f[0] * m[0][a] + f[1] * m[1][a] + f[2] * m[2][a]
                        });
                        if c[0] * c[0] + c[1] * c[1] + c[2] * c[2] < d2min {
                            return true;
                        }
                    }
                }
            }
            false
        };
        let f = self.min_distance;
        for (n, p) in orbit.iter().enumerate() {
            if too_close(p, p, f * 2.0 * r, true) {
                return false;
            }
            if orbit[..n]
                .iter()
                .any(|q| too_close(p, q, f * 2.0 * r, false))
            {
                return false;
            }
            if atoms
                .iter()
                .any(|(q, rq)| too_close(p, q, f * (r + rq), false))
            {
                return false;
            }
        }
        true
    }
}

/// `true` if a site on the general position has an element no other site has, and the crystal
/// has another element. Such a crystal has exactly the symmetry of its group G (almost surely):
/// an extra symmetry h of the crystal maps the generic point x of that site into its own orbit,
/// h x = g x, so k = g⁻¹h ∉ G fixes x; k = (R, t) with R ≠ 1 (else k is a translation fixing x,
/// the identity) must map each atom z of the other element onto an atom z′ of it,
/// (1 − R) x = z′ − R z, an equation a random x meets with probability 0, since those atoms
/// do not depend on x. Special positions alone, or one orbit alone (one atom in P1 is P-1), can
/// have more symmetry; the generator checks those with moyo.
pub(crate) fn unique_general_site(sites: &[&WyckoffPosition], elements: &[Element]) -> bool {
    let distinct = elements.iter().any(|e| *e != elements[0]);
    distinct
        && sites.iter().zip(elements).enumerate().any(|(i, (w, e))| {
            w.degrees_of_freedom == 3 && elements.iter().enumerate().all(|(j, f)| j == i || f != e)
        })
}

fn uniform<R: Rng + ?Sized>(rng: &mut R, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    #[test]
    fn each_invalid_value_is_rejected() {
        assert!(SyntheticCrystalParams::new().check().is_ok());
        let p = SyntheticCrystalParams::new;
        let fe = Element::from_symbol("Fe").unwrap();
        let bk = Element::from_symbol("Bk").unwrap();
        let bad = [
            p().max_atoms(0),
            p().max_sites(0),
            p().atoms_per_cell(0, 5),
            p().atoms_per_cell(6, 5),
            p().max_elements(0),
            p().placement_tries(0),
            p().max_tries(0),
            p().packing(0.0, 0.5),
            p().packing(0.6, 0.5),
            p().packing(0.5, 1.5),
            p().packing(f64::NAN, 0.5),
            p().b_iso(-1.0, 1.0),
            p().b_iso(1.0, f64::INFINITY),
            p().max_axis_ratio(0.5),
            p().max_axis_ratio(f64::NAN),
            p().min_distance(-0.1),
            p().min_distance(2.0),
            p().check_symmetry(Some(0.0)),
            p().check_symmetry(Some(f64::NAN)),
            p().general_position(-0.1),
            p().general_position(1.5),
            p().general_position(f64::NAN),
            p().elements(vec![]),
            p().elements(vec![(fe, 0.0)]),
            p().elements(vec![(fe, f64::NAN)]),
            p().elements(vec![(fe, -1.0)]),
            p().elements(vec![(bk, 1.0)]),
        ];
        let mut names = [
            "max_atoms",
            "max_sites",
            "atoms_per_cell",
            "atoms_per_cell",
            "max_elements",
            "placement_tries",
            "max_tries",
            "packing",
            "packing",
            "packing",
            "packing",
            "b_iso",
            "b_iso",
            "max_axis_ratio",
            "max_axis_ratio",
            "min_distance",
            "min_distance",
            "check_symmetry",
            "check_symmetry",
            "general_position",
            "general_position",
            "general_position",
            "elements",
            "elements",
            "elements",
            "elements",
            "elements",
        ]
        .into_iter();
        for b in bad {
            assert_eq!(
                crate::error::refused(b.check()),
                names.next().unwrap_or("none"),
                "{b:?}"
            );
        }
        assert_eq!(names.next(), None, "fewer invalid values than names");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        for g in [0, 231] {
            assert!(matches!(
                p().generate(g, &mut rng),
                Err(Error::UnknownSpaceGroup(n)) if n == g.to_string()
            ));
        }
    }

    #[test]
    fn same_seed_same_crystal_and_distances_hold() {
        let p = SyntheticCrystalParams::new();
        for n in [1u8, 14, 62, 139, 166, 194, 225] {
            let a = p
                .generate(n, &mut Xoshiro256PlusPlus::seed_from_u64(u64::from(n)))
                .unwrap();
            let b = p
                .generate(n, &mut Xoshiro256PlusPlus::seed_from_u64(u64::from(n)))
                .unwrap();
            assert_eq!(a, b);
            assert!(!a.is_empty());
            assert_eq!(a.space_group(1e-3).unwrap().number, n);
            let atoms: Vec<([f64; 3], f64)> = a
                .sites()
                .iter()
                .map(|s| (s.frac, s.species.element.covalent_radius().unwrap()))
                .collect();
            // Each atom against the others, re-checked with the same rule.
            for i in 0..atoms.len() {
                let (others, this) = ([&atoms[..i], &atoms[i + 1..]].concat(), [atoms[i].0]);
                assert!(p.fits(a.lattice(), &others, &this, atoms[i].1), "{n}");
            }
        }
    }

    #[test]
    fn fits_agrees_with_every_image_checked() {
        // Naive rule: any of the 125 images within two cells closer than allowed, no pruning.
        let naive = |lattice: &Lattice, atoms: &[([f64; 3], f64)], orbit: &[[f64; 3]], r: f64| {
            let m = lattice.matrix();
            let close = |p: &[f64; 3], q: &[f64; 3], dmin: f64, same: bool| {
                let mut hit = false;
                for i in -2..=2 {
                    for j in -2..=2 {
                        for k in -2..=2 {
                            if same && i == 0 && j == 0 && k == 0 {
                                continue;
                            }
                            let t = [i, j, k];
                            let f: [f64; 3] =
                                std::array::from_fn(|a| p[a] - q[a] + f64::from(t[a]));
                            let c: [f64; 3] = std::array::from_fn(|a| {
                                f[0] * m[0][a] + f[1] * m[1][a] + f[2] * m[2][a]
                            });
                            hit |= c.iter().map(|x| x * x).sum::<f64>() < dmin * dmin;
                        }
                    }
                }
                hit
            };
            let f = 0.7;
            !orbit.iter().enumerate().any(|(n, p)| {
                close(p, p, f * 2.0 * r, true)
                    || orbit[..n].iter().any(|q| close(p, q, f * 2.0 * r, false))
                    || atoms.iter().any(|(q, rq)| close(p, q, f * (r + rq), false))
            })
        };
        let p = SyntheticCrystalParams::new().min_distance(0.7);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (mut kept, mut refused) = (0, 0);
        for _ in 0..400 {
            let [a, b, c]: [f64; 3] = std::array::from_fn(|_| rng.random_range(2.5..9.0));
            let [al, be, ga]: [f64; 3] = std::array::from_fn(|_| rng.random_range(75.0..105.0));
            let lattice = Lattice::from_parameters(a, b, c, al, be, ga).unwrap();
            let point = |rng: &mut Xoshiro256PlusPlus| std::array::from_fn(|_| rng.random::<f64>());
            let atoms: Vec<([f64; 3], f64)> = (0..rng.random_range(0..6))
                .map(|_| (point(&mut rng), rng.random_range(0.5..1.5)))
                .collect();
            let orbit: Vec<[f64; 3]> = (0..rng.random_range(1..4))
                .map(|_| point(&mut rng))
                .collect();
            let r = rng.random_range(0.5..1.5);
            let fast = p.fits(&lattice, &atoms, &orbit, r);
            assert_eq!(fast, naive(&lattice, &atoms, &orbit, r));
            if fast { kept += 1 } else { refused += 1 }
        }
        // Both answers occur, so both paths were compared.
        assert!(kept > 20 && refused > 20, "{kept} kept, {refused} refused");
    }

    #[test]
    fn a_drawn_atom_budget_is_filled_and_keeps_the_group() {
        // P1 (every position 1 atom): the crystal holds exactly the drawn budget.
        let p1 = SyntheticCrystalParams::new()
            .atoms_per_cell(10, 12)
            .max_sites(64);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let counts: Vec<usize> = (0..8)
            .map(|_| p1.generate(1, &mut rng).unwrap().sites().len())
            .collect();
        assert!(counts.iter().all(|n| (10..=12).contains(n)), "{counts:?}");
        assert!(counts.iter().any(|&n| n != counts[0]), "{counts:?}");
        // Mineral-like crystals of larger groups: within the budget (raised to the smallest
        // multiplicity), and moyo finds the group asked for.
        let p = SyntheticCrystalParams::mineral_like();
        assert!(p.check().is_ok());
        for n in [2u8, 14, 62, 148, 194, 225] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(u64::from(n));
            let sg = SpaceGroup::new(n).unwrap();
            let smallest = sg
                .wyckoff_positions()
                .iter()
                .map(|w| w.multiplicity)
                .min()
                .unwrap();
            for _ in 0..3 {
                let c = p.generate(n, &mut rng).unwrap();
                // A forced-general retry may take the general position plus the smallest.
                let general = sg.wyckoff_positions()[0].multiplicity;
                let most = 160.max(smallest).max(general + smallest);
                assert!((1..=most).contains(&c.sites().len()), "{n}");
                assert_eq!(c.space_group(1e-3).unwrap().number, n);
            }
        }
        // The default recipe is untouched: small, fixed budget.
        let d = SyntheticCrystalParams::new();
        assert_eq!(d.get_atoms_per_cell(), None);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert!((0..8).all(|_| d.generate(2, &mut rng).unwrap().sites().len() <= 48));
    }

    #[test]
    fn an_impossible_request_is_an_error_after_the_tries() {
        // Closer than allowed everywhere: spheres that cannot fit the packing.
        let p = SyntheticCrystalParams::new()
            .packing(0.99, 0.99)
            .min_distance(1.9)
            .max_tries(3);
        let err = p
            .generate(225, &mut Xoshiro256PlusPlus::seed_from_u64(1))
            .unwrap_err();
        assert!(
            matches!(err, Error::SyntheticCrystal { tries: 3, .. }),
            "{err}"
        );
    }
}
