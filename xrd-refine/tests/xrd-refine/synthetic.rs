//! Synthetic mixtures rendered by xrd-sim (its own profile code, not the refinement's), with a
//! background, a zero shift, strained cells and counting noise: the weight fractions and cells
//! the refinement recovers (without the microabsorption correction, which simulated patterns
//! do not need).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_io::{Grid, Pattern, Wavelength};
use xrd_refine::{ParamId, Phase, RefineParams, Refiner, Stage};
use xrd_sim::{Anomalous, Geometry, Lattice, PowderParams, Profile, Simulator};

use crate::cif_phase;

/// xrd-sim at Cu Kα (with f′, f″, as the refinement) and the 2θ grid of every synthetic scan.
fn simulator() -> (Simulator, Grid) {
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(Wavelength::CU_KA)
            .two_theta_range(15.0, 85.0)
            .anomalous(Anomalous::Tabulated),
    )
    .unwrap();
    (sim, Grid::new(15.0, 0.015, 4667).unwrap())
}

/// The pattern of `phases` at weight fractions `weights`, each cell scaled by `strain`, with a
/// zero shift of 0.05°, a sloping background (with an amorphous hump of height `hump` at 25°)
/// and Gaussian counting noise of the given seed.
pub(crate) fn mixture(
    phases: &[Phase],
    weights: &[f64],
    strain: &[f64],
    hump: f64,
    seed: u64,
) -> (Pattern, Vec<Lattice>) {
    let (sim, grid) = simulator();
    let profile = Profile::gaussian(0.1).caglioti(0.006, -0.002, 0.003);
    let geometry = Geometry {
        zero_shift: 0.05,
        ..Geometry::IDEAL
    };
    let mut y = vec![0.0; grid.len()];
    let mut lattices = Vec::new();
    for ((ph, &w), &e) in phases.iter().zip(weights).zip(strain) {
        let [a, b, c] = ph.structure().lattice().lengths();
        let [al, be, ga] = ph.structure().lattice().angles();
        let lattice =
            Lattice::from_parameters(a * (1.0 + e), b * (1.0 + e), c * (1.0 - e), al, be, ga)
                .unwrap();
        let s = ph.structure().clone().with_lattice(lattice);
        let peaks = sim.peaks(&s).unwrap();
        let curve = sim.render_with(&peaks, &grid, &profile, &geometry).unwrap();
        // Hill & Howard: S ∝ w / (ZM · V).
        let scale = 2e-3 * w / (ph.cell_mass().unwrap() * lattice.volume()) * 1e4;
        for (yi, ci) in y.iter_mut().zip(&curve) {
            *yi += scale * ci;
        }
        lattices.push(lattice);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let tt = grid.positions();
    let counts: Vec<f64> = y
        .iter()
        .zip(&tt)
        .map(|(v, t)| {
            let mean = v + 200.0 - 1.5 * t + hump * (-((t - 25.0) / 5.0).powi(2)).exp();
            // Box–Muller: Gaussian noise of the Poisson's width.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (mean + z * mean.sqrt()).max(0.0)
        })
        .collect();
    (Pattern::new(tt, counts).unwrap(), lattices)
}

/// Counts of `y` on `grid` over a flat background of 150, with Gaussian noise of the Poisson's
/// width (Box–Muller) of `seed`.
fn counted(grid: &Grid, y: &[f64], seed: u64) -> Pattern {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let counts: Vec<f64> = y
        .iter()
        .map(|v| {
            let mean = v + 150.0;
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (mean + z * mean.sqrt()).max(0.0)
        })
        .collect();
    Pattern::new(grid.positions(), counts).unwrap()
}

/// Rutile with March–Dollase `r` along [001] beside untextured zincite at `weights`, rendered
/// by xrd-sim with `profile` on the Cu Kα grid and counted with the noise of `seed`.
fn textured_rutile_beside_zincite(
    [rutile, zincite]: [&Phase; 2],
    profile: &Profile,
    r: f64,
    weights: [f64; 2],
    seed: u64,
) -> Pattern {
    let (sim, grid) = simulator();
    let texture = xrd_sim::MarchDollase {
        direction: [0, 0, 1],
        r,
    };
    let mut y = vec![0.0; grid.len()];
    for (k, ph) in [rutile, zincite].into_iter().enumerate() {
        let peaks = if k == 0 {
            sim.peaks_textured(ph.structure(), &texture).unwrap()
        } else {
            sim.peaks(ph.structure()).unwrap()
        };
        let curve = sim.render(&peaks, &grid, profile).unwrap();
        let scale =
            20.0 * weights[k] / (ph.cell_mass().unwrap() * ph.structure().lattice().volume());
        for (yi, ci) in y.iter_mut().zip(&curve) {
            *yi += scale * ci;
        }
    }
    counted(&grid, &y, seed)
}

/// The refinement without texture or B (the synthetic patterns have neither).
fn fit_untextured(phases: Vec<Phase>, pattern: &Pattern) -> xrd_refine::Refinement {
    Refiner::new(phases)
        // Rendered by xrd-sim: no microabsorption to correct.
        .particle_size(0.0)
        .params(RefineParams::new().stages(vec![
            Stage::ScaleBackground,
            Stage::CellsZero,
            Stage::Profile,
        ]))
        .fit(pattern, Wavelength::CU_KA)
        .unwrap()
}

fn check(weights: &[f64], strain: &[f64], seed: u64) {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let phases = vec![rutile, zincite];
    let (pattern, lattices) = mixture(&phases, weights, strain, 0.0, seed);
    let fit = fit_untextured(phases, &pattern);
    assert!(fit.gof < 1.5, "GoF {}", fit.gof);
    for (k, ph) in fit.phases.iter().enumerate() {
        let dw = ph.weight_fraction - weights[k];
        assert!(
            dw.abs() < 0.01,
            "{}: {} against {}",
            ph.name,
            ph.weight_fraction,
            weights[k]
        );
        // The esd is of the size of the error, not ten times smaller.
        assert!(
            ph.weight_fraction_esd > 0.0 && dw.abs() < 5.0 * ph.weight_fraction_esd + 0.002,
            "{}: error {dw} against esd {}",
            ph.name,
            ph.weight_fraction_esd
        );
        let want = lattices[k].lengths();
        for (i, (got, want)) in ph.cell.iter().zip(want).enumerate() {
            let rel = (got / want - 1.0).abs();
            assert!(
                rel < 1e-4,
                "{} cell {i}: {got} against {want} ({rel:e})",
                ph.name
            );
        }
    }
    let zero = fit.instrument.zero;
    assert!((zero - 0.05).abs() < 0.01, "zero {zero}");
}

#[test]
fn a_balanced_mixture() {
    check(&[0.4, 0.6], &[0.002, -0.003], 1);
}

#[test]
fn a_minor_phase() {
    check(&[0.05, 0.95], &[-0.001, 0.002], 2);
}

#[test]
fn a_major_phase() {
    check(&[0.9, 0.1], &[0.0, 0.004], 3);
}

/// A monoclinic phase (β > 90°: a negative reciprocal-metric coefficient, once refused by its
/// bounds) refines to its strained cell.
#[test]
fn a_monoclinic_cell_refines() {
    let cif = "data_mono\n_cell_length_a 5.15\n_cell_length_b 5.21\n_cell_length_c 5.31\n\
        _cell_angle_alpha 90\n_cell_angle_beta 99.2\n_cell_angle_gamma 90\n\
        loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'-x,y+1/2,-z+1/2'\n'-x,-y,-z'\n'x,-y+1/2,z+1/2'\n\
        loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
        Zr 0.276 0.040 0.208\nO1 0.070 0.332 0.345\nO2 0.450 0.757 0.479\n";
    let phase = Phase::new(
        "baddeleyite-like",
        xrd_sim::Structure::from_cif(cif).unwrap(),
    )
    .unwrap();
    assert_eq!(phase.space_group(), 14);
    let (pattern, lattices) = mixture(std::slice::from_ref(&phase), &[1.0], &[0.002], 0.0, 4);
    let fit = fit_untextured(vec![phase], &pattern);
    let want = lattices[0].lengths();
    for (got, want) in fit.phases[0].cell.iter().zip(want) {
        assert!(
            (got / want - 1.0).abs() < 2e-4,
            "{:?} against {want:?}",
            fit.phases[0].cell
        );
    }
    assert!((fit.phases[0].cell[4] - lattices[0].angles()[1]).abs() < 0.02);
}

/// An internal standard of known weight (rutile, 20 %) beside zincite (50 %) and 30 % of an
/// amorphous phase (a broad hump): the absolute fractions and the amorphous rest.
#[test]
fn an_internal_standard_gives_absolute_fractions_and_the_amorphous_rest() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let phases = vec![rutile, zincite];
    let (pattern, _) = mixture(&phases, &[0.2, 0.5], &[0.0, 0.0], 400.0, 5);
    let fit = Refiner::new(phases)
        // Rendered by xrd-sim: no microabsorption to correct.
        .particle_size(0.0)
        .params(RefineParams::new().humps(1).stages(vec![
            Stage::ScaleBackground,
            Stage::CellsZero,
            Stage::Profile,
        ]))
        .standard(0, 0.2)
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap();
    assert!((fit.phases[0].weight_fraction - 0.2).abs() < 1e-12);
    let zincite = fit.phases[1].weight_fraction;
    let humps: Vec<_> = fit
        .parameters
        .iter()
        .filter(|p| matches!(p.id, xrd_refine::ParamId::Hump(..)))
        .collect();
    assert!(
        (zincite - 0.5).abs() < 0.015,
        "zincite {zincite}, Rwp {}, {humps:?}",
        fit.rwp
    );
    let amorphous = fit.amorphous.unwrap();
    assert!((amorphous - 0.3).abs() < 0.015, "amorphous {amorphous}");
}

