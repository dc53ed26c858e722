//! A phase's structure as refinable parameters: each asymmetric-unit site's free coordinates
//! (the null space of its site symmetry, [`xrd_sim::SiteConstraints`]; each parameter the
//! value of the coordinate it leads), its U and occupancy;
//! and |F|² of every reflection with its derivatives with respect to them.
//!
//! F(h) = Σ_sites occ · f(s) · exp(−8π²U s²) / |stabiliser| · Σ_ops exp(2πi h·(W x + w)):
//! summing over every operation of the group counts each atom of a site's orbit |stabiliser|
//! times, so no list of orbit members is needed and a moved site stays on its orbit. The
//! scattering factor f and the Debye–Waller argument s² are taken at the starting cell: the
//! cell moves by parts per thousand, which changes them far less than their own accuracy, and
//! keeps |F|² a function of the site parameters alone.

use xrd_sim::{
    Anomalous, AtomicFactor, Element, FormFactorTable, SiteConstraints, Structure, SymOp,
};

use crate::parameter::SiteParam;
use crate::{Error, Result};

/// Space groups and orbits are read within this tolerance (Å).
const SYMPREC: f64 = 1e-2;
/// 8π²: U to B.
const EIGHT_PI2: f64 = 8.0 * std::f64::consts::PI * std::f64::consts::PI;
const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

/// What a site scatters with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scatterer {
    /// X-rays: f₀(s) + f′ + i f″.
    XRay {
        factor: AtomicFactor,
        f1: f64,
        f2: f64,
    },
    /// Neutrons: the coherent scattering length (fm), real and imaginary.
    Neutron { re: f64, im: f64 },
}

impl Scatterer {
    /// (Re f, Im f) at s = sin θ / λ.
    fn at(&self, s: f64) -> (f64, f64) {
        match self {
            Scatterer::XRay { factor, f1, f2 } => (factor.f0(s) + f1, *f2),
            Scatterer::Neutron { re, im } => (*re, *im),
        }
    }
}

/// One asymmetric-unit site.
#[derive(Debug, Clone)]
pub(crate) struct AtomSite {
    /// Unique within the phase.
    pub label: String,
    pub element: Element,
    /// The starting position.
    pub x0: [f64; 3],
    /// Directions of the free coordinates: x = x₀ + Σ pₖ vₖ.
    pub directions: Vec<[f64; 3]>,
    /// The axis each free coordinate is named by (the one it leads).
    pub axes: Vec<usize>,
    pub u0: f64,
    pub occupancy0: f64,
    /// Anisotropic displacements instead of U, when refined so.
    pub aniso: Option<Aniso>,
    /// A mixed site's last member: it follows the first member's position and displacement,
    /// and its occupancy is the group's total less the others' (their indices).
    pub tied: Option<Tie>,
    /// How many atoms of the cell the site stands for.
    pub multiplicity: usize,
    stabiliser: f64,
    scatterer: Scatterer,
}

/// A site's anisotropic displacement: U (the CIF's Uij) = Σ qₖ uₖ over the directions its
/// site symmetry leaves free, each led by one component.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aniso {
    /// Per free parameter: the U components it moves, 1 at the component it leads.
    pub directions: Vec<[f64; 6]>,
    /// The component each leads ([`xrd_sim::BETA_COMPONENTS`] order).
    pub leads: Vec<usize>,
    /// U at the start.
    pub u0: [f64; 6],
    /// β = 2π² a*ᵢ a*ⱼ Uᵢⱼ per component, doubled off the diagonal (hᵀβh counts them twice).
    pub scale: [f64; 6],
}

/// (i, j) of each U component, in [`xrd_sim::BETA_COMPONENTS`] order.
const PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];

impl Aniso {
    /// The anisotropic form of an isotropic `u` in the cell of reciprocal metric `g` (Å⁻²),
    /// under the β directions `betas` of the site's symmetry.
    fn new(u: f64, g: &[[f64; 3]; 3], betas: &[[f64; 6]]) -> Self {
        let astar = [0, 1, 2].map(|i| g[i][i].sqrt());
        let two_pi2 = 2.0 * std::f64::consts::PI * std::f64::consts::PI;
        let s = PAIRS.map(|(i, j)| two_pi2 * astar[i] * astar[j]);
        let mut directions = Vec::with_capacity(betas.len());
        let mut leads = Vec::with_capacity(betas.len());
        for b in betas {
            let lead = b.iter().position(|&v| v == 1.0).unwrap_or(0);
            // β = S∘U: a β direction is the U direction b/S, scaled to 1 at its lead.
            directions.push([0, 1, 2, 3, 4, 5].map(|c| b[c] / s[c] * s[lead]));
            leads.push(lead);
        }
        // Isotropic: β = 2π² U G*, i.e. Uᵢⱼ = U G*ᵢⱼ / (a*ᵢ a*ⱼ).
        let u0 = PAIRS.map(|(i, j)| u * g[i][j] / (astar[i] * astar[j]));
        let scale = [0, 1, 2, 3, 4, 5].map(|c| if c < 3 { s[c] } else { 2.0 * s[c] });
        Self {
            directions,
            leads,
            u0,
            scale,
        }
    }

