//! Fixtures built once per test binary.

use std::sync::{Arc, OnceLock};

use xrd_io::{Grid, Pattern, Wavelength};
use xrd_minerals::{Library, ReferenceParams, ReferenceSet};
use xrd_sim::{Geometry, PowderParams, Profile, Simulator, Structure};

/// The built-in library.
pub fn amcsd() -> &'static Arc<Library> {
    static LIB: OnceLock<Arc<Library>> = OnceLock::new();
    LIB.get_or_init(|| Arc::new(Library::amcsd().unwrap()))
}

/// Its reference set at Cu Kα1 (simulated once per test binary).
pub fn amcsd_references() -> &'static ReferenceSet {
    static REFS: OnceLock<ReferenceSet> = OnceLock::new();
    REFS.get_or_init(|| ReferenceSet::build(amcsd(), &ReferenceParams::new(), |_, _| {}).unwrap())
}

/// A small library: the CIFs of `cif/` in ../shared/data (None when it is absent).
pub fn shared_cifs() -> Option<&'static Arc<Library>> {
    static LIB: OnceLock<Option<Arc<Library>>> = OnceLock::new();
    LIB.get_or_init(|| {
        xrd_testdata::shared_data("cif").map(|dir| Arc::new(Library::from_folder(dir).unwrap()))
    })
    .as_ref()
}

/// A deterministic generator of uniform numbers in [0, 1) (splitmix64).
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }
}

/// A measured-like Cu Kα pattern (2θ 10–80° in 0.02° steps) of `structures` with the given
/// weights: Kα1 + Kα2, pseudo-Gaussian peaks of σ 0.06°, a zero shift, a sloped background and
/// noise of 1 % of the strongest point.
pub fn measured_like(structures: &[(&Structure, f64)], zero_shift: f64, seed: u64) -> Pattern {
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(Wavelength::CU_KA)
            .two_theta_range(5.0, 85.0),
    )
    .unwrap();
    let grid = Grid::new(10.0, 0.02, 3501).unwrap();
    let geometry = Geometry {
        zero_shift,
        ..Geometry::IDEAL
    };
    let mut y = vec![0.0; grid.len()];
    for (s, w) in structures {
        let peaks = sim.peaks(s).unwrap();
        let p = sim
            .render_with(&peaks, &grid, &Profile::gaussian(0.14), &geometry)
            .unwrap();
        let max = p.iter().copied().fold(0.0, f64::max);
        for (a, b) in y.iter_mut().zip(&p) {
            *a += w * b / max;
        }
    }
    let max = y.iter().copied().fold(0.0, f64::max);
    let mut noise = Noise::new(seed);
    let y: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = grid.x(i);
            100.0 * v / max + 20.0 - 0.1 * x + 2.0 * (noise.next() - 0.5) * 1.7
        })
        .collect();
    Pattern::new(grid.positions(), y)
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA))
}

/// Search-match against the built-in library at Cu Kα with the default settings.
pub fn amcsd_matcher() -> xrd_minerals::Matcher {
    amcsd_matcher_with(xrd_minerals::SearchParams::new())
}

/// Search-match against the built-in library at Cu Kα with `params`.
pub fn amcsd_matcher_with(params: xrd_minerals::SearchParams) -> xrd_minerals::Matcher {
    xrd_minerals::Matcher::new(
        amcsd().clone(),
        amcsd_references(),
        Wavelength::CU_KA,
        params,
    )
    .unwrap()
}