/// An instrument refined on a standard, saved and reused: the sample's fit keeps its widths and
/// zero and refines only its own broadening and displacement.
#[test]
fn an_instrument_refined_on_a_standard_is_reused() {
    let Some(zincite) = cif_phase("ZnO.cif") else {
        return;
    };
    let (pattern, _) = mixture(std::slice::from_ref(&zincite), &[1.0], &[0.0], 0.0, 6);
    let standard = Refiner::new(vec![zincite.clone()])
        // Rendered by xrd-sim: no microabsorption to correct.
        .particle_size(0.0)
        .params(RefineParams::new().instrument_standard(true))
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap();
    assert!(standard.instrument.refined);
    // The rendered pattern: Caglioti W 0.003 at θ = 0, zero shift 0.05°.
    assert!(
        (standard.instrument.zero - 0.05).abs() < 0.01,
        "{:?}",
        standard.instrument
    );
    let file =
        std::env::temp_dir().join(format!("xrd-refine-instrument-{}.json", std::process::id()));
    standard.instrument.save(&file).unwrap();
    let instrument = xrd_refine::Instrument::load(&file).unwrap();
    std::fs::remove_file(&file).ok();
    assert_eq!(instrument, standard.instrument);
    let sample = Refiner::new(vec![zincite])
        // Rendered by xrd-sim: no microabsorption to correct.
        .particle_size(0.0)
        .instrument(instrument.clone())
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap();
    assert_eq!(sample.instrument.w, instrument.w);
    assert_eq!(sample.instrument.zero, instrument.zero);
    // The same pattern as the standard: nothing left for the sample to broaden.
    assert!(
        sample.phases[0].size_nm.is_none_or(|s| s > 500.0),
        "{:?}",
        sample.phases[0].size_nm
    );
    assert!(
        sample.rwp <= standard.rwp * 1.05,
        "{} against {}",
        sample.rwp,
        standard.rwp
    );
}

