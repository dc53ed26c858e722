//! Shared fixtures for the criterion benches of the xrd workspace.

/// The measured RRUFF development set of `../shared/data` (457 patterns; absent on a machine
/// without the shared data, where the benches that need it say so and skip).
pub const RRUFF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/measured/rruff_dev.npz"
);

/// The built-in AMCSD and its Cu Kα reference patterns, cached under `target/xrd-cache` as
/// `xrd identify` caches them.
///
/// # Errors
/// As [`xrd_minerals::Library::amcsd`] and [`xrd_minerals::ReferenceSet::cached`].
pub fn amcsd_cu_ka() -> xrd_minerals::Result<(xrd_minerals::Library, xrd_minerals::ReferenceSet)> {
    let library = xrd_minerals::Library::amcsd()?;
    let params = xrd_minerals::ReferenceParams::new().wavelength(xrd_io::Wavelength::CU_KA);
    let refs = xrd_minerals::ReferenceSet::cached(
        &library,
        &params,
        std::path::Path::new("target/xrd-cache"),
        |_, _| {},
    )?;
    Ok((library, refs))
}

/// Known points of the xrd-latent paint bench: an R2 low-discrepancy sequence with a
/// deterministic jitter, and two smooth value components. Mirrored exactly in
/// `benches/reference/scipy_griddata.py`.
pub fn paint_known_points(n: usize) -> (ndarray::Array2<f64>, ndarray::Array2<f64>) {
    let mut pts = ndarray::Array2::zeros((n, 2));
    let mut vals = ndarray::Array2::zeros((n, 2));
    for i in 0..n {
        let t = i as f64;
        let x = (0.5 + t * 0.754_877_666_246_692_7).fract() + 0.02 * (12.9898 * t).sin();
        let y = (0.5 + t * 0.569_840_290_998_053_2).fract() + 0.02 * (78.233 * t).cos();
        pts[[i, 0]] = x;
        pts[[i, 1]] = y;
        vals[[i, 0]] = (3.0 * x).sin() * (2.0 * y).cos();
        vals[[i, 1]] = x * x + 0.5 * y;
    }
    (pts, vals)
}

/// The CPU's model name, family and model as `/proc/cpuinfo` gives them (Linux; "unknown"
/// elsewhere), for the benches to say where they ran.
pub fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    match field("model name") {
        Some(name) => format!(
            "{name} (family {}, model {})",
            field("cpu family").unwrap_or_default(),
            field("model").unwrap_or_default()
        ),
        None => "unknown".into(),
    }
}

/// CPU seconds used by this process so far (user + system, from `/proc/self/stat` in clock ticks
/// of 1/100 s, Linux), or `None` elsewhere.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// With `XRD_BENCH_CPU=1`: the process CPU time per call of `f` over at least 3 s of calls — a
/// measure that a loaded machine disturbs much less than wall time (compare with the reference
/// scripts' `process CPU time`, with one thread on both sides: `RAYON_NUM_THREADS=1`,
/// `--threads 1`).
pub fn cpu_time<T>(name: &str, mut f: impl FnMut() -> T) {
    if std::env::var_os("XRD_BENCH_CPU").is_none() {
        return;
    }
    let Some(start) = cpu_seconds() else {
        return;
    };
    let mut calls = 0u32;
    let mut used = 0.0;
    while used < 3.0 {
        std::hint::black_box(f());
        calls += 1;
        used = cpu_seconds().unwrap_or(start) - start;
    }
    eprintln!(
        "{name}: process CPU time {:.2} ms per call ({calls} calls, {} threads)",
        1e3 * used / f64::from(calls),
        rayon_threads()
    );
}

/// The size of rayon's pool as `RAYON_NUM_THREADS` sets it (0: one per core).
pub fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into())
}

