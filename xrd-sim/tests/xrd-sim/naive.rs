//! The fast structure-factor path (Friedel half-space, phase tables, grouped form factors, f₀
//! tables, rayon) against a naive direct sum over every hkl, with fixed seeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_io::{Grid, Wavelength};
use xrd_sim::{
    Anomalous, AtomicFactor, Element, FormFactorTable, Lattice, PowderParams, Profile, Simulator,
    Site, Species, Structure,
};

/// Relative tolerance on merged peak intensities.
const REL_TOL: f64 = 1e-9;
/// Relative tolerance when f₀ comes from the interpolation table.
const TABLE_REL_TOL: f64 = 1e-6;

fn random_structure(seed: u64, n: usize, size: f64) -> Structure {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let lattice = Lattice::from_parameters(
        size * rng.random_range(0.8..1.2),
        size * rng.random_range(0.8..1.2),
        size * rng.random_range(0.8..1.2),
        rng.random_range(75.0..105.0),
        rng.random_range(75.0..105.0),
        rng.random_range(75.0..105.0),
    )
    .unwrap();
    let species = ["Fe", "O2-", "Sm", "Ti4+"].map(|s| Species::parse(s).unwrap());
    let sites = (0..n)
        .map(|i| {
            Site::new(species[i % 4], [rng.random(), rng.random(), rng.random()])
                .with_occupancy(rng.random_range(0.5..1.0))
                .with_b_iso(rng.random_range(0.0..1.5))
        })
        .collect();
    Structure::new(lattice, sites).unwrap()
}

/// Direct sum: every hkl (both Friedel mates), complex exponential per atom.
fn naive(
    s: &Structure,
    p: &PowderParams,
    table: FormFactorTable,
    anomalous: &Anomalous,
    tt: (f64, f64),
) -> Vec<(f64, f64)> {
    let lambda = p.get_radiation().angstrom();
    let rec = s.lattice().reciprocal();
    let gmax = 2.0 * (tt.1 / 2.0).to_radians().sin() / lambda;
    let gmin = 2.0 * (tt.0 / 2.0).to_radians().sin() / lambda;
    let lim = s.lattice().lengths().map(|a| (gmax * a).ceil() as i32 + 1);
    let factors: Vec<(AtomicFactor, f64, f64)> = s
        .sites()
        .iter()
        .map(|x| {
            let (f1, f2) = anomalous
                .correction(x.species.element, p.get_radiation())
                .unwrap();
            (AtomicFactor::new(table, &x.species).unwrap(), f1, f2)
        })
        .collect();
    let mut refl = Vec::new();
    for h in -lim[0]..=lim[0] {
        for k in -lim[1]..=lim[1] {
            for l in -lim[2]..=lim[2] {
                let g: [f64; 3] = [0, 1, 2].map(|j| {
                    f64::from(h) * rec[0][j] + f64::from(k) * rec[1][j] + f64::from(l) * rec[2][j]
                });
                let gn = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
                if gn == 0.0 || gn < gmin || gn > gmax {
                    continue;
                }
                let sv = gn / 2.0;
                let (mut re, mut im) = (0.0, 0.0);
                for (site, (f, f1, f2)) in s.sites().iter().zip(&factors) {
                    let dw = (-site.b_iso * sv * sv).exp();
                    let (a, b) = (
                        (f.f0(sv) + f1) * dw * site.occupancy,
                        f2 * dw * site.occupancy,
                    );
                    let ph = std::f64::consts::TAU
                        * (f64::from(h) * site.frac[0]
                            + f64::from(k) * site.frac[1]
                            + f64::from(l) * site.frac[2]);
                    re += a * ph.cos() - b * ph.sin();
                    im += a * ph.sin() + b * ph.cos();
                }
                let theta = (lambda * gn / 2.0).asin();
                refl.push((
                    gn,
                    [h, k, l],
                    (re * re + im * im) * p.lorentz_polarisation(theta),
                    theta,
                ));
            }
        }
    }
    refl.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    let mut peaks: Vec<(i64, f64, f64)> = Vec::new();
    for (_, _, i, theta) in refl {
        let t = 2.0 * theta.to_degrees();
        let key = (t / 1e-5).round() as i64;
        match peaks.last_mut() {
            Some(last) if last.0 == key => last.2 += i,
            _ => peaks.push((key, t, i)),
        }
    }
    let max = peaks.iter().map(|p| p.2).fold(0.0, f64::max);
    peaks
        .into_iter()
        .filter(|p| p.2 / max * 100.0 > 1e-3)
        .map(|p| (p.1, p.2))
        .collect()
}

fn compare(
    seed: u64,
    n: usize,
    size: f64,
    lambda: f64,
    tt: (f64, f64),
    anomalous: Anomalous,
    rel: f64,
) {
    let s = random_structure(seed, n, size);
    for table in [FormFactorTable::WaasmaierKirfel, FormFactorTable::Pymatgen] {
        let p = PowderParams::new()
            .radiation(Wavelength::synchrotron(lambda))
            .two_theta_range(tt.0, tt.1)
            .form_factors(table)
            .anomalous(anomalous.clone());
        let fast = Simulator::new(p.clone()).unwrap().peaks(&s).unwrap();
        let slow = naive(&s, &p, table, &anomalous, tt);
        assert_eq!(fast.len(), slow.len(), "seed {seed} {table:?}");
        for (a, (t, i)) in fast.peaks().iter().zip(&slow) {
            assert!(
                (a.two_theta - t).abs() < 1e-9,
                "seed {seed}: {} vs {t}",
                a.two_theta
            );
            assert!(
                (a.intensity - i).abs() <= rel * i.abs().max(1e-300),
                "seed {seed} at {t}°: {} vs {i}",
                a.intensity
            );
        }
    }
}