/// Texture and crystallite size as well: rutile with March–Dollase r = 0.8 along [001] and both
/// phases 30 nm crystallites, rendered by xrd-sim (pseudo-Voigt η = 0.4, Caglioti plus Scherrer
/// in quadrature: not the refinement's TCH model), 30/70 wt%: the texture direction and r, and
/// the weight fractions within 1 wt%, with the default plan.
#[test]
fn texture_and_size_broadening() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let mut profile = Profile::pseudo_voigt(0.4, 0.1);
    profile.width = xrd_sim::Width::CagliotiSize {
        u: 0.004,
        v: -0.002,
        w: 0.003,
        size: 300.0,
        wavelength: Wavelength::CU_KA,
    };
    let weights = [0.3, 0.7];
    let pattern = textured_rutile_beside_zincite([&rutile, &zincite], &profile, 0.8, weights, 7);
    let fit = Refiner::new(vec![rutile, zincite])
        // Rendered by xrd-sim: no microabsorption to correct.
        .particle_size(0.0)
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap();
    let texture = fit.phases[0].texture;
    assert!(
        texture.is_some_and(|(d, r)| d == [0, 0, 1] && (r - 0.8).abs() < 0.05),
        "{texture:?}"
    );
    // The sizes are not compared: xrd-sim adds the Scherrer width to the Caglioti one in
    // quadrature under one pseudo-Voigt, the refinement's size is a Lorentzian TCH term beside
    // refined U, V, W, so the same peaks give another number.
    for (ph, w) in fit.phases.iter().zip(weights) {
        assert!(
            ph.size_nm.is_some(),
            "{}: no size broadening found",
            ph.name
        );
        assert!(
            (ph.weight_fraction - w).abs() < 0.01,
            "{}: {} against {w}",
            ph.name,
            ph.weight_fraction
        );
    }
}

