//! The lattice metrics an indexing tries: how d*² = 1/d² of a reflection hkl follows from a few
//! reciprocal-metric parameters, which reflection fits an observed d*² best, how many distinct
//! lines a cell has below a d*², and the direct cell of a parameter vector. (Indexing papers
//! call d*² "Q"; xrd keeps q for 4π sin θ / λ.)

use serde::{Deserialize, Serialize};
use xrd_sim::{CrystalSystem, Lattice};

/// A lattice metric: the form of d*²(hkl) = 1/d² that a crystal system's cell allows.
///
/// | metric | d*²(hkl) | parameters |
/// | --- | --- | --- |
/// | cubic | A (h² + k² + l²) | A = 1/a² |
/// | hexagonal | A (h² + hk + k²) + C l² | A = 4/(3a²), C = 1/c² |
/// | tetragonal | A (h² + k²) + C l² | A = 1/a², C = 1/c² |
/// | orthorhombic | A h² + B k² + C l² | 1/a², 1/b², 1/c² |
/// | monoclinic (b unique) | A h² + B k² + C l² + E hl | a*², b*², c*², 2a*c* cos β* |
///
/// The hexagonal metric is that of trigonal crystals as well (a rhombohedral lattice indexed on
/// hexagonal axes): powder line positions cannot tell the two systems apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// One parameter.
    Cubic,
    /// Two parameters; trigonal and hexagonal crystals.
    Hexagonal,
    /// Two parameters.
    Tetragonal,
    /// Three parameters.
    Orthorhombic,
    /// Four parameters, b the unique axis.
    Monoclinic,
}

/// Largest number of parameters of a metric.
pub(crate) const MAX_PARAMS: usize = 4;

impl Metric {
    /// From the highest symmetry down: the order in which an indexing prefers them.
    pub const ALL: [Metric; 5] = [
        Metric::Cubic,
        Metric::Hexagonal,
        Metric::Tetragonal,
        Metric::Orthorhombic,
        Metric::Monoclinic,
    ];

    /// Number of reciprocal-metric parameters.
    pub fn parameters(self) -> usize {
        match self {
            Metric::Cubic => 1,
            Metric::Hexagonal | Metric::Tetragonal => 2,
            Metric::Orthorhombic => 3,
            Metric::Monoclinic => 4,
        }
    }