    /// U at parameters `q`.
    pub fn u(&self, q: &[f64]) -> [f64; 6] {
        let mut u = [0.0; 6];
        for (d, v) in self.directions.iter().zip(q) {
            for c in 0..6 {
                u[c] += v * d[c];
            }
        }
        u
    }

    /// hᵀβh per unit of each parameter, for the image whose Wᵀh is `h`.
    fn per_param(&self, h: [f64; 3]) -> Vec<f64> {
        let hh = PAIRS.map(|(i, j)| h[i] * h[j]);
        self.directions
            .iter()
            .map(|d| (0..6).map(|c| d[c] * self.scale[c] * hh[c]).sum())
            .collect()
    }

    /// U_eq = ⅓ Σᵢⱼ Uᵢⱼ a*ᵢ a*ⱼ aᵢ·aⱼ in the cell of metric `m` and reciprocal metric `g`.
    pub fn u_eq(u: &[f64; 6], m: &[[f64; 3]; 3], g: &[[f64; 3]; 3]) -> f64 {
        let astar = [0, 1, 2].map(|i| g[i][i].sqrt());
        let mut sum = 0.0;
        for (c, &(i, j)) in PAIRS.iter().enumerate() {
            let term = u[c] * astar[i] * astar[j] * m[i][j];
            sum += if i == j { term } else { 2.0 * term };
        }
        sum / 3.0
    }
}

/// How a mixed site's last member follows the others (see [`AtomSite::tied`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tie {
    /// The first member: position and displacement.
    pub leader: usize,
    /// Every other member, whose occupancies it completes.
    pub partners: Vec<usize>,
    /// The group's total occupancy (kept at its start).
    pub total: f64,
}

impl AtomSite {
    /// How many displacement parameters it has: 1 (U) or its free U components.
    pub fn n_displacement(&self) -> usize {
        self.aniso.as_ref().map_or(1, |a| a.directions.len())
    }

    /// Its parameters in table order: the free coordinates, U (or its free U components),
    /// occupancy; none for a mixed site's last member, which follows the others.
    pub fn params(&self) -> Vec<SiteParam> {
        if self.tied.is_some() {
            return Vec::new();
        }
        let mut p: Vec<SiteParam> = self.axes.iter().map(|&a| SiteParam::axis(a)).collect();
        match &self.aniso {
            None => p.push(SiteParam::U),
            Some(a) => p.extend(a.leads.iter().map(|&c| SiteParam::ANISOTROPIC[c])),
        }
        p.push(SiteParam::Occupancy);
        p
    }

    /// The position at the site's parameter values `v` (coordinates first: each the value of
    /// the coordinate it leads, the others following it along its direction).
    pub fn position(&self, v: &[f64]) -> [f64; 3] {
        let mut x = self.x0;
        for ((d, p), &a) in self.directions.iter().zip(v).zip(&self.axes) {
            let shift = p - self.x0[a];
            for k in 0..3 {
                x[k] += shift * d[k];
            }
        }
        x
    }

    /// The starting values of its parameters: the coordinates it leads, U, occupancy.
    pub fn starts(&self) -> Vec<f64> {
        if self.tied.is_some() {
            return Vec::new();
        }
        let mut v: Vec<f64> = self.axes.iter().map(|&a| self.x0[a]).collect();
        match &self.aniso {
            None => v.push(self.u0),
            Some(a) => v.extend(a.leads.iter().map(|&c| a.u0[c])),
        }
        v.push(self.occupancy0);
        v
    }
}

/// An image of a site: the site, the operation, the lattice translation after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Image {
    pub site: usize,
    pub op: usize,
    pub shift: [f64; 3],
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// The distance (Å) between fractional positions `a` and `b` in `lattice`.
pub(crate) fn distance(lattice: &xrd_sim::Lattice, a: [f64; 3], b: [f64; 3]) -> f64 {
    norm(lattice.cartesian(sub(b, a)))
}

/// The angle (°) at `centre` between `a` and `b` (fractional positions) in `lattice`.
pub(crate) fn angle(lattice: &xrd_sim::Lattice, a: [f64; 3], centre: [f64; 3], b: [f64; 3]) -> f64 {
    let u = lattice.cartesian(sub(a, centre));
    let v = lattice.cartesian(sub(b, centre));
    let cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (norm(u) * norm(v));
    cos.clamp(-1.0, 1.0).acos().to_degrees()
}

/// One reflection's geometry under the operations: h·W and h·w of each.
#[derive(Debug, Clone)]
struct Images {
    /// Wᵀh (so that h·(W x) = (Wᵀh)·x) and 2π h·w, per operation.
    ops: Vec<([f64; 3], f64)>,
    /// s² = 1/(4d²) at the starting cell.
    s2: f64,
}

/// The refinable structure of one phase prepared for one pattern's reflections.
#[derive(Debug, Clone)]
pub(crate) struct AtomModel {
    pub sites: Vec<AtomSite>,
    /// The space group's operations in the cell.
    pub ops: Vec<SymOp>,
    /// Per peak, per member: its images.
    images: Vec<Vec<Images>>,
    /// Per site: the offset of its first parameter among the phase's site parameters.
    pub offsets: Vec<usize>,
    /// The phase's site parameters in all.
    pub n_params: usize,
    /// What preparing the structure changed (a site snapped onto its special position).
    pub notes: Vec<String>,
}