/// A texture March–Dollase cannot draw: zincite's pole density peaks between its c axis and
/// its basal plane, W = 1 + 0.5 P₂(cos φ) − 0.3 P₄(cos φ) (φ the angle of a reflection's
/// normal to c), 60 wt% beside untextured rutile. Offered harmonics of order 4, the texture
/// stage keeps them on zincite (not on rutile) and the weight fractions come within 1 wt%;
/// March–Dollase alone is further off.
#[test]
fn a_texture_march_dollase_cannot_draw_is_kept_as_harmonics() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let (sim, grid) = simulator();
    let profile = Profile::gaussian(0.1).caglioti(0.006, -0.002, 0.003);
    let weights = [0.4, 0.6];
    let c = zincite.structure().lattice().lengths()[2];
    let pole = |x: f64| {
        let p2 = (3.0 * x * x - 1.0) / 2.0;
        let p4 = (35.0 * x.powi(4) - 30.0 * x * x + 3.0) / 8.0;
        1.0 + 0.5 * p2 - 0.3 * p4
    };
    let mut y = vec![0.0; grid.len()];
    for (k, ph) in [&rutile, &zincite].into_iter().enumerate() {
        let mut peaks = sim.peaks(ph.structure()).unwrap();
        if k == 1 {
            // Hexagonal: cos φ = l d / c.
            peaks = peaks.weighted(|p| pole(p.hkl[2] * p.d_spacing / c));
        }
        let curve = sim.render(&peaks, &grid, &profile).unwrap();
        let scale =
            20.0 * weights[k] / (ph.cell_mass().unwrap() * ph.structure().lattice().volume());
        for (yi, ci) in y.iter_mut().zip(&curve) {
            *yi += scale * ci;
        }
    }
    let pattern = counted(&grid, &y, 11);
    let fit = |order: u8| {
        Refiner::new(vec![rutile.clone(), zincite.clone()])
            .particle_size(0.0)
            .params(RefineParams::new().texture_harmonics(order))
            .fit(&pattern, Wavelength::CU_KA)
            .unwrap()
    };
    let error = |f: &xrd_refine::Refinement| {
        f.phases
            .iter()
            .zip(weights)
            .map(|(ph, w)| (ph.weight_fraction - w).abs())
            .fold(0.0, f64::max)
    };
    let (harmonics, march_dollase) = (fit(4), fit(0));
    let kept: Vec<bool> = harmonics
        .phases
        .iter()
        .map(|ph| ph.texture_harmonics.is_some())
        .collect();
    assert_eq!(kept, [false, true]);
    let (lo, hi) = harmonics.phases[1].texture_harmonics.unwrap().weight_range;
    // The true W spans 0.64 (in the basal plane) to 1.31 (at 32° from c).
    assert!(
        (lo - 0.64).abs() < 0.05 && (hi - 1.31).abs() < 0.05,
        "W {lo}–{hi}"
    );
    assert!(
        error(&harmonics) < 0.01 && error(&harmonics) < error(&march_dollase),
        "harmonics {:.4} (Rwp {:.4}), March–Dollase {:.4} (Rwp {:.4})",
        error(&harmonics),
        harmonics.rwp,
        error(&march_dollase),
        march_dollase.rwp
    );
}

/// With the B stage, a 3 wt% phase's overall B is beyond what the data carry (its esd above
/// 0.5 Å²) and is held at the structure's, while the major phase's is refined.
#[test]
fn an_overall_b_the_data_do_not_carry_is_held() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let phases = vec![rutile, zincite];
    let (pattern, _) = mixture(&phases, &[0.98, 0.02], &[0.0, 0.0], 0.0, 11);
    let fit = Refiner::new(phases)
        .particle_size(0.0)
        .params(RefineParams::new().stages(vec![
            Stage::ScaleBackground,
            Stage::CellsZero,
            Stage::Profile,
            Stage::OverallB,
        ]))
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap();
    let b = |name: &str| {
        let id: xrd_refine::ParamId = name.parse().unwrap();
        fit.parameters.iter().find(|p| p.id == id).unwrap()
    };
    assert!(
        b("Rutile.B").refined && b("Rutile.B").esd < 0.5,
        "{:?}",
        b("Rutile.B")
    );
    assert!(
        !b("ZnO.B").refined && b("ZnO.B").value == 0.0,
        "{:?}",
        b("ZnO.B")
    );
    assert!(
        (fit.phases[1].weight_fraction - 0.02).abs() < 0.01,
        "{:?}",
        fit.phases[1]
    );
}