/// Dense patterns like measured ones (no exact zeros): 60 synthetic peaks over a sloped, rippled
/// background, rows scaled to max 1 — `dense_patterns` of `torch_classifier.py` (xrd-ae's
/// classifier benches).
pub fn dense_patterns(n: usize, points: usize) -> ndarray::Array2<f32> {
    let mut out = ndarray::Array2::<f64>::zeros((n, points));
    for i in 0..n {
        for j in 0..points {
            out[(i, j)] = 0.05
                + 0.03 * (j as f64 / points as f64)
                + 0.01 * (((i * 7 + j * 13) % 17) as f64 / 17.0);
        }
        for k in 0..60usize {
            let centre = 300 + (k * 7919 + i * 37) % (points - 600);
            let height = 0.1 + 0.9 * (((i * 7 + k * 13) % 100) as f64 / 100.0);
            for j in centre - 12..=centre + 12 {
                let d = (j as f64 - centre as f64) / 3.0;
                out[(i, j)] += height * (-0.5 * d * d).exp();
            }
        }
        let max = out.row(i).fold(0.0f64, |m, &v| m.max(v));
        out.row_mut(i).mapv_inplace(|v| v / max);
    }
    out.mapv(|v| v as f32)
}

/// One-hot targets of the fixed labels `(97·i + 13) mod classes`.
pub fn one_hot(n: usize, classes: usize) -> ndarray::Array2<f32> {
    let mut y = ndarray::Array2::zeros((n, classes));
    for i in 0..n {
        y[(i, (i * 97 + 13) % classes)] = 1.0;
    }
    y
}

/// The CIFs of the synthetic series ([`series_frame`]): rutile, zincite and manganosite of
/// `../shared/data/cif`.
pub const SERIES_CIFS: [&str; 3] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/cif/Rutile.cif"
    ),
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/cif/ZnO.cif"),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/cif/autoxrd_MnO_225.cif"
    ),
];

/// The curve of the structure in `cif` with its cell lengths scaled by `expansion`, rendered on
/// `grid` with `profile` and `geometry`, at the scale Hill & Howard give weight fraction `w`
/// (S ∝ w / (ZM · V)) times `scale`.
#[allow(clippy::unwrap_used)]
fn phase_curve(
    sim: &xrd_sim::Simulator,
    cif: &str,
    expansion: f64,
    (grid, profile, geometry): (&xrd_io::Grid, &xrd_sim::Profile, &xrd_sim::Geometry),
    w: f64,
    scale: f64,
) -> Vec<f64> {
    let s = xrd_sim::Structure::from_file(cif).unwrap();
    let look = Look {
        expansion: [expansion; 3],
        b: 0.0,
        texture: None,
    };
    phase_curve_with(sim, &s, &look, (grid, profile, geometry), w, scale)
}

/// How a structure departs from its CIF in [`phase_curve_with`].
struct Look {
    /// Factors on a, b, c.
    expansion: [f64; 3],
    /// An overall displacement parameter B (Å²) on top of the CIF's.
    b: f64,
    texture: Option<xrd_sim::MarchDollase>,
}

/// [`phase_curve`] with the cell lengths scaled each its own way, an extra Debye–Waller
/// factor exp(−B/(4d²)) and a March–Dollase texture.
#[allow(clippy::unwrap_used)]
fn phase_curve_with(
    sim: &xrd_sim::Simulator,
    s: &xrd_sim::Structure,
    look: &Look,
    (grid, profile, geometry): (&xrd_io::Grid, &xrd_sim::Profile, &xrd_sim::Geometry),
    w: f64,
    scale: f64,
) -> Vec<f64> {
    let l = s.lattice();
    let [a, b, c] = l.lengths();
    let [al, be, ga] = l.angles();
    // A cubic cell stays cubic.
    let cubic = (a - b).abs() < 1e-6 && (a - c).abs() < 1e-6;
    let [ea, eb, ec] = if cubic {
        [look.expansion[0]; 3]
    } else {
        look.expansion
    };
    let lattice = xrd_sim::Lattice::from_parameters(a * ea, b * eb, c * ec, al, be, ga).unwrap();
    let mass = xrd_refine::Phase::new("x", s.clone())
        .unwrap()
        .cell_mass()
        .unwrap();
    let s = s.clone().with_lattice(lattice);
    let peaks = match &look.texture {
        Some(t) => sim.peaks_textured(&s, t).unwrap(),
        None => sim.peaks(&s).unwrap(),
    };
    let peaks = peaks.weighted(|p| (-look.b / (4.0 * p.d_spacing * p.d_spacing)).exp());
    let curve = sim.render_with(&peaks, grid, profile, geometry).unwrap();
    let k = scale * w / (mass * lattice.volume());
    curve.iter().map(|c| k * c).collect()
}