/// |F(h)|² + |F(−h)|² of every member of every peak (a member stands for its Friedel pair, as
/// the simulator's reflections do), and their derivatives with respect to the phase's site
/// parameters (`d[k][m * n + j]`: peak k, member m, parameter j of n).
#[derive(Debug, Clone, Default)]
pub(crate) struct StructureF2 {
    pub f2: Vec<Vec<f64>>,
    pub d: Vec<Vec<f64>>,
}

/// The asymmetric unit of `structure`: one site per orbit, labels made unique, with what its
/// site symmetry leaves free.
///
/// # Errors
/// A structure whose symmetry cannot be read.
pub(crate) fn asymmetric_unit(structure: &Structure) -> Result<(Vec<SymOp>, Vec<AsymSite>)> {
    let sym = structure.symmetry(SYMPREC)?;
    let ops = sym.operations;
    let mut out: Vec<AsymSite> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for (i, site) in structure.sites().iter().enumerate() {
        let rep = sym.orbits.get(i).copied().unwrap_or(i);
        if let Some(k) = seen.iter().position(|&r| r == rep) {
            out[k].multiplicity += 1;
            continue;
        }
        seen.push(rep);
        // The representative snapped onto its special position: the images of the operations
        // that keep it within SYMPREC, averaged (a CIF's 0.3333 for 1/3), so that the exact
        // site symmetry decides what is free and the orbit sum counts each atom once.
        let lattice = structure.lattice();
        let near = |x: [f64; 3]| {
            let d = [0, 1, 2].map(|k| {
                let v = x[k] - site.frac[k];
                v - v.round()
            });
            let c = lattice.cartesian(d);
            ((c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt(), d)
        };
        let mut sum = [0.0; 3];
        let mut kept = 0.0f64;
        for op in &ops {
            let (dist, d) = near(op.apply(site.frac));
            if dist < SYMPREC {
                for k in 0..3 {
                    sum[k] += d[k];
                }
                kept += 1.0;
            }
        }
        let frac = [0, 1, 2].map(|k| site.frac[k] + sum[k] / kept.max(1.0));
        let moved = near(frac).0;
        let c = SiteConstraints::of(&ops, frac);
        let mut label = if site.label.is_empty() {
            site.species.element.symbol().to_string()
        } else {
            site.label.clone()
        };
        if out.iter().any(|s| s.label == label) {
            let base = label.clone();
            let mut k = 2;
            while out.iter().any(|s| s.label == format!("{base}_{k}")) {
                k += 1;
            }
            label = format!("{base}_{k}");
        }
        out.push(AsymSite {
            snapped: moved,
            label,
            element: site.species.element,
            species: site.species,
            frac,
            u: site.b_iso / EIGHT_PI2,
            occupancy: site.occupancy,
            constraints: c,
            multiplicity: 1,
            tied: None,
        });
    }
    // Sites sharing a position (a mixed site) share it at most fully; the group's last member
    // follows the first and completes the others' occupancies.
    let mut grouped = vec![false; out.len()];
    for i in 0..out.len() {
        if grouped[i] {
            continue;
        }
        let shared: Vec<usize> = (i..out.len())
            .filter(|&j| {
                // The nearest lattice image of j's position.
                let d = [0, 1, 2].map(|k| {
                    let v = out[j].frac[k] - out[i].frac[k];
                    out[i].frac[k] + v - v.round()
                });
                distance(structure.lattice(), out[i].frac, d) < SYMPREC
            })
            .collect();
        let total: f64 = shared.iter().map(|&j| out[j].occupancy).sum();
        if shared.len() > 1 && total > 1.0 + 1e-3 {
            let labels: Vec<&str> = shared.iter().map(|&j| out[j].label.as_str()).collect();
            return Err(crate::error::invalid(
                "sites",
                format!(
                    "sites {} share one position with occupancies summing to {total:.3} (> 1)",
                    labels.join(", ")
                ),
            ));
        }
        if let [first, .., last] = shared[..] {
            for &j in &shared {
                grouped[j] = true;
            }
            out[last].tied = Some(Tie {
                leader: first,
                partners: shared[..shared.len() - 1].to_vec(),
                total,
            });
        }
    }
    Ok((ops, out))
}

/// One site of an asymmetric unit, as read from the structure.
#[derive(Debug, Clone)]
pub(crate) struct AsymSite {
    /// How far (Å) the site was moved onto its special position.
    pub snapped: f64,
    pub label: String,
    pub element: Element,
    pub species: xrd_sim::Species,
    pub frac: [f64; 3],
    pub u: f64,
    pub occupancy: f64,
    pub constraints: SiteConstraints,
    pub multiplicity: usize,
    /// A mixed site's last member's tie to the others.
    pub tied: Option<Tie>,
}

impl AtomModel {
    /// The structure of `structure` for the members `hkl[peak][member]` at 1/d² `inv_d2[peak]`
    /// (the starting cell), scattering X-rays of `wavelength` (Å; f′, f″ tabulated when a
    /// characteristic line's, else none) or, with `neutron`, neutrons.
    pub fn new(
        structure: &Structure,
        hkl: &[Vec<[i32; 3]>],
        inv_d2: &[f64],
        wavelength: xrd_io::Wavelength,
        neutron: bool,
        anisotropic: bool,
    ) -> Result<Self> {
        let (ops, asym) = asymmetric_unit(structure)?;
        let anomalous = Anomalous::at_line(wavelength);
        let mut sites = Vec::with_capacity(asym.len());
        let mut offsets = Vec::with_capacity(asym.len());
        let mut notes = Vec::new();
        let mut n_params = 0;
        for a in asym {
            if a.snapped > 1e-4 {
                notes.push(format!(
                    "site {} moved {:.4} Å onto its special position",
                    a.label, a.snapped
                ));
            }
            let scatterer = if neutron {
                let b = xrd_sim::species_scattering_length(&a.species)?;
                Scatterer::Neutron { re: b.re, im: b.im }
            } else {
                let factor = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &a.species)?;
                let (f1, f2) = anomalous.correction(a.element, wavelength)?;
                Scatterer::XRay { factor, f1, f2 }
            };
            let axes = a
                .constraints
                .coordinates
                .iter()
                .map(|v| v.iter().position(|&c| c == 1.0).unwrap_or(0))
                .collect();
            let aniso = anisotropic.then(|| {
                Aniso::new(
                    a.u,
                    &structure.lattice().reciprocal_metric(),
                    &a.constraints.betas,
                )
            });
            offsets.push(n_params);
            if a.tied.is_none() {
                n_params += a.constraints.coordinates.len()
                    + aniso.as_ref().map_or(1, |x| x.directions.len())
                    + 1;
            }
            sites.push(AtomSite {
                label: a.label,
                element: a.element,
                x0: a.frac,
                directions: a.constraints.coordinates,
                axes,
                u0: a.u,
                occupancy0: a.occupancy,
                aniso,
                tied: a.tied,
                multiplicity: a.multiplicity,
                stabiliser: a.constraints.stabiliser.max(1) as f64,
                scatterer,
            });
        }
        if sites.is_empty() {
            return Err(Error::Pattern("a structure without sites".into()));
        }
        let images = hkl
            .iter()
            .zip(inv_d2)
            .map(|(members, &g2)| {
                members
                    .iter()
                    .map(|h| {
                        let hf = h.map(f64::from);
                        Images {
                            ops: ops
                                .iter()
                                .map(|op| {
                                    let w = op.rotation;
                                    let hw = [0, 1, 2].map(|j| {
                                        hf[0] * w[0][j] + hf[1] * w[1][j] + hf[2] * w[2][j]
                                    });
                                    let ht = hf[0] * op.translation[0]
                                        + hf[1] * op.translation[1]
                                        + hf[2] * op.translation[2];
                                    (hw, TWO_PI * ht)
                                })
                                .collect(),
                            s2: g2 / 4.0,
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            sites,
            ops,
            images,
            offsets,
            n_params,
            notes,
        })
    }

    /// Where site `s`'s coordinate and displacement parameters are (its leader's for a mixed
    /// site's last member), and the site that owns them.
    pub fn params_of(&self, s: usize) -> (usize, &AtomSite) {
        let owner = self.sites[s].tied.as_ref().map_or(s, |t| t.leader);
        (self.offsets[owner], &self.sites[owner])
    }

    /// The index of site `s`'s occupancy among the phase's parameters, or none for a mixed
    /// site's last member.
    pub fn occupancy_index(&self, s: usize) -> Option<usize> {
        let site = &self.sites[s];
        site.tied
            .is_none()
            .then(|| self.offsets[s] + site.directions.len() + site.n_displacement())
    }

    /// Site `s`'s occupancy at the phase's site parameters `v`.
    pub fn occupancy(&self, v: &[f64], s: usize) -> f64 {
        match (&self.sites[s].tied, self.occupancy_index(s)) {
            (Some(t), _) => {
                t.total
                    - t.partners
                        .iter()
                        .filter_map(|&p| self.occupancy_index(p))
                        .map(|i| v[i])
                        .sum::<f64>()
            }
            (None, Some(i)) => v[i],
            (None, None) => 0.0,
        }
    }

    /// Every site's position at the phase's site parameters `v` (in order).
    pub fn positions(&self, v: &[f64]) -> Vec<[f64; 3]> {
        (0..self.sites.len())
            .map(|s| {
                let (o, owner) = self.params_of(s);
                owner.position(&v[o..o + owner.directions.len()])
            })
            .collect()
    }

    /// The position of `image` among `positions`.
    pub fn image(&self, positions: &[[f64; 3]], image: Image) -> [f64; 3] {
        let x = self.ops[image.op].apply(positions[image.site]);
        [
            x[0] + image.shift[0],
            x[1] + image.shift[1],
            x[2] + image.shift[2],
        ]
    }

    /// Every image of site `to` within `reach` Å of site `from` (itself excepted), each once,
    /// nearest first, with its distance.
    pub fn neighbours(
        &self,
        positions: &[[f64; 3]],
        lattice: &xrd_sim::Lattice,
        from: usize,
        to: usize,
        reach: f64,
    ) -> Vec<(Image, f64)> {
        let mut out: Vec<(Image, f64)> = Vec::new();
        for op in 0..self.ops.len() {
            let x = self.ops[op].apply(positions[to]);
            // The image moved to the cell nearest the site first, then its 26 neighbours.
            let base = [0, 1, 2].map(|k| (positions[from][k] - x[k]).round());
            for t in 0..27 {
                let shift = [
                    base[0] + (t / 9) as f64 - 1.0,
                    base[1] + ((t / 3) % 3) as f64 - 1.0,
                    base[2] + (t % 3) as f64 - 1.0,
                ];
                let im = Image {
                    site: to,
                    op,
                    shift,
                };
                let y = self.image(positions, im);
                let d = distance(lattice, positions[from], y);
                if d < 0.3 || d > reach {
                    continue;
                }
                if out
                    .iter()
                    .all(|(m, _)| distance(lattice, self.image(positions, *m), y) > 1e-3)
                {
                    out.push((im, d));
                }
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }

    /// The starting values of every site parameter, in order.
    #[cfg(test)]
    pub fn starts(&self) -> Vec<f64> {
        self.sites.iter().flat_map(AtomSite::starts).collect()
    }

    /// |F|² of every member at site parameters `v` (the phase's, in order) and, with
    /// `derivatives`, their derivatives.
    pub fn evaluate(&self, v: &[f64], derivatives: bool) -> StructureF2 {
        let n = self.n_params;
        let positions = self.positions(v);
        let occupancies: Vec<f64> = (0..self.sites.len())
            .map(|s| self.occupancy(v, s))
            .collect();
        let mut out = StructureF2 {
            f2: Vec::with_capacity(self.images.len()),
            d: Vec::with_capacity(self.images.len()),
        };
        // Per site: Σ_ops e^{iφ} and, per free coordinate, Σ_ops i·2π(h·Wv) e^{iφ}.
        let mut dsum: Vec<(f64, f64)> = Vec::new();
        // dF(±h)/dp for every parameter, as (re, im): cleared per member, allocated once.
        let mut dp = vec![(0.0, 0.0); if derivatives { n } else { 0 }];
        let mut dm = vec![(0.0, 0.0); if derivatives { n } else { 0 }];
        for peak in &self.images {
            let mut f2s = Vec::with_capacity(peak.len());
            let mut ds = if derivatives {
                vec![0.0; peak.len() * n]
            } else {
                Vec::new()
            };
            for (m, img) in peak.iter().enumerate() {
                let s = img.s2.sqrt();
                // F(h) and F(−h) (Friedel's mate: the conjugate orbit sums; apart with f″).
                let (mut pr, mut pi, mut mr, mut mi) = (0.0, 0.0, 0.0, 0.0);
                dp.fill((0.0, 0.0));
                dm.fill((0.0, 0.0));
                for (idx, (site, x)) in self.sites.iter().zip(&positions).enumerate() {
                    // A mixed site's last member moves and vibrates with its leader.
                    let (o, geo) = self.params_of(idx);
                    let nd = geo.directions.len();
                    let nu = geo.n_displacement();
                    let occ = occupancies[idx];
                    let (ar, ai) = site.scatterer.at(s);
                    // Isotropic: one Debye–Waller factor for every image; anisotropic: one per
                    // image, exp(−(Wᵀh)ᵀβ(Wᵀh)), and its derivative in each U parameter.
                    let iso = match &geo.aniso {
                        None => (-EIGHT_PI2 * v[o + nd] * img.s2).exp(),
                        Some(_) => 1.0,
                    };
                    let (mut sr, mut si) = (0.0, 0.0);
                    dsum.clear();
                    dsum.resize(nd + nu, (0.0, 0.0));
                    for &(hw, ht) in &img.ops {
                        let phi = TWO_PI * (hw[0] * x[0] + hw[1] * x[1] + hw[2] * x[2]) + ht;
                        let (sn, cs) = phi.sin_cos();
                        let (sn, cs, per) = match &geo.aniso {
                            None => (sn, cs, Vec::new()),
                            Some(a) => {
                                let per = a.per_param(hw);
                                let q = &v[o + nd..o + nd + nu];
                                let e: f64 = per.iter().zip(q).map(|(p, q)| p * q).sum();
                                let t = (-e).exp();
                                (t * sn, t * cs, per)
                            }
                        };
                        sr += cs;
                        si += sn;
                        if derivatives {
                            for (k, d) in geo.directions.iter().enumerate() {
                                let a = TWO_PI * (hw[0] * d[0] + hw[1] * d[1] + hw[2] * d[2]);
                                // d e^{iφ} = i a e^{iφ} = a(−sin φ + i cos φ)
                                dsum[k].0 -= a * sn;
                                dsum[k].1 += a * cs;
                            }
                            for (k, p) in per.iter().enumerate() {
                                dsum[nd + k].0 -= p * cs;
                                dsum[nd + k].1 -= p * sn;
                            }
                        }
                    }
                    let t = iso / site.stabiliser;
                    // f·S for h and f·S̄ for −h.
                    let mul = |(xr, xi): (f64, f64)| (ar * xr - ai * xi, ar * xi + ai * xr);
                    let (gp, gm) = (mul((sr, si)), mul((sr, -si)));
                    let w = occ * t;
                    pr += w * gp.0;
                    pi += w * gp.1;
                    mr += w * gm.0;
                    mi += w * gm.1;
                    if derivatives {
                        // Coordinates, and anisotropic U (their sums carry the factors).
                        // Added, not set: a mixed site's members share their leader's.
                        let mut add = |i: usize, f: f64, (a, b): ((f64, f64), (f64, f64))| {
                            dp[i].0 += f * a.0;
                            dp[i].1 += f * a.1;
                            dm[i].0 += f * b.0;
                            dm[i].1 += f * b.1;
                        };
                        for (k, &(dr, di)) in dsum.iter().enumerate() {
                            add(o + k, w, (mul((dr, di)), mul((dr, -di))));
                        }
                        if geo.aniso.is_none() {
                            add(o + nd, -EIGHT_PI2 * img.s2 * w, (gp, gm));
                        }
                        match (&self.sites[idx].tied, self.occupancy_index(idx)) {
                            (None, Some(i)) => add(i, t, (gp, gm)),
                            (Some(tie), _) => {
                                for i in
                                    tie.partners.iter().filter_map(|&p| self.occupancy_index(p))
                                {
                                    add(i, -t, (gp, gm));
                                }
                            }
                            (None, None) => {}
                        }
                    }
                }
                f2s.push(pr * pr + pi * pi + mr * mr + mi * mi);
                if derivatives {
                    for j in 0..n {
                        ds[m * n + j] =
                            2.0 * (pr * dp[j].0 + pi * dp[j].1 + mr * dm[j].0 + mi * dm[j].1);
                    }
                }
            }
            out.f2.push(f2s);
            out.d.push(ds);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xrd_io::Wavelength;
    use xrd_sim::{PowderParams, Simulator};

    const PBSO4: &str = "data_pbso4\n_cell_length_a 8.48\n_cell_length_b 5.398\n_cell_length_c 6.958\n\
        _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
        _symmetry_space_group_name_H-M 'P n m a'\n\
        loop_\n_space_group_symop_operation_xyz\nx,y,z\n1/2-x,1/2+y,1/2+z\nx,1/2-y,z\n1/2-x,-y,1/2+z\n\
        -x,-y,-z\n1/2+x,1/2-y,1/2-z\n-x,1/2+y,-z\n1/2+x,y,1/2-z\n\
        loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
        _atom_site_fract_z\n_atom_site_occupancy\n_atom_site_U_iso_or_equiv\n\
        Pb Pb 0.1882 0.25 0.167 1 0.010\nS S 0.063 0.25 0.686 1 0.012\nO1 O -0.095 0.25 0.600 1 0.015\n\
        O2 O 0.181 0.25 0.543 1 0.011\nO3 O 0.085 0.026 0.806 0.9 0.014\n";

    fn pbso4() -> Structure {
        Structure::from_cif(PBSO4).unwrap()
    }

    /// Members and 1/d² of the simulator's reflections, grouped one member per peak.
    fn reflections(s: &Structure) -> (Vec<Vec<[i32; 3]>>, Vec<f64>, Vec<f64>) {
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(Wavelength::CU_KA.without_alpha2())
                .two_theta_range(10.0, 120.0)
                .anomalous(Anomalous::Tabulated),
        )
        .unwrap();
        let r = sim.reflections(s).unwrap();
        let g = s.lattice().reciprocal_metric();
        let inv_d2 = |h: [i32; 3]| {
            let h = h.map(f64::from);
            (0..3)
                .map(|i| (0..3).map(|j| h[i] * g[i][j] * h[j]).sum::<f64>())
                .sum::<f64>()
        };
        (
            r.iter().map(|x| vec![x.hkl]).collect(),
            r.iter().map(|x| inv_d2(x.hkl)).collect(),
            r.iter().map(|x| x.f2).collect(),
        )
    }

    /// A CIF's rounded special position (0.3333 for 1/3 on a threefold axis) is snapped onto
    /// it and noted; a mixed site above full occupancy is refused by its labels.
    #[test]
    fn rounded_special_positions_are_snapped_and_overfull_sites_refused() {
        let cif = |sites: &str| {
            Structure::from_cif(&format!(
                "data_t\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 7\n\
                 _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n\
                 _symmetry_space_group_name_H-M 'P -3 m 1'\nloop_\n_atom_site_label\n\
                 _atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
                 _atom_site_fract_z\n_atom_site_occupancy\n{sites}"
            ))
            .unwrap()
        };
        let s = cif("Mg Mg 0 0 0 1\nO O 0.3333 0.6667 0.2300 1\n");
        let (_, asym) = asymmetric_unit(&s).unwrap();
        let o = &asym[1];
        // On the threefold axis (2d, 1/3 2/3 z): only z is free, moved by ~0.0015 Å.
        assert_eq!(o.constraints.coordinates, vec![[0.0, 0.0, 1.0]]);
        assert!((o.frac[0] - 1.0 / 3.0).abs() < 1e-9, "{:?}", o.frac);
        assert!(o.snapped > 1e-4 && o.snapped < 0.01, "{}", o.snapped);
        let m = AtomModel::new(
            &s,
            &[vec![[1, 0, 1]]],
            &[0.1],
            Wavelength::CU_KA,
            false,
            false,
        )
        .unwrap();
        assert!(m.notes[0].contains("site O moved"), "{:?}", m.notes);
        let mixed = cif("Fe Fe 0 0 0 0.7\nTi Ti 0 0 0 0.5\nO O 0.3333 0.6667 0.23 1\n");
        let e = asymmetric_unit(&mixed).unwrap_err().to_string();
        assert!(e.contains("Fe, Ti") && e.contains("1.200"), "{e}");
    }

    #[test]
    fn the_asymmetric_unit_and_its_free_coordinates() {
        let (ops, asym) = asymmetric_unit(&pbso4()).unwrap();
        assert_eq!(ops.len(), 8);
        let labels: Vec<&str> = asym.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["Pb", "S", "O1", "O2", "O3"]);
        let free: Vec<usize> = asym
            .iter()
            .map(|a| a.constraints.coordinates.len())
            .collect();
        // Four sites on the mirror (x, 1/4, z), O3 general: 11 free coordinates.
        assert_eq!(free, [2, 2, 2, 2, 3]);
        let mult: Vec<usize> = asym.iter().map(|a| a.multiplicity).collect();
        assert_eq!(mult, [4, 4, 4, 4, 8]);
        assert!((asym[4].u - 0.014).abs() < 1e-12 && asym[4].occupancy == 0.9);
    }

    /// |F|² from the orbit sum equals the simulator's over the expanded cell.
    #[test]
    fn f2_matches_the_simulator() {
        let s = pbso4();
        let (hkl, inv_d2, f2) = reflections(&s);
        let m = AtomModel::new(&s, &hkl, &inv_d2, Wavelength::CU_KA, false, false).unwrap();
        let got = m.evaluate(&m.starts(), false);
        let largest = f2.iter().copied().fold(0.0, f64::max);
        for (k, want) in f2.iter().enumerate() {
            let g = got.f2[k][0];
            assert!(
                (g - want).abs() <= 1e-6 * largest,
                "{:?}: {g} vs {want}",
                hkl[k]
            );
        }
    }

    /// Every derivative against central differences, isotropic and anisotropic.
    #[test]
    fn derivatives_match_central_differences() {
        derivatives_check(false);
        derivatives_check(true);
    }

    /// Anisotropic displacements: what the site symmetry leaves free (Pnma's mirror: U12 =
    /// U23 = 0; a threefold axis of P-3m1: U11 = U22 = 2 U12, U13 = U23 = 0), an isotropic
    /// start giving the isotropic |F|², U_eq the U it started from.
    #[test]
    fn anisotropic_displacements_under_the_site_symmetry() {
        let s = pbso4();
        let (hkl, inv_d2, f2) = reflections(&s);
        let m = AtomModel::new(&s, &hkl, &inv_d2, Wavelength::CU_KA, false, true).unwrap();
        let pb = &m.sites[0];
        assert_eq!(
            pb.params(),
            [
                SiteParam::X,
                SiteParam::Z,
                SiteParam::U11,
                SiteParam::U22,
                SiteParam::U33,
                SiteParam::U13,
                SiteParam::Occupancy
            ]
        );
        assert_eq!(m.sites[4].n_displacement(), 6, "O3 is general");
        let got = m.evaluate(&m.starts(), false);
        assert_simulator_f2(&got, &f2, &hkl);
        let l = s.lattice();
        let u = pb.aniso.as_ref().unwrap().u0;
        let ueq = Aniso::u_eq(&u, &l.metric(), &l.reciprocal_metric());
        assert!((ueq - 0.010).abs() < 1e-12, "{ueq}");
        let hex = Structure::from_cif(
            "data_t\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 7\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n\
             _symmetry_space_group_name_H-M 'P -3 m 1'\nloop_\n_atom_site_label\n\
             _atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
             _atom_site_fract_z\n_atom_site_U_iso_or_equiv\nMg Mg 0 0 0 0.01\n\
             O O 0.333333 0.666667 0.23 0.02\n",
        )
        .unwrap();
        let m = AtomModel::new(
            &hex,
            &[vec![[1, 0, 1]]],
            &[0.1],
            Wavelength::CU_KA,
            false,
            true,
        )
        .unwrap();
        let o = m.sites[1].aniso.as_ref().unwrap();
        // Reduced row-echelon form keeps the later components free: U33 and U12 (U11 = U22 =
        // 2 U12 follow).
        assert_eq!(o.leads, [2, 3], "U33 and U12 free");
        let u = o.u(&[0.05, 0.015]);
        for (c, want) in [0.03, 0.03, 0.05, 0.015, 0.0, 0.0].iter().enumerate() {
            assert!((u[c] - want).abs() < 1e-12, "{u:?}");
        }
        // Isotropic U 0.02 reads as U11 = U22 = 0.02, U12 = 0.01 in a hexagonal cell.
        assert!(
            (o.u0[0] - 0.02).abs() < 1e-12 && (o.u0[3] - 0.01).abs() < 1e-12,
            "{:?}",
            o.u0
        );
    }

    /// A mixed site (Fe 0.4 / Ti 0.6 on rutile's Ti position): Ti follows Fe's position and
    /// U and completes its occupancy to the total; |F|² as the simulator's, and every
    /// derivative (the shared ones summed) against central differences.
    #[test]
    fn a_mixed_site_moves_as_one_and_keeps_its_total() {
        let s = Structure::from_cif(
            "data_t\n_cell_length_a 4.594\n_cell_length_b 4.594\n_cell_length_c 2.959\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
             _symmetry_space_group_name_H-M 'P 42/m n m'\nloop_\n_atom_site_label\n\
             _atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
             _atom_site_fract_z\n_atom_site_occupancy\n_atom_site_U_iso_or_equiv\n\
             Fe Fe 0 0 0 0.4 0.008\nTi Ti 0 0 0 0.6 0.008\nO O 0.3053 0.3053 0 1 0.01\n",
        )
        .unwrap();
        let (hkl, inv_d2, f2) = reflections(&s);
        let m = AtomModel::new(&s, &hkl, &inv_d2, Wavelength::CU_KA, false, false).unwrap();
        assert_eq!(m.sites[0].params(), [SiteParam::U, SiteParam::Occupancy]);
        assert!(m.sites[1].params().is_empty(), "Ti follows Fe");
        assert_eq!(m.n_params, 2 + 3);
        let v0 = m.starts();
        assert!((m.occupancy(&v0, 1) - 0.6).abs() < 1e-12);
        let got = m.evaluate(&v0, false);
        assert_simulator_f2(&got, &f2, &hkl);
        // More Fe is less Ti: the total holds.
        let mut v = v0.clone();
        v[1] = 0.55;
        assert!((m.occupancy(&v, 1) - 0.45).abs() < 1e-12);
        assert_derivatives(&m, &v, "mixed site");
    }

    /// A site typed `D` scatters neutrons as deuterium, not as natural hydrogen: in rock-salt LiD,
    /// F(111) ∝ b_Li − b_X and F(200) ∝ b_Li + b_X (U = 0, so only the lengths enter).
    #[test]
    fn isotopes_scatter_neutrons_by_their_own_length() {
        let ratio = |x: &str| {
            let s = Structure::from_cif(&format!(
                "data_t\n_cell_length_a 4.07\n_cell_length_b 4.07\n_cell_length_c 4.07\n\
                 _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                 _symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n\
                 _atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
                 _atom_site_fract_z\n_atom_site_U_iso_or_equiv\n\
                 Li1 Li 0 0 0 0\n{x}1 {x} 0.5 0.5 0.5 0\n"
            ))
            .unwrap();
            let hkl = vec![vec![[1, 1, 1]], vec![[2, 0, 0]]];
            let inv_d2 = vec![3.0 / 4.07f64.powi(2), 4.0 / 4.07f64.powi(2)];
            let m = AtomModel::new(&s, &hkl, &inv_d2, Wavelength::CU_KA, true, false).unwrap();
            let f2 = m.evaluate(&m.starts(), false).f2;
            f2[0][0] / f2[1][0]
        };
        let (li, h, d) = (-1.90, -3.7390, 6.671);
        let want = |b: f64| ((li - b) / (li + b)).powi(2);
        assert!((ratio("H") - want(h)).abs() < 1e-9 * want(h));
        assert!((ratio("D") - want(d)).abs() < 1e-9 * want(d));
        assert!((ratio("2H") - want(d)).abs() < 1e-9 * want(d));
    }

    /// Each peak's |F|² of `got` as the simulator's `f2` (one member a peak), to 1e-6 of the
    /// largest.
    fn assert_simulator_f2(got: &StructureF2, f2: &[f64], hkl: &[Vec<[i32; 3]>]) {
        let largest = f2.iter().copied().fold(0.0, f64::max);
        for (k, want) in f2.iter().enumerate() {
            assert!(
                (got.f2[k][0] - want).abs() <= 1e-6 * largest,
                "{:?}",
                hkl[k]
            );
        }
    }

    /// Every derivative of `m`'s |F|² at `v` against central differences (one member a peak).
    fn assert_derivatives(m: &AtomModel, v: &[f64], what: &str) {
        let d = m.evaluate(v, true);
        for j in 0..m.n_params {
            let h = 1e-6;
            let (mut up, mut down) = (v.to_vec(), v.to_vec());
            up[j] += h;
            down[j] -= h;
            let (fu, fd) = (m.evaluate(&up, false), m.evaluate(&down, false));
            let (mut diff, mut norm) = (0.0, 0.0);
            for k in 0..d.f2.len() {
                let num = (fu.f2[k][0] - fd.f2[k][0]) / (2.0 * h);
                diff += (d.d[k][j] - num).powi(2);
                norm += num * num;
            }
            assert!(norm > 0.0, "{what}: parameter {j} has no effect");
            assert!((diff / norm).sqrt() < 1e-6, "{what}: parameter {j}");
        }
    }

    fn derivatives_check(anisotropic: bool) {
        let s = pbso4();
        let (hkl, inv_d2, _) = reflections(&s);
        let m = AtomModel::new(&s, &hkl, &inv_d2, Wavelength::CU_KA, false, anisotropic).unwrap();
        let mut v = m.starts();
        // Away from the start, so no derivative vanishes by symmetry of the start.
        for (j, x) in v.iter_mut().enumerate() {
            *x += 0.003 * ((j % 5) as f64 - 2.0);
        }
        assert_derivatives(
            &m,
            &v,
            if anisotropic {
                "anisotropic"
            } else {
                "isotropic"
            },
        );
    }
}