/// La(OH)₃ beside zincite, rendered with its H sites and refined from a structure without them
/// (as many hydroxides are published): the H its chemistry has is added to its formula mass by
/// charge balance, so its weight fraction is that of La(OH)₃, and the fit says so.
#[test]
fn a_hydroxide_without_h_sites_is_weighed_with_its_hydrogen() {
    let (Some(path), Some(zincite)) = (
        xrd_testdata::shared_data("cif/LaOH3_Beall1977.cif"),
        cif_phase("ZnO.cif"),
    ) else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let full = Phase::new("La(OH)3", xrd_sim::Structure::from_cif(&text).unwrap()).unwrap();
    let stripped: String = text
        .lines()
        .filter(|l| !l.starts_with("H1 "))
        .map(|l| format!("{l}\n"))
        .collect();
    let bare = Phase::new("La(OH)3", xrd_sim::Structure::from_cif(&stripped).unwrap()).unwrap();
    assert_eq!(bare.missing_hydrogen(), 6.0);
    assert!((bare.cell_mass().unwrap() - full.cell_mass().unwrap()).abs() < 0.05);
    let (pattern, _) = mixture(&[full, zincite.clone()], &[0.5, 0.5], &[0.0, 0.0], 0.0, 21);
    let fit = fit_untextured(vec![bare, zincite], &pattern);
    assert!(
        (fit.phases[0].weight_fraction - 0.5).abs() < 0.01,
        "{}",
        fit.phases[0].weight_fraction
    );
    assert_eq!(fit.phases[0].hydrogen_added, 6.0);
    assert!(
        fit.warnings.iter().any(|w| w.contains("no H sites")),
        "{:?}",
        fit.warnings
    );
}

/// A strong and a weak absorber (In₂O₃, μ ≈ 1,650 cm⁻¹ at Cu Kα, beside corundum, μ ≈ 125
/// cm⁻¹), rendered without microabsorption: refined without a particle size the weighed
/// fractions come back and a warning says what a correction would change; with a particle
/// size assumed that the powder does not have, Brindley's correction moves them away, the
/// uncorrected fractions reported beside.
#[test]
fn a_correction_for_a_particle_size_the_powder_lacks_biases_strong_absorbers() {
    let (Some(indium), Some(corundum)) = (
        cif_phase("In2O3_Marezio1966.cif"),
        cif_phase("Sapphire.cif"),
    ) else {
        return;
    };
    let phases = vec![indium, corundum];
    let weights = [0.5, 0.5];
    let (pattern, _) = mixture(&phases, &weights, &[0.0, 0.0], 0.0, 11);
    let fit = |size: Option<f64>| {
        let mut r = Refiner::new(phases.clone()).params(RefineParams::new().stages(vec![
            Stage::ScaleBackground,
            Stage::CellsZero,
            Stage::Profile,
        ]));
        if let Some(d) = size {
            r = r.particle_size(d);
        }
        r.fit(&pattern, Wavelength::CU_KA).unwrap()
    };
    let plain = fit(None);
    for (ph, w) in plain.phases.iter().zip(weights) {
        assert!(
            (ph.weight_fraction - w).abs() < 0.01,
            "{}: {}",
            ph.name,
            ph.weight_fraction
        );
        assert_eq!(ph.weight_fraction_uncorrected, None);
    }
    assert!(
        plain
            .warnings
            .iter()
            .any(|w| w.contains("absorb very differently")),
        "{:?}",
        plain.warnings
    );
    let assumed = fit(Some(3.0));
    let p = &assumed.phases[0];
    // The strong absorber is raised by the correction: 0.5 read as about 0.57.
    assert!(p.weight_fraction - 0.5 > 0.05, "{}", p.weight_fraction);
    let u = p.weight_fraction_uncorrected.unwrap();
    assert!((u - plain.phases[0].weight_fraction).abs() < 1e-6, "{u}");
}

/// The F-test that decides which phases identify keeps and which a series holds absent counts
/// parameters, not phases: P is every parameter refined in the last stage, and adding a phase
/// adds its scale, free cell coefficients, size and strain.
#[test]
fn the_f_test_counts_parameters_not_phases() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let (pattern, _) = mixture(
        &[rutile.clone(), zincite.clone()],
        &[0.3, 0.7],
        &[0.0, 0.0],
        0.0,
        9,
    );
    let one = fit_untextured(vec![zincite.clone()], &pattern);
    let two = fit_untextured(vec![zincite, rutile], &pattern);
    for fit in [&one, &two] {
        let free = fit.parameters.iter().filter(|p| p.refined).count();
        assert_eq!(fit.refined, free);
        assert!(fit.refined > fit.phases.len() + 6, "{}", fit.refined);
    }
    // Rutile (tetragonal: A=B, C) adds its scale, two cell coefficients, size and strain.
    let rutile_free: Vec<String> = two
        .parameters
        .iter()
        .filter(|p| p.refined && p.id.is_of_phase("Rutile"))
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(
        rutile_free,
        [
            "Rutile.scale",
            "Rutile.cell.A=B",
            "Rutile.cell.C",
            "Rutile.size",
            "Rutile.strain"
        ]
    );
    assert_eq!(two.refined - one.refined, 5);
    assert!(two.significantly_better_than(&one, 3.09));
    assert!(!one.significantly_better_than(&two, 3.09));
}