#[test]
fn fast_path_equals_direct_sum_triclinic() {
    for seed in 0..3 {
        compare(seed, 7, 5.5, 1.5406, (5.0, 120.0), Anomalous::Off, REL_TOL);
    }
}

#[test]
fn fast_path_equals_direct_sum_with_anomalous_dispersion() {
    // f″ ≠ 0 breaks Friedel's law for a non-centrosymmetric cell: both mates are summed.
    let custom = Anomalous::Custom(vec![
        (Element::from_symbol("Fe").unwrap(), -1.2, 3.2),
        (Element::from_symbol("Sm").unwrap(), -6.1, 4.9),
    ]);
    compare(11, 6, 5.5, 1.5406, (10.0, 110.0), custom, REL_TOL);
    compare(
        12,
        5,
        5.5,
        1.5406,
        (10.0, 110.0),
        Anomalous::Tabulated,
        REL_TOL,
    );
}

#[test]
fn fast_path_equals_direct_sum_with_tabulated_form_factors() {
    // Short wavelength: enough reflections for the f₀ interpolation tables to be used.
    let (lambda, tt_max) = (0.35, 60.0);
    let v = random_structure(21, 5, 14.0).lattice().volume();
    let gmax = 2.0 * (tt_max / 2.0f64).to_radians().sin() / lambda;
    // The simulator tabulates f₀ when 4π/3 g³ V > 2 s_max / 1e-4: make sure this case does.
    assert!(4.0 / 3.0 * std::f64::consts::PI * gmax.powi(3) * v > 2.0 * (gmax / 2.0) / 1e-4);
    compare(
        21,
        5,
        14.0,
        lambda,
        (2.0, tt_max),
        Anomalous::Off,
        TABLE_REL_TOL,
    );
}

#[test]
fn kalpha2_and_monochromator() {
    let s = random_structure(5, 4, 5.5);
    let base = PowderParams::new().two_theta_range(20.0, 100.0);
    let sim = Simulator::new(base.clone().radiation(Wavelength::CU_KA)).unwrap();
    let peaks = sim.peaks(&s).unwrap();
    let grid = Grid::new(20.0, 0.002, 40_001).unwrap();
    let y1 = Simulator::new(base.clone())
        .unwrap()
        .render(&peaks, &grid, &Profile::gaussian(0.01))
        .unwrap();
    let y2 = sim.render(&peaks, &grid, &Profile::gaussian(0.01)).unwrap();
    let area = |y: &[f64]| y.iter().sum::<f64>() * grid.step();
    // Kα₂ adds about half the Kα₁ area (its LP differs slightly).
    let ratio = (area(&y2) - area(&y1)) / area(&y1);
    assert!((ratio - 0.5).abs() < 0.02, "{ratio}");
    // The Kα₂ maximum of the strongest peak sits where Bragg's law puts it.
    let strongest = peaks
        .peaks()
        .iter()
        .max_by(|a, b| a.intensity.total_cmp(&b.intensity))
        .unwrap();
    let t2 = 2.0
        * (Wavelength::CU_KA2.angstrom() / (2.0 * strongest.d_spacing))
            .asin()
            .to_degrees();
    let i2 = grid.nearest_index(t2).unwrap();
    assert!(y2[i2] - y1[i2] > 0.4 * y1[grid.nearest_index(strongest.two_theta).unwrap()]);
    // A monochromator lowers the polarisation term: (1 + cos²2θm cos²2θ) < (1 + cos²2θ).
    let m = base.clone().monochromator(Some(26.6));
    let theta = 0.4f64;
    let c2 = (2.0 * theta).cos().powi(2);
    let want =
        (1.0 + 26.6f64.to_radians().cos().powi(2) * c2) / (theta.sin().powi(2) * theta.cos());
    assert!((m.lorentz_polarisation(theta) - want).abs() < 1e-12);
}

#[test]
fn oversized_and_empty_problems_are_errors() {
    let fe = Species::parse("Fe").unwrap();
    let huge = Lattice::from_parameters(2000.0, 2000.0, 2000.0, 90.0, 90.0, 90.0).unwrap();
    let s = Structure::new(huge, vec![Site::new(fe, [0.0; 3])]).unwrap();
    let sim = Simulator::new(PowderParams::new()).unwrap();
    let err = sim.peaks(&s).unwrap_err().to_string();
    assert!(err.contains("reflections"), "{err}");
    let small = Lattice::from_parameters(3.0, 3.0, 3.0, 90.0, 90.0, 90.0).unwrap();
    assert!(matches!(
        sim.peaks(&Structure::new(small, vec![]).unwrap()),
        Err(xrd_sim::Error::NoReflections(..))
    ));
    // A range below the first reflection.
    let one = Structure::new(small, vec![Site::new(fe, [0.0; 3])]).unwrap();
    let low = Simulator::new(PowderParams::new().two_theta_range(0.0, 5.0)).unwrap();
    assert!(matches!(
        low.peaks(&one),
        Err(xrd_sim::Error::NoReflections(..))
    ));
}