    /// The crystal systems whose cells have this metric (hexagonal: trigonal and hexagonal).
    pub fn systems(self) -> &'static [CrystalSystem] {
        match self {
            Metric::Cubic => &[CrystalSystem::Cubic],
            Metric::Hexagonal => &[CrystalSystem::Trigonal, CrystalSystem::Hexagonal],
            Metric::Tetragonal => &[CrystalSystem::Tetragonal],
            Metric::Orthorhombic => &[CrystalSystem::Orthorhombic],
            Metric::Monoclinic => &[CrystalSystem::Monoclinic],
        }
    }

    /// The design row of hkl: d*²(hkl) = row · parameters.
    pub(crate) fn row(self, h: i32, k: i32, l: i32) -> [f64; MAX_PARAMS] {
        let (h, k, l) = (f64::from(h), f64::from(k), f64::from(l));
        match self {
            Metric::Cubic => [h * h + k * k + l * l, 0.0, 0.0, 0.0],
            Metric::Hexagonal => [h * h + h * k + k * k, l * l, 0.0, 0.0],
            Metric::Tetragonal => [h * h + k * k, l * l, 0.0, 0.0],
            Metric::Orthorhombic => [h * h, k * k, l * l, 0.0],
            Metric::Monoclinic => [h * h, k * k, l * l, h * l],
        }
    }

    /// The distinct design rows of the reflections with indices up to `max` in size: the
    /// assignments an indexing tries for its first lines.
    pub(crate) fn base_rows(self, max: i32) -> Vec<[f64; MAX_PARAMS]> {
        let mut rows: Vec<[f64; MAX_PARAMS]> = Vec::new();
        for h in 0..=max {
            for k in 0..=max {
                for l in -max..=max {
                    if (h, k, l) == (0, 0, 0) || (l < 0 && self != Metric::Monoclinic) {
                        continue;
                    }
                    let r = self.row(h, k, l);
                    if !rows.contains(&r) {
                        rows.push(r);
                    }
                }
            }
        }
        rows
    }

    /// Whether `p` is a valid parameter vector: a positive-definite metric whose direct cell
    /// edges are at most `max_edge` ångström.
    pub(crate) fn admissible(self, p: &[f64], max_edge: f64) -> bool {
        if p.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let n = self.parameters();
        let positive = p.iter().take(n.min(3)).all(|&v| v > 0.0);
        if !positive {
            return false;
        }
        if self == Metric::Monoclinic && p[0] * p[2] - 0.25 * p[3] * p[3] <= 0.0 {
            return false;
        }
        // Edge² = (G*⁻¹)ᵢᵢ, without building the cell: this runs for every trial.
        let edges2 = self.edges_squared(p);
        let limit = max_edge * max_edge;
        edges2.iter().all(|&e| e <= limit)
    }

    /// a², b², c² of the cell `p` (the diagonal of the direct metric G = G*⁻¹).
    fn edges_squared(self, p: &[f64]) -> [f64; 3] {
        match self {
            Metric::Cubic => [1.0 / p[0]; 3],
            Metric::Tetragonal => [1.0 / p[0], 1.0 / p[0], 1.0 / p[1]],
            Metric::Hexagonal => {
                let a2 = 4.0 / (3.0 * p[0]);
                [a2, a2, 1.0 / p[1]]
            }
            Metric::Orthorhombic => [1.0 / p[0], 1.0 / p[1], 1.0 / p[2]],
            Metric::Monoclinic => {
                // G* = [[A, 0, E/2], [0, B, 0], [E/2, 0, C]]: (G*⁻¹)₁₁ = C / det, (G*⁻¹)₃₃ = A / det.
                let det = p[0] * p[2] - 0.25 * p[3] * p[3];
                [p[2] / det, 1.0 / p[1], p[0] / det]
            }
        }
    }

    /// The best reflection for an observed d*² `q` under parameters `p`: (|q − d*²(hkl)|, design
    /// row). None only for a metric without reflections below `q` + 1 (never for admissible `p`).
    /// The oracle of [`nearest_within`](Self::nearest_within), which the indexing uses.
    #[cfg(test)]
    pub(crate) fn nearest(self, p: &[f64], q: f64) -> Option<(f64, [f64; MAX_PARAMS])> {
        let mut best: Option<(f64, [i32; 3])> = None;
        self.scan(p, q, |e, hkl| {
            if best.is_none_or(|(b, _)| e < b) {
                best = Some((e, hkl));
            }
            false
        });
        best.map(|(e, [h, k, l])| (e, self.row(h, k, l)))
    }

    /// Whether a reflection lies within `tol` of `q` (stops at the first).
    #[cfg(test)]
    pub(crate) fn fits(self, p: &[f64], q: f64, tol: f64) -> bool {
        self.fits_by(p, q, |e, _| e <= tol)
    }

    /// Whether `accept(|q − d*²(hkl)|, hkl)` holds for one of the reflections that can be
    /// nearest to `q` (see [`scan`](Self::scan); stops at the first).
    pub(crate) fn fits_by(
        self,
        p: &[f64],
        q: f64,
        mut accept: impl FnMut(f64, [i32; 3]) -> bool,
    ) -> bool {
        let mut hit = false;
        self.scan(p, q, |e, hkl| {
            hit = accept(e, hkl);
            hit
        });
        hit
    }

    /// Calls `visit(|q − d*²(hkl)|, hkl)` for the reflections that can be nearest to `q` (for each
    /// choice of the outer indices, the two values of the last index around `q`), until it
    /// returns true. Indices are bounded by the reflection's d*²: d*² ≥ (index)² × (the
    /// smallest d*² of that index direction), with a margin of one.
    fn scan(self, p: &[f64], q: f64, mut visit: impl FnMut(f64, [i32; 3]) -> bool) {
        // `as i32` truncates: the floor of the non-negative values here, without a libm call.
        match self {
            Metric::Cubic => {
                let n0 = (q / p[0]).max(0.0) as i32;
                for n in (n0 - 2).max(1)..=n0 + 3 {
                    if let Some(hkl) = three_squares(n)
                        && visit((q - p[0] * f64::from(n)).abs(), [hkl.0, hkl.1, hkl.2])
                    {
                        return;
                    }
                }
            }
            Metric::Hexagonal | Metric::Tetragonal => {
                let (a, c) = (p[0], p[1]);
                let lmax = (q / c).sqrt() as i32 + 1;
                let tetragonal = self == Metric::Tetragonal;
                for l in 0..=lmax {
                    let rest = q - c * f64::from(l * l);
                    let r = rest / a;
                    // The in-plane form is at least h²: beyond the first h with h² > r every
                    // reflection of this l lies further above q.
                    let hmax = r.max(0.0).sqrt() as i32 + 1;
                    for h in 0..=hmax {
                        let hf = f64::from(h);
                        // k from k² (+ hk) + h² = r.
                        let kf = if tetragonal {
                            (r - hf * hf).max(0.0).sqrt()
                        } else {
                            0.5 * ((4.0 * r - 3.0 * hf * hf).max(0.0).sqrt() - hf).max(0.0)
                        };
                        let k0 = kf as i32;
                        for k in [k0, k0 + 1] {
                            let kk = f64::from(k);
                            let m = if tetragonal {
                                hf * hf + kk * kk
                            } else {
                                hf * hf + hf * kk + kk * kk
                            };
                            if (h, k, l) != (0, 0, 0) && visit((rest - a * m).abs(), [h, k, l]) {
                                return;
                            }
                        }
                    }
                }
            }
            Metric::Orthorhombic => {
                let (a, b, c) = (p[0], p[1], p[2]);
                let hmax = (q / a).sqrt() as i32 + 1;
                let lmax = (q / c).sqrt() as i32 + 1;
                for h in 0..=hmax {
                    let qh = q - a * f64::from(h * h);
                    // Beyond the first l with C l² > what h leaves, every reflection of this h
                    // lies further above q.
                    let lmax = ((qh.max(0.0) / c).sqrt() as i32 + 1).min(lmax);
                    for l in 0..=lmax {
                        let r = qh - c * f64::from(l * l);
                        let k0 = (r.max(0.0) / b).sqrt() as i32;
                        for k in [k0, k0 + 1] {
                            if (h, k, l) != (0, 0, 0)
                                && visit((r - b * f64::from(k * k)).abs(), [h, k, l])
                            {
                                return;
                            }
                        }
                    }
                }
            }
            Metric::Monoclinic => {
                let (a, b, c, e) = (p[0], p[1], p[2], p[3]);
                let det = a * c - 0.25 * e * e;
                // The smallest A h² + C l² + E hl over l for fixed h is h² det / C (and over h
                // for fixed l, l² det / A).
                let hmax = (q * c / det).sqrt() as i32 + 1;
                let lmax = (q * a / det).sqrt() as i32 + 1;
                for h in 0..=hmax {
                    let lmin = if h == 0 { 0 } else { -lmax };
                    for l in lmin..=lmax {
                        let (hf, lf) = (f64::from(h), f64::from(l));
                        let r = q - a * hf * hf - c * lf * lf - e * hf * lf;
                        let k0 = (r.max(0.0) / b).sqrt() as i32;
                        for k in [k0, k0 + 1] {
                            if (h, k, l) != (0, 0, 0)
                                && visit((r - b * f64::from(k * k)).abs(), [h, k, l])
                            {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }

    /// For each line `i` of d*² `qs[i]` (ascending), the reflection nearest to it among those
    /// within `windows[i]` of it, as (|q − d*²(hkl)|, design row) in `out[i]`; None where no
    /// reflection is that close. Where [`nearest`](Self::nearest)'s answer lies within the
    /// window this is the same answer, to the bit: one pass over the cell's reflections serves
    /// every line, where a search per line visits the same reflections once per line (the
    /// refinement asks for every line of every trial cell several times). `scratch` is a buffer
    /// the caller keeps between calls (its contents are replaced). Returns how many reflections
    /// it enumerated: those up to the last line plus its window.
    pub(crate) fn nearest_within(
        self,
        p: &[f64],
        qs: &[f64],
        windows: &[f64],
        out: &mut [Option<(f64, [f64; MAX_PARAMS])>],
        scratch: &mut Vec<(f64, [i32; 3])>,
    ) -> usize {
        debug_assert!(qs.len() == windows.len() && qs.len() == out.len());
        out.fill(None);
        let reach = windows.iter().copied().fold(0.0, f64::max);
        let q_hi = qs
            .iter()
            .zip(windows)
            .map(|(q, w)| q + w)
            .fold(0.0, f64::max);
        // A reflection is looked up with a little more than the widest window; the exact
        // test is against each line's own window.
        let slack = reach * (1.0 + 1e-9) + 1e-15;
        // Buckets of d*² that list the lines within `slack` of them: a reflection finds its
        // candidate lines (most often none) without a search.
        const BUCKETS: usize = 256;
        let width = (q_hi / BUCKETS as f64).max(f64::MIN_POSITIVE);
        // u16 bounds (at most 100 lines) keep the table in a few cache lines.
        let mut span = [(0u16, 0u16); BUCKETS];
        let (mut lo, mut hi) = (0, 0);
        for (j, s) in span.iter_mut().enumerate() {
            let (from, to) = (j as f64 * width - slack, (j + 1) as f64 * width + slack);
            while lo < qs.len() && qs[lo] < from {
                lo += 1;
            }
            hi = hi.max(lo);
            while hi < qs.len() && qs[hi] <= to {
                hi += 1;
            }
            *s = (lo as u16, hi as u16);
        }
        let inverse_width = 1.0 / width;
        // Enumerated first (into the caller's buffer, reused across calls), then looked up:
        // two tight loops instead of a call per reflection.
        scratch.clear();
        self.reflections(p, q_hi, |qr, hkl| scratch.push((qr, hkl)));
        for &(qr, [h, k, l]) in scratch.iter() {
            let (from, to) = span[((qr * inverse_width) as usize).min(BUCKETS - 1)];
            for i in usize::from(from)..usize::from(to) {
                let q = qs[i];
                if (q - qr).abs() > slack {
                    continue;
                }
                let e = self.error(p, q, [h, k, l]);
                if e <= windows[i] && out[i].is_none_or(|(b, _)| e < b) {
                    out[i] = Some((e, self.row(h, k, l)));
                }
            }
        }
        scratch.len()
    }

    /// |q − d*²(hkl)|, summed in the order [`scan`](Self::scan) sums it, so that both searches
    /// give the same bits.
    #[inline(always)]
    fn error(self, p: &[f64], q: f64, [h, k, l]: [i32; 3]) -> f64 {
        let (hf, kf, lf) = (f64::from(h), f64::from(k), f64::from(l));
        match self {
            Metric::Cubic => (q - p[0] * f64::from(h * h + k * k + l * l)).abs(),
            Metric::Tetragonal => (q - p[1] * f64::from(l * l) - p[0] * (hf * hf + kf * kf)).abs(),
            Metric::Hexagonal => {
                (q - p[1] * f64::from(l * l) - p[0] * (hf * hf + hf * kf + kf * kf)).abs()
            }
            Metric::Orthorhombic => {
                (q - p[0] * f64::from(h * h) - p[2] * f64::from(l * l) - p[1] * f64::from(k * k))
                    .abs()
            }
            Metric::Monoclinic => {
                (q - p[0] * hf * hf - p[2] * lf * lf - p[3] * hf * lf - p[1] * f64::from(k * k))
                    .abs()
            }
        }
    }

    /// Calls `visit(d*², hkl)` once for each reflection of distinct design row (and a few of
    /// equal rows) with d*² ≤ `q_hi`: h, k, l ≥ 0 with k ≤ h in the plane of a hexagonal or
    /// tetragonal cell; h ≥ 0 and l of either sign (l ≥ 0 where h = 0) in a monoclinic one.
    #[inline(always)]
    fn reflections(self, p: &[f64], q_hi: f64, mut visit: impl FnMut(f64, [i32; 3])) {
        // Rounding must not lose a reflection at the limit.
        let q_hi = q_hi * (1.0 + 1e-12);
        match self {
            Metric::Cubic => {
                let nmax = (q_hi / p[0]) as i32;
                for n in 1..=nmax {
                    if let Some((h, k, l)) = three_squares(n) {
                        visit(p[0] * f64::from(n), [h, k, l]);
                    }
                }
            }
            Metric::Hexagonal | Metric::Tetragonal => {
                let (a, c) = (p[0], p[1]);
                let hexagonal = self == Metric::Hexagonal;
                let mut l = 0;
                while c * f64::from(l * l) <= q_hi {
                    let ql = c * f64::from(l * l);
                    let mut h = 0;
                    while ql + a * f64::from(h * h) <= q_hi {
                        for k in 0..=h {
                            let m = if hexagonal {
                                h * h + h * k + k * k
                            } else {
                                h * h + k * k
                            };
                            let q = ql + a * f64::from(m);
                            if q > q_hi {
                                break;
                            }
                            if (h, k, l) != (0, 0, 0) {
                                visit(q, [h, k, l]);
                            }
                        }
                        h += 1;
                    }
                    l += 1;
                }
            }
            Metric::Orthorhombic => {
                let (a, b, c) = (p[0], p[1], p[2]);
                let mut h = 0;
                while a * f64::from(h * h) <= q_hi {
                    let qh = a * f64::from(h * h);
                    let mut l = 0;
                    while qh + c * f64::from(l * l) <= q_hi {
                        let qhl = qh + c * f64::from(l * l);
                        let mut k = 0;
                        while qhl + b * f64::from(k * k) <= q_hi {
                            if (h, k, l) != (0, 0, 0) {
                                visit(qhl + b * f64::from(k * k), [h, k, l]);
                            }
                            k += 1;
                        }
                        l += 1;
                    }
                    h += 1;
                }
            }
            Metric::Monoclinic => {
                let (a, b, c, e) = (p[0], p[1], p[2], p[3]);
                let det = a * c - 0.25 * e * e;
                let hmax = (q_hi * c / det).sqrt() as i32 + 1;
                let lmax = (q_hi * a / det).sqrt() as i32 + 1;
                for h in 0..=hmax {
                    let lmin = if h == 0 { 0 } else { -lmax };
                    for l in lmin..=lmax {
                        let (hf, lf) = (f64::from(h), f64::from(l));
                        let qhl = a * hf * hf + c * lf * lf + e * hf * lf;
                        let mut k = 0;
                        while qhl + b * f64::from(k * k) <= q_hi {
                            if (h, k, l) != (0, 0, 0) {
                                visit(qhl + b * f64::from(k * k), [h, k, l]);
                            }
                            k += 1;
                        }
                    }
                }
            }
        }
    }

    /// The distinct d*² values of the cell `p` up to `q_max` (values closer than a relative
    /// 1e-9 count once): de Wolff's N of calculated lines.
    pub(crate) fn lines_below(self, p: &[f64], q_max: f64) -> usize {
        let mut qs = Vec::new();
        let mut push = |h: i32, k: i32, l: i32| {
            if (h, k, l) != (0, 0, 0) {
                let q = dot(&self.row(h, k, l), p);
                if q <= q_max {
                    qs.push(q);
                }
            }
        };
        match self {
            Metric::Cubic => {
                let nmax = (q_max / p[0]).floor() as i32;
                for n in 1..=nmax {
                    if three_squares(n).is_some() {
                        qs.push(p[0] * f64::from(n));
                    }
                }
            }
            Metric::Hexagonal | Metric::Tetragonal => {
                // h and k swapped give the same d*²: one of the two is enough.
                let [hmax, kmax, lmax] = bounds(&self.tensor(p), q_max);
                for h in 0..=hmax.max(kmax) {
                    for k in 0..=h {
                        for l in 0..=lmax {
                            push(h, k, l);
                        }
                    }
                }
            }
            Metric::Orthorhombic => {
                let [hmax, kmax, lmax] = bounds(&self.tensor(p), q_max);
                for h in 0..=hmax {
                    for k in 0..=kmax {
                        for l in 0..=lmax {
                            push(h, k, l);
                        }
                    }
                }
            }
            Metric::Monoclinic => {
                let [hmax, kmax, lmax] = bounds(&self.tensor(p), q_max);
                for h in 0..=hmax {
                    for k in 0..=kmax {
                        let lmin = if h == 0 { 0 } else { -lmax };
                        for l in lmin..=lmax {
                            push(h, k, l);
                        }
                    }
                }
            }
        }
        // Equal values end up side by side in any order: no need for a stable sort.
        qs.sort_unstable_by(f64::total_cmp);
        qs.dedup_by(|b, a| (*b - *a).abs() <= 1e-9 * *a);
        qs.len()
    }

    /// The reciprocal metric tensor G* of the cell `p`: d*²(h) = hᵀ G* h.
    pub(crate) fn tensor(self, p: &[f64]) -> [[f64; 3]; 3] {
        match self {
            Metric::Cubic => [[p[0], 0.0, 0.0], [0.0, p[0], 0.0], [0.0, 0.0, p[0]]],
            Metric::Tetragonal => [[p[0], 0.0, 0.0], [0.0, p[0], 0.0], [0.0, 0.0, p[1]]],
            Metric::Hexagonal => [
                [p[0], 0.5 * p[0], 0.0],
                [0.5 * p[0], p[0], 0.0],
                [0.0, 0.0, p[1]],
            ],
            Metric::Orthorhombic => [[p[0], 0.0, 0.0], [0.0, p[1], 0.0], [0.0, 0.0, p[2]]],
            Metric::Monoclinic => [
                [p[0], 0.0, 0.5 * p[3]],
                [0.0, p[1], 0.0],
                [0.5 * p[3], 0.0, p[2]],
            ],
        }
    }

    /// The direct cell of the parameters `p`: the lattice of their reciprocal metric (None
    /// when they are not a positive-definite metric).
    pub fn lattice(self, p: &[f64]) -> Option<Lattice> {
        (p.len() == self.parameters())
            .then(|| Lattice::from_reciprocal_metric(&self.tensor(p)).ok())
            .flatten()
    }
}

/// The largest |index| along each axis of a reflection with d*² ≤ `q`: √(q (G*⁻¹)ᵢᵢ).
pub(crate) fn bounds(g: &[[f64; 3]; 3], q: f64) -> [i32; 3] {
    let cof = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        g[r0][c0] * g[r1][c1] - g[r0][c1] * g[r1][c0]
    };
    let det: f64 = (0..3).map(|j| g[0][j] * cof(0, j)).sum();
    std::array::from_fn(|i| (q * cof(i, i) / det).max(0.0).sqrt() as i32 + 1)
}

pub(crate) fn dot(r: &[f64; MAX_PARAMS], p: &[f64]) -> f64 {
    r.iter().zip(p).map(|(a, b)| a * b).sum()
}

/// A decomposition n = h² + k² + l² (h ≥ k ≥ l ≥ 0), if there is one (there is unless
/// n = 4ᵃ(8b + 7)).
fn three_squares(n: i32) -> Option<(i32, i32, i32)> {
    if n <= 0 {
        return None;
    }
    let mut h = (f64::from(n).sqrt() as i32) + 1;
    while h >= 0 {
        let r = n - h * h;
        if r >= 0 {
            let mut k = (f64::from(r).sqrt() as i32) + 1;
            while k >= 0 {
                let s = r - k * k;
                if s >= 0 {
                    let l = f64::from(s).sqrt().round() as i32;
                    if l * l == s && l <= k && k <= h {
                        return Some((h, k, l));
                    }
                }
                k -= 1;
            }
        }
        h -= 1;
    }
    None
}

/// The monoclinic parameters of the cell a, b, c (Å), β (degrees), for tests.
#[cfg(test)]
pub(crate) fn monoclinic(a: f64, b: f64, c: f64, beta: f64) -> [f64; 4] {
    let beta = beta.to_radians();
    let s2 = beta.sin().powi(2);
    [
        1.0 / (a * a * s2),
        1.0 / (b * b),
        1.0 / (c * c * s2),
        -2.0 * beta.cos() / (a * c * s2),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_squares_misses_exactly_the_forms_4a_8b_7() {
        for n in 1..200 {
            let mut m = n;
            while m % 4 == 0 {
                m /= 4;
            }
            let excluded = m % 8 == 7;
            let d = three_squares(n);
            assert_eq!(d.is_none(), excluded, "{n}");
            if let Some((h, k, l)) = d {
                assert_eq!(h * h + k * k + l * l, n);
            }
        }
    }

    /// A cell of each metric.
    const CASES: &[(Metric, &[f64])] = &[
        (Metric::Cubic, &[0.013]),
        (Metric::Hexagonal, &[0.021, 0.0093]),
        (Metric::Tetragonal, &[0.017, 0.0061]),
        (Metric::Orthorhombic, &[0.011, 0.019, 0.0072]),
        // The index solved for is that of the smallest parameter: each axis in turn.
        (Metric::Orthorhombic, &[0.019, 0.006, 0.013]),
        (Metric::Orthorhombic, &[0.0051, 0.019, 0.013]),
        // Cells of edges near 25 Å: in-plane forms far into the table.
        (Metric::Hexagonal, &[0.0021, 0.0016]),
        (Metric::Tetragonal, &[0.0016, 0.0017]),
        (Metric::Monoclinic, &[0.012, 0.02, 0.0081, -0.006]),
    ];

    #[test]
    fn bounds_cover_every_reflection_below_q() {
        let g = Metric::Monoclinic.tensor(&[0.012, 0.02, 0.0081, -0.006]);
        let q = 0.2;
        let b = bounds(&g, q);
        for h in -20i32..=20 {
            for k in -20i32..=20 {
                for l in -20i32..=20 {
                    let v = [f64::from(h), f64::from(k), f64::from(l)];
                    let qh: f64 = (0..3)
                        .map(|i| (0..3).map(|j| v[i] * g[i][j] * v[j]).sum::<f64>())
                        .sum();
                    if qh <= q {
                        assert!(h.abs() <= b[0] && k.abs() <= b[1] && l.abs() <= b[2]);
                    }
                }
            }
        }
    }

    /// Every metric's `nearest` against a naive search over all hkl in a box.
    #[test]
    fn nearest_matches_a_naive_search() {
        for &(m, p) in CASES {
            for i in 0..200 {
                let q = 0.005 + 0.0023 * f64::from(i);
                let mut naive = f64::INFINITY;
                // Every reflection up to 0.05 above q (the gaps between lines are smaller).
                let [bh, bk, bl] = bounds(&m.tensor(p), q + 0.05);
                for h in -bh..=bh {
                    for k in -bk..=bk {
                        for l in -bl..=bl {
                            if (h, k, l) != (0, 0, 0) {
                                naive = naive.min((q - dot(&m.row(h, k, l), p)).abs());
                            }
                        }
                    }
                }
                let (e, r) = m.nearest(p, q).unwrap();
                assert!((e - naive).abs() <= 1e-12, "{m:?} q {q}: {e} vs {naive}");
                // `fits` stops at the first reflection within the tolerance, and finds one
                // exactly when the nearest is within it.
                // (Tolerances clear of the rounding of the two ways of summing d*².)
                assert!(m.fits(p, q, 2.0 * naive + 1e-12), "{m:?} q {q}");
                if naive > 1e-12 {
                    assert!(!m.fits(p, q, 0.5 * naive), "{m:?} q {q}");
                }
                assert!(((q - dot(&r, p)).abs() - e).abs() <= 1e-15);
            }
        }
    }

    /// `nearest_within` (one pass over the reflections for all lines) gives, to the bit, what
    /// `nearest` (checked against a naive search above) gives for each line where that lies
    /// within the line's window, and nothing elsewhere.
    #[test]
    fn nearest_within_agrees_with_the_search_per_line() {
        for &(m, p) in CASES {
            let qs: Vec<f64> = (0..200).map(|i| 0.005 + 0.0023 * f64::from(i)).collect();
            // Windows from far narrower to far wider than the gaps between reflections.
            let windows: Vec<f64> = (0..200)
                .map(|i| [1e-5, 2e-4, 1e-3, 4e-3][i % 4] * (1.0 + 0.01 * i as f64))
                .collect();
            let mut out = vec![None; qs.len()];
            m.nearest_within(p, &qs, &windows, &mut out, &mut Vec::new());
            let mut hits = 0;
            for ((&q, &w), got) in qs.iter().zip(&windows).zip(&out) {
                let (e, row) = m.nearest(p, q).unwrap();
                if e <= w {
                    hits += 1;
                    assert_eq!(*got, Some((e, row)), "{m:?} q {q} w {w}");
                } else {
                    assert_eq!(*got, None, "{m:?} q {q} w {w}: nearest {e}");
                }
            }
            assert!(hits > 20 && hits < 200, "{m:?}: {hits}");
        }
    }

    /// `lines_below` against distinct values of a naive enumeration.
    #[test]
    fn line_count_matches_a_naive_enumeration() {
        for &(m, p) in CASES {
            let q_max = 0.3;
            let mut qs = Vec::new();
            for h in -15i32..=15 {
                for k in -15i32..=15 {
                    for l in -15i32..=15 {
                        let q = dot(&m.row(h, k, l), p);
                        if (h, k, l) != (0, 0, 0) && q <= q_max {
                            qs.push(q);
                        }
                    }
                }
            }
            qs.sort_by(f64::total_cmp);
            qs.dedup_by(|b, a| (*b - *a).abs() <= 1e-9 * *a);
            assert_eq!(m.lines_below(p, q_max), qs.len(), "{m:?}");
        }
    }

    #[test]
    fn cells_of_known_metrics() {
        let c = Metric::Hexagonal
            .lattice(&[4.0 / (3.0 * 9.0), 1.0 / 25.0])
            .unwrap();
        let ([a, _, cc], [_, _, gamma]) = (c.lengths(), c.angles());
        assert!(
            (a - 3.0).abs() < 1e-12 && (cc - 5.0).abs() < 1e-12 && (gamma - 120.0).abs() < 1e-9
        );
        // Monoclinic a = 5, b = 6, c = 7, β = 100°.
        let p = monoclinic(5.0, 6.0, 7.0, 100.0);
        let beta = 100.0f64.to_radians();
        let m = Metric::Monoclinic.lattice(&p).unwrap();
        let ([a, b, c], [_, be, _]) = (m.lengths(), m.angles());
        assert!((a - 5.0).abs() < 1e-9 && (b - 6.0).abs() < 1e-9 && (c - 7.0).abs() < 1e-9);
        assert!((be - 100.0).abs() < 1e-9, "{be}");
        assert!((m.volume() - 5.0 * 6.0 * 7.0 * beta.sin()).abs() < 1e-9);
        // The edges the search screens with are the cell's.
        for &(metric, p) in CASES {
            let l = metric.lattice(p).unwrap();
            for (e2, e) in metric.edges_squared(p).iter().zip(l.lengths()) {
                assert!((e2.sqrt() - e).abs() < 1e-9 * e, "{metric:?}");
            }
        }
        assert!(Metric::Cubic.lattice(&[-1.0]).is_none() && Metric::Cubic.lattice(&[]).is_none());
    }
}