/// Phase names key every parameter, so two phases of one name are refused, as is a name the
/// parameter keys reserve.
#[test]
fn phase_names_are_unique_and_not_reserved() {
    let Some(zincite) = cif_phase("ZnO.cif") else {
        return;
    };
    let (pattern, _) = mixture(std::slice::from_ref(&zincite), &[1.0], &[0.0], 0.0, 4);
    let err = Refiner::new(vec![zincite.clone(), zincite.clone()])
        .fit(&pattern, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        err.to_string().contains("two phases are called `ZnO`"),
        "{err}"
    );
    for name in [
        "instrument",
        "reference.KAOLINITE",
        "background.1",
        "ZnO.cell",
    ] {
        let renamed = Phase::new(name, zincite.structure().clone()).unwrap();
        let Err(err) = Refiner::new(vec![renamed]).fit(&pattern, Wavelength::CU_KA) else {
            panic!("a phase called `{name}` was refined");
        };
        assert!(
            err.to_string()
                .contains(&format!("may not be called `{name}`")),
            "{err}"
        );
    }
    // Dots are fine where the keys read back.
    for name in ["Zn0.98O", "ZnO.cell.A"] {
        let dotted = Phase::new(name, zincite.structure().clone()).unwrap();
        let fit = Refiner::new(vec![dotted])
            .fit(&pattern, Wavelength::CU_KA)
            .unwrap();
        for p in &fit.parameters {
            assert_eq!(
                p.id.to_string().parse::<xrd_refine::ParamId>().unwrap(),
                p.id
            );
        }
    }
}

/// What a user fixes stays at its start, what they free beyond the plan is refined in its
/// last stage, a name that is no parameter is refused, and an excluded region's points are
/// left out: a spike no phase explains spoils the fit until its region is excluded.
#[test]
fn fixed_freed_and_excluded_are_honoured() {
    let Some(zincite) = cif_phase("ZnO.cif") else {
        return;
    };
    // Its cell 0.5 % larger than the CIF's: a refined cell moves, a fixed one stays.
    let (pattern, _) = mixture(std::slice::from_ref(&zincite), &[1.0], &[0.005], 0.0, 21);
    let stages = vec![Stage::ScaleBackground, Stage::CellsZero, Stage::Profile];
    let fit = |params: RefineParams, pattern: &Pattern| {
        Refiner::new(vec![zincite.clone()])
            .particle_size(0.0)
            .params(params)
            .fit(pattern, Wavelength::CU_KA)
    };
    let planned = || RefineParams::new().stages(stages.clone());
    let plain = fit(planned(), &pattern).unwrap();
    let name = zincite.name().to_string();
    let value = |r: &xrd_refine::Refinement, param: &str| {
        let id: ParamId = format!("{name}.{param}").parse().unwrap();
        r.parameters.iter().find(|p| p.id == id).cloned().unwrap()
    };
    assert!(value(&plain, "size").refined);
    assert!(!value(&plain, "B").refined);
    let steered = fit(
        planned()
            .fixed(vec![format!("{name}.cell.C").parse().unwrap()])
            .freed(vec![format!("{name}.B").parse().unwrap()]),
        &pattern,
    )
    .unwrap();
    // The fixed coefficient keeps the CIF's value, which a fit of scales alone also keeps.
    let start = fit(
        RefineParams::new().stages(vec![Stage::ScaleBackground]),
        &pattern,
    )
    .unwrap();
    let c = value(&steered, "cell.C");
    assert!(!c.refined);
    assert_eq!(c.value, value(&start, "cell.C").value);
    assert!(value(&plain, "cell.C").refined);
    assert!((value(&plain, "cell.C").value / c.value - 1.0).abs() > 0.005);
    assert!(value(&steered, "B").refined);
    assert_eq!(steered.refined, plain.refined);
    // A parameter of no phase of the fit.
    let wrong = fit(
        planned().fixed(vec!["Calcite.size".parse().unwrap()]),
        &pattern,
    );
    assert!(
        matches!(&wrong, Err(xrd_refine::Error::InvalidParameter(p)) if p.name == "fixed"),
        "{wrong:?}"
    );
    // A strong spike at 2θ 55.0–55.3° where zincite has no line.
    let spiked: Vec<f64> = pattern
        .two_theta()
        .iter()
        .zip(pattern.intensity())
        .map(|(&t, &c)| {
            if (55.0..=55.3).contains(&t) {
                c + 3000.0
            } else {
                c
            }
        })
        .collect();
    let spiked = Pattern::new(pattern.two_theta().to_vec(), spiked).unwrap();
    let spoiled = fit(planned(), &spiked).unwrap();
    let excluded = fit(planned().excluded(vec![(54.9, 55.4)]), &spiked).unwrap();
    assert!(
        spoiled.rwp > 1.5 * plain.rwp,
        "{} {}",
        spoiled.rwp,
        plain.rwp
    );
    assert!(excluded.points < plain.points);
    assert!(
        (excluded.rwp - plain.rwp).abs() < 0.05 * plain.rwp,
        "{} {}",
        excluded.rwp,
        plain.rwp
    );
}