/// Counts of mean `mean(y, 2θ)` (the peaks with a background) with Gaussian noise of the
/// Poisson's width (seed `seed`), rounded.
fn noisy(y: &[f64], tt: &[f64], seed: u64, mean: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    y.iter()
        .zip(tt)
        .map(|(v, &x)| {
            let mean = mean(*v, x);
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (mean + z * mean.sqrt()).max(0.0).round()
        })
        .collect()
}

/// Frame `k` of `n` of a synthetic in-situ series (the speed measurement of sequential
/// refinement; `examples/series_frames.rs` writes it to files for `xrd refine --sequential` and
/// `benches/reference/rietx_series.py`): 2,500 points 15–85° 2θ at Cu Kα, rendered by xrd-sim
/// (not the refinement's profile code), rutile, zincite and manganosite with cells expanding by
/// 4e-3 over the series (a heating run, order value 300 + 500 k / n K), rutile's fraction falling
/// from 0.6 to 0.3, manganosite absent in the first half and growing to 0.3 in the second,
/// zincite the rest; a sloping background, a zero shift of 0.02°, Poisson-like noise of a fixed
/// seed per frame. Returns the pattern, its order value and the weight fractions.
///
/// # Panics
/// When the shared CIFs are absent (callers check [`SERIES_CIFS`] first).
#[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
pub fn series_frame(k: usize, n: usize) -> (xrd_io::Pattern, f64, [f64; 3]) {
    let t = k as f64 / (n.max(2) - 1) as f64;
    let mno = if t < 0.5 { 0.0 } else { 0.6 * (t - 0.5) };
    let rutile = 0.6 - 0.3 * t;
    let weights = [rutile, 1.0 - rutile - mno, mno];
    let sim = xrd_sim::Simulator::new(
        xrd_sim::PowderParams::new()
            .radiation(xrd_io::Wavelength::CU_KA)
            .two_theta_range(15.0, 85.0)
            .anomalous(xrd_sim::Anomalous::Tabulated),
    )
    .unwrap();
    let grid = xrd_io::Grid::new(15.0, 0.028, 2500).unwrap();
    let profile = xrd_sim::Profile::gaussian(0.08).caglioti(0.004, -0.002, 0.003);
    let geometry = xrd_sim::Geometry {
        zero_shift: 0.02,
        ..xrd_sim::Geometry::IDEAL
    };
    let mut y = vec![0.0; grid.len()];
    for (cif, &w) in SERIES_CIFS.iter().zip(&weights) {
        if w <= 0.0 {
            continue;
        }
        let setup = (&grid, &profile, &geometry);
        let curve = phase_curve(&sim, cif, 1.0 + 4e-3 * t, setup, w, 20.0);
        y.iter_mut().zip(&curve).for_each(|(a, b)| *a += b);
    }
    let tt = grid.positions();
    let counts = noisy(&y, &tt, 1000 + k as u64, |v, x| v + 300.0 - 2.0 * x);
    (
        xrd_io::Pattern::new(tt, counts).unwrap(),
        300.0 + 500.0 * t,
        weights,
    )
}

/// The phases of the multi-phase synthetic series ([`reaction_frame`]), with the shared CIF of
/// each: a solid-state reaction in which anatase turns into rutile, manganosite oxidises through
/// bixbyite, indium oxide forms, halite comes and goes, beside zincite, LiCoO₂ and corundum.
pub const REACTION_PHASES: [(&str, &str); 9] = [
    ("Anatase", "autoxrd_TiO2_141.cif"),
    ("Rutile", "Rutile.cif"),
    ("Manganosite", "autoxrd_MnO_225.cif"),
    ("Bixbyite", "autoxrd_Mn2O3_206.cif"),
    ("Zincite", "ZnO.cif"),
    ("In2O3", "In2O3_Marezio1966.cif"),
    ("LiCoO2", "LiCoO2.cif"),
    ("Halite", "KCl.cif"),
    ("Corundum", "Sapphire.cif"),
];