/// The state a fit ended in stands for that fit: evaluated without refining, it gives the
/// fit's curves, fractions, R factors and esds again.
#[test]
fn a_state_evaluates_to_its_fit() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let (pattern, _) = mixture(
        &[rutile.clone(), zincite.clone()],
        &[0.4, 0.6],
        &[0.002, -0.001],
        0.0,
        31,
    );
    let refiner = Refiner::new(vec![zincite, rutile])
        .particle_size(0.0)
        .params(RefineParams::new().stages(vec![
            Stage::ScaleBackground,
            Stage::CellsZero,
            Stage::Profile,
        ]));
    let (fit, state) = refiner.fit_state(&pattern, Wavelength::CU_KA).unwrap();
    let again = refiner
        .evaluate(&pattern, Wavelength::CU_KA, &state)
        .unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1e-12) + 1e-12;
    assert!(close(again.rwp, fit.rwp), "{} {}", again.rwp, fit.rwp);
    assert_eq!(again.refined, fit.refined);
    assert_eq!(again.calculated.len(), fit.calculated.len());
    for (a, b) in again.calculated.iter().zip(&fit.calculated) {
        assert!(close(*a, *b), "{a} {b}");
    }
    for (a, b) in again.phases.iter().zip(&fit.phases) {
        assert!(close(a.weight_fraction, b.weight_fraction));
        assert!(close(a.weight_fraction_esd, b.weight_fraction_esd));
    }
    // Of another pattern, the state's values give a poorer fit than refining it would.
    let (other, _) = mixture(
        &[
            cif_phase("ZnO.cif").unwrap(),
            cif_phase("Rutile.cif").unwrap(),
        ],
        &[0.8, 0.2],
        &[0.0, 0.0],
        0.0,
        32,
    );
    let held = refiner.evaluate(&other, Wavelength::CU_KA, &state).unwrap();
    let refined = refiner
        .fit_warm(&other, Wavelength::CU_KA, &state)
        .unwrap()
        .0;
    assert!(held.rwp > refined.rwp, "{} {}", held.rwp, refined.rwp);
}

/// Two phases whose lines coincide (rutile, and rutile named again with a cell 0.01 % longer;
/// cells held) fitted to a pattern of both, 50/50: their scales trade off (measured −0.985),
/// each phase says so ([`xrd_refine::PhaseResult::overlap`]: the other's scale, correlation
/// below −0.9), and the weight fractions' esds from the full covariance are wide (2.3 wt%) and
/// cover the error (3.3 points); rutile beside zincite reports no overlap, esds below 1 %.
#[test]
fn phases_whose_lines_coincide_say_so() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let [a, b, c] = rutile.structure().lattice().lengths();
    let s = 1.0001;
    let twin = Phase::new(
        "Twin",
        rutile
            .structure()
            .clone()
            .with_lattice(Lattice::from_parameters(a * s, b * s, c * s, 90.0, 90.0, 90.0).unwrap()),
    )
    .unwrap();
    let scales_only = |phases: Vec<Phase>, pattern: &Pattern| {
        Refiner::new(phases)
            .particle_size(0.0)
            .params(RefineParams::new().stages(vec![Stage::ScaleBackground]))
            .fit(pattern, Wavelength::CU_KA)
            .unwrap()
    };
    let (pattern, _) = mixture(
        &[rutile.clone(), twin.clone()],
        &[0.5, 0.5],
        &[0.0, 0.0],
        0.0,
        21,
    );
    let fit = scales_only(vec![rutile.clone(), twin], &pattern);
    for (p, other) in [(0, "Twin.scale"), (1, "Rutile.scale")] {
        let o = fit.phases[p].overlap.as_ref();
        assert!(
            o.is_some_and(|o| o.with.to_string() == other && o.correlation < -0.9),
            "{}: {o:?}",
            fit.phases[p].name
        );
        let ph = &fit.phases[p];
        assert!(ph.weight_fraction_esd > 0.01, "{ph:?}");
        assert!(
            (ph.weight_fraction - 0.5).abs() < 3.0 * ph.weight_fraction_esd,
            "{ph:?}"
        );
    }
    let (pattern, _) = mixture(
        &[rutile.clone(), zincite.clone()],
        &[0.5, 0.5],
        &[0.0, 0.0],
        0.0,
        22,
    );
    let fit = scales_only(vec![rutile, zincite], &pattern);
    assert!(fit.phases.iter().all(|p| p.overlap.is_none()));
    assert!(fit.phases.iter().all(|p| p.weight_fraction_esd < 0.01));
}

/// Zincite at synchrotron resolution (0.2 Å, 2θ 2–12°) whose Gaussian width does not grow
/// with angle (Caglioti W only) beside 60 nm crystallites, no instrument file: the Gaussian
/// U stays at or above its physical floor 0 and is not reported at a bound, V is held, and
/// the warning that an instrument file would tell the instrument's widths from the sample's
/// is given once, naming the pairs the data could not tell apart.
#[test]
fn widths_stay_physical_without_an_instrument_file() {
    let Some(zincite) = cif_phase("ZnO.cif") else {
        return;
    };
    let wavelength = Wavelength::synchrotron(0.2);
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(wavelength)
            .two_theta_range(2.0, 12.0),
    )
    .unwrap();
    let grid = Grid::new(2.0, 0.004, 2500).unwrap();
    let mut profile = Profile::pseudo_voigt(0.3, 0.02);
    profile.width = xrd_sim::Width::CagliotiSize {
        u: 0.0,
        v: 0.0,
        w: 0.0004,
        size: 600.0,
        wavelength,
    };
    let peaks = sim.peaks(zincite.structure()).unwrap();
    let y: Vec<f64> = sim
        .render(&peaks, &grid, &profile)
        .unwrap()
        .iter()
        .map(|v| 0.02 * v)
        .collect();
    let pattern = counted(&grid, &y, 11);
    let fit = Refiner::new(vec![zincite])
        .particle_size(0.0)
        // U and W correlate at −0.80 here (the size and the strain at −0.94): a user who asks
        // to hear of correlations above 0.75.
        .params(RefineParams::new().max_correlation(0.75))
        .fit(&pattern, wavelength)
        .unwrap();
    let value = |key: &str| {
        fit.parameters
            .iter()
            .find(|p| p.id.to_string() == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone()
    };
    let (u, w) = (value("instrument.U"), value("instrument.W"));
    assert!(u.refined && u.value >= 0.0 && !u.at_bound, "{u:?}");
    assert!(w.value > 0.0 && !w.at_bound, "{w:?}");
    // V is the collimation term of a diffractometer's optics: held without an instrument file.
    assert!(!value("instrument.V").refined);
    assert!(fit.rwp < 0.1, "rwp {}", fit.rwp);
    let advice: Vec<&String> = fit
        .warnings
        .iter()
        .filter(|m| m.contains("give an instrument file"))
        .collect();
    assert_eq!(advice.len(), 1, "{:#?}", fit.warnings);
    assert!(
        advice[0].contains("`instrument.U` and `instrument.W`"),
        "{}",
        advice[0]
    );
}

/// The texture stage gives the same answer whatever order the phases are named in: rutile
/// textured (March–Dollase r = 0.75 on [001]) beside untextured zincite, refined as
/// [rutile, zincite] and as [zincite, rutile]. Each phase's texture and weight fraction agree
/// (until 2026-11-27 a phase judged after a textured one was measured against the χ² before
/// any texture, and kept a direction because of the other's gain: on dara_dev the mean error
/// moved by 0.37 wt% points when the phases were named in reverse).
#[test]
fn texture_does_not_depend_on_the_phases_order() {
    let (Some(rutile), Some(zincite)) = (cif_phase("Rutile.cif"), cif_phase("ZnO.cif")) else {
        return;
    };
    let profile = Profile::pseudo_voigt(0.4, 0.1);
    let weights = [0.45, 0.55];
    let pattern = textured_rutile_beside_zincite([&rutile, &zincite], &profile, 0.75, weights, 5);
    let fit = |phases: Vec<Phase>| {
        Refiner::new(phases)
            .particle_size(0.0)
            .fit(&pattern, Wavelength::CU_KA)
            .unwrap()
    };
    let forward = fit(vec![rutile.clone(), zincite.clone()]);
    let backward = fit(vec![zincite, rutile]);
    for (a, b) in forward.phases.iter().zip(backward.phases.iter().rev()) {
        assert_eq!(a.name, b.name);
        assert_eq!(
            a.texture.map(|t| t.0),
            b.texture.map(|t| t.0),
            "{}: {:?} against {:?}",
            a.name,
            a.texture,
            b.texture
        );
        assert!(
            (a.weight_fraction - b.weight_fraction).abs() < 2e-3,
            "{}: {} against {}",
            a.name,
            a.weight_fraction,
            b.weight_fraction
        );
    }
    let rutile_texture = forward.phases[0].texture;
    assert!(
        rutile_texture.is_some_and(|(d, r)| d == [0, 0, 1] && (r - 0.75).abs() < 0.05),
        "{rutile_texture:?}"
    );
    assert!((forward.phases[0].weight_fraction - 0.45).abs() < 0.01);
}