/// The path of a shared CIF by file name.
pub fn shared_cif(name: &str) -> String {
    format!(
        "{}/../../shared/data/cif/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The weight fractions of [`REACTION_PHASES`] at reaction progress `t` in [0, 1]: three to
/// seven phases present at a time, two appearing, three vanishing (0 exactly where absent).
pub fn reaction_weights(t: f64) -> [f64; 9] {
    let ramp = |a: f64, b: f64| ((t - a) / (b - a)).clamp(0.0, 1.0);
    let bell = |a: f64, b: f64| {
        if t <= a || t >= b {
            0.0
        } else {
            (std::f64::consts::PI * (t - a) / (b - a)).sin()
        }
    };
    let raw = [
        0.30 * (1.0 - ramp(0.1, 0.55)), // anatase, gone by 0.55
        0.30 * ramp(0.15, 0.7),         // rutile, from 0.15
        0.25 * (1.0 - ramp(0.0, 0.6)),  // manganosite, gone by 0.6
        0.25 * bell(0.2, 1.2).max(0.0), // bixbyite, from 0.2
        0.15,                           // zincite, inert
        0.20 * ramp(0.5, 1.0),          // In2O3, from 0.5
        0.10,                           // LiCoO2, inert
        0.06 * bell(0.3, 0.75),         // halite, 0.3–0.75
        0.08,                           // corundum, inert
    ];
    let total: f64 = raw.iter().sum();
    raw.map(|w| w / total)
}

/// How far a synthetic reaction frame departs from the refinement's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realism {
    /// The refinement's own model: the CIFs' structures, isotropic expansion, no texture,
    /// the CIFs' displacement parameters at every temperature.
    Model,
    /// What a real heated series has that the CIFs do not: anisotropic expansion (c twice
    /// a and b in the cells that are not cubic), displacement parameters growing with temperature (B from 0.3 to 2.5 Å², a
    /// little more for each phase down the list: intensities falling off with angle the
    /// CIFs' B do not draw), a platy LiCoO₂ (March–Dollase r = 0.8 along \[001\]), crystallites
    /// of the phases that form growing from 15 nm-class broadening, and an amorphous hump
    /// that fades as the precursor reacts.
    Real,
    /// [`Realism::Real`] with crystallites five times smaller (Lorentzian widths 0.05–0.2°
    /// against 0.03–0.05°): nanocrystalline products whose 5–7 phases' lines merge into one
    /// another, where weight moves between overlapped phases (issue 64 part 3).
    Crowded,
}

/// Frame `k` of `n` of a synchrotron in-situ series of a solid-state reaction (the hard case of
/// sequential refinement): 2,503 points from 0.7° to 15.9° 2θ at 0.2413 Å (17-BM-like),
/// [`REACTION_PHASES`] at [`reaction_weights`], cells expanding by 6e-3 over the series
/// (300 → 923 K), Thompson–Cox–Hastings peaks of 0.025–0.045° FWHM (four to seven points:
/// an area detector's) with crystallite-size broadening of their own, a sloping background with
/// a broad hump, Poisson-like noise of a fixed seed per frame. Returns the pattern, its order
/// value and the weight fractions.
///
/// # Panics
/// When the shared CIFs are absent (callers check [`shared_cif`] first).
pub fn reaction_frame(k: usize, n: usize) -> (xrd_io::Pattern, f64, [f64; 9]) {
    reaction_frame_with(k, n, Realism::Model)
}

/// [`reaction_frame`] departing from the refinement's model as `realism` says.
///
/// # Panics
/// When the shared CIFs are absent (callers check [`shared_cif`] first).
#[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
pub fn reaction_frame_with(
    k: usize,
    n: usize,
    realism: Realism,
) -> (xrd_io::Pattern, f64, [f64; 9]) {
    let t = k as f64 / (n.max(2) - 1) as f64;
    let weights = reaction_weights(t);
    let wavelength = xrd_io::Wavelength::synchrotron(0.2413);
    let sim = xrd_sim::Simulator::new(
        xrd_sim::PowderParams::new()
            .radiation(wavelength)
            .two_theta_range(0.5, 16.1),
    )
    .unwrap();
    let step = (15.9 - 0.7) / 2502.0;
    let grid = xrd_io::Grid::new(0.7, step, 2503).unwrap();
    let geometry = xrd_sim::Geometry {
        zero_shift: 0.003,
        ..xrd_sim::Geometry::IDEAL
    };
    let real = matches!(realism, Realism::Real | Realism::Crowded);
    let crowd = if realism == Realism::Crowded {
        5.0
    } else {
        1.0
    };
    // Phases that form during the reaction (rutile, bixbyite, In2O3, halite).
    let forming = [1, 3, 5, 7];
    let mut y = vec![0.0; grid.len()];
    for (p, ((_, cif), &w)) in REACTION_PHASES.iter().zip(&weights).enumerate() {
        if w <= 0.0 {
            continue;
        }
        // Each phase its own size broadening (the Lorentzian X, 1/cos θ) on the instrument's
        // narrow Gaussian; a forming phase's crystallites grow over the series.
        let mut size = 0.008 + 0.003 * p as f64;
        if real && forming.contains(&p) {
            size += 0.03 * (1.0 - t);
        }
        let profile = xrd_sim::Profile::tch(1e-3, -1e-4, 4e-4, crowd * size, 0.0);
        let setup = (&grid, &profile, &geometry);
        let e = 1.0 + 6e-3 * t;
        let curve = if real {
            let b = (0.3 + 2.2 * t) * (1.0 + 0.04 * p as f64);
            let texture = (p == 6).then_some(xrd_sim::MarchDollase {
                direction: [0, 0, 1],
                r: 0.8,
            });
            let look = Look {
                expansion: [e, e, 1.0 + 1.2e-2 * t],
                b,
                texture,
            };
            let structure = xrd_sim::Structure::from_file(shared_cif(cif)).unwrap();
            phase_curve_with(&sim, &structure, &look, setup, w, 10.0)
        } else {
            phase_curve(&sim, &shared_cif(cif), e, setup, w, 10.0)
        };
        y.iter_mut().zip(&curve).for_each(|(a, b)| *a += b);
    }
    let tt = grid.positions();
    let hump = if real { 1500.0 * (1.4 - t) } else { 1500.0 };
    let counts = noisy(&y, &tt, 5000 + k as u64, |v, x| {
        v + 2000.0 - 60.0 * x + hump * (-((x - 4.0) / 1.5).powi(2)).exp()
    });
    (
        xrd_io::Pattern::new(tt, counts).unwrap(),
        300.0 + 623.0 * t,
        weights,
    )
}

/// The phases of the overlapped synthetic series ([`overlapped_frame`]) by their library
/// entries: two spinels 0.55 % apart in cell (magnetite turning into franklinite with the
/// zincite it takes up), two rock salts 1 % apart (periclase beside bunsenite that dissolves),
/// and hematite.
pub const OVERLAPPED_PHASES: [(&str, &str); 6] = [
    ("Magnetite", "amcsd:945"),
    ("Franklinite", "amcsd:8475"),
    ("Zincite", "amcsd:5203"),
    ("Hematite", "amcsd:17731"),
    ("Periclase", "amcsd:501"),
    ("Bunsenite", "amcsd:11371"),
];

/// The weight fractions of [`OVERLAPPED_PHASES`] at reaction progress `t` in [0, 1].
pub fn overlapped_weights(t: f64) -> [f64; 6] {
    let ramp = |a: f64, b: f64| ((t - a) / (b - a)).clamp(0.0, 1.0);
    let raw = [
        0.30 * (1.0 - ramp(0.1, 0.9)),        // magnetite, going
        0.35 * ramp(0.1, 0.9),                // franklinite, forming from 0.1
        0.02 + 0.13 * (1.0 - ramp(0.1, 0.9)), // zincite, taken up
        0.12,                                 // hematite, inert
        0.15,                                 // periclase, inert
        0.15 * (1.0 - 0.7 * ramp(0.3, 1.0)),  // bunsenite, dissolving
    ];
    let total: f64 = raw.iter().sum();
    raw.map(|w| w / total)
}

/// Frame `k` of `n` of a series whose phases' lines overlap in pairs (issue 64 part 3: where
/// weight can move between phases the data hardly tell apart): [`OVERLAPPED_PHASES`]
/// (`structures`, in that order) at [`overlapped_weights`], on [`reaction_frame`]'s 17-BM-like
/// grid at 0.2413 Å with its crowded widths (nanocrystalline, Lorentzian 0.05–0.2°), cells
/// expanding by 6e-3, B growing 0.3 → 2.5 Å², the forming franklinite's crystallites growing,
/// a fading hump, Poisson-like noise of a fixed seed per frame. Returns the pattern, its order
/// value (K) and the weight fractions.
///
/// # Panics
/// On a structure the simulator refuses (the library's entries it is given are sound).
#[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
pub fn overlapped_frame(
    k: usize,
    n: usize,
    structures: &[xrd_sim::Structure],
) -> (xrd_io::Pattern, f64, [f64; 6]) {
    let t = k as f64 / (n.max(2) - 1) as f64;
    let weights = overlapped_weights(t);
    let sim = xrd_sim::Simulator::new(
        xrd_sim::PowderParams::new()
            .radiation(xrd_io::Wavelength::synchrotron(0.2413))
            .two_theta_range(0.5, 16.1),
    )
    .unwrap();
    let grid = xrd_io::Grid::new(0.7, (15.9 - 0.7) / 2502.0, 2503).unwrap();
    let geometry = xrd_sim::Geometry {
        zero_shift: 0.003,
        ..xrd_sim::Geometry::IDEAL
    };
    let mut y = vec![0.0; grid.len()];
    for (p, (s, &w)) in structures.iter().zip(&weights).enumerate() {
        if w <= 0.0 {
            continue;
        }
        let mut size = 5.0 * (0.008 + 0.003 * p as f64);
        if p == 1 {
            size += 0.15 * (1.0 - t);
        }
        let profile = xrd_sim::Profile::tch(1e-3, -1e-4, 4e-4, size, 0.0);
        let e = 1.0 + 6e-3 * t;
        let look = Look {
            expansion: [e, e, 1.0 + 1.2e-2 * t],
            b: (0.3 + 2.2 * t) * (1.0 + 0.04 * p as f64),
            texture: None,
        };
        let curve = phase_curve_with(&sim, s, &look, (&grid, &profile, &geometry), w, 10.0);
        y.iter_mut().zip(&curve).for_each(|(a, b)| *a += b);
    }
    let tt = grid.positions();
    let counts = noisy(&y, &tt, 7000 + k as u64, |v, x| {
        v + 2000.0 - 60.0 * x + 1500.0 * (1.4 - t) * (-((x - 4.0) / 1.5).powi(2)).exp()
    });
    (
        xrd_io::Pattern::new(tt, counts).unwrap(),
        300.0 + 623.0 * t,
        weights,
    )
}

/// A laboratory scan (Cu Kα1 + Kα2, 2θ 5–80° in 0.02° steps, Thompson–Cox–Hastings peaks of
/// 0.06–0.15° with a Lorentzian part, a zero shift of 0.02°, a sloping background, counting
/// noise of `seed`) of `phases` at weight fractions `weights`, each with its March–Dollase
/// texture where given: the textured mixtures of issue 64 part 4, whose weight fractions a
/// refinement is measured on with and without each texture correction.
///
/// # Panics
/// On a structure the simulator refuses (the library's entries it is given are sound).
#[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
pub fn textured_mixture(
    phases: &[(&xrd_sim::Structure, Option<xrd_sim::MarchDollase>)],
    weights: &[f64],
    seed: u64,
) -> xrd_io::Pattern {
    let sim = xrd_sim::Simulator::new(
        xrd_sim::PowderParams::new()
            .radiation(xrd_io::Wavelength::CU_KA)
            .two_theta_range(4.5, 80.5)
            // f′ and f″ as the refinement has them (Fe at Cu Kα).
            .anomalous(xrd_sim::Anomalous::Tabulated),
    )
    .unwrap();
    let grid = xrd_io::Grid::new(5.0, 0.02, 3751).unwrap();
    let geometry = xrd_sim::Geometry {
        zero_shift: 0.02,
        ..xrd_sim::Geometry::IDEAL
    };
    let profile = xrd_sim::Profile::tch(0.006, -0.003, 0.003, 0.01, 0.02);
    let setup = (&grid, &profile, &geometry);
    let mut y = vec![0.0; grid.len()];
    for ((s, texture), &w) in phases.iter().zip(weights) {
        let look = Look {
            expansion: [1.0; 3],
            b: 0.0,
            texture: *texture,
        };
        let curve = phase_curve_with(&sim, s, &look, setup, w, 40.0);
        y.iter_mut().zip(&curve).for_each(|(a, b)| *a += b);
    }
    let tt = grid.positions();
    let counts = noisy(&y, &tt, seed, |v, x| v + 300.0 - 2.0 * x);
    xrd_io::Pattern::new(tt, counts).unwrap()
}
