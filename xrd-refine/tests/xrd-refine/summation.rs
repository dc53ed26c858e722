//! Full-pattern summation on synthetic mixtures of RockJock's measured references (shifted by
//! a natural cubic spline, not by the fit's own interpolation, with a background and counting
//! noise): every weight fraction within 1 wt% point, absent references at most 0.5.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_io::Pattern;
use xrd_refine::{Error, Reference, ReferenceLibrary, Summation, SummationParams};

/// Distinct minerals a mixture draws from (clays, framework silicates, carbonates, oxides).
const MINERALS: [&str; 14] = [
    "QUARTZ",
    "ORDERED_MICROCLINE",
    "ALBITE_CLEAVELANDITE",
    "CALCITE",
    "DOLOMITE",
    "KAOLINITE_DRY_BRANCH",
    "ILLITE_1MD",
    "MONTMORILLONITE_WYO",
    "CHLORITE_CCA_2",
    "GYPSUM",
    "HEMATITE",
    "GOETHITE",
    "MUSCOVITE_2M1",
    "PYRITE",
];

fn library() -> Option<ReferenceLibrary> {
    let path = xrd_testdata::shared_data("references/rockjock/rockjock_library_all168.csv.gz")?;
    Some(ReferenceLibrary::read(path).unwrap())
}

/// The natural cubic spline through a reference's counts, evaluated at `x`.
fn spline(r: &Reference, xs: &[f64]) -> Vec<f64> {
    let y = &r.counts;
    let n = y.len();
    // Second derivatives (uniform step) by the tridiagonal recurrence, natural ends.
    let mut m = vec![0.0; n];
    let mut c = vec![0.0; n];
    let mut d = vec![0.0; n];
    for i in 1..n - 1 {
        let rhs = 6.0 * (y[i + 1] - 2.0 * y[i] + y[i - 1]);
        let denom = 4.0 - c[i - 1];
        c[i] = 1.0 / denom;
        d[i] = (rhs - d[i - 1]) / denom;
    }
    for i in (1..n - 1).rev() {
        m[i] = d[i] - c[i] * m[i + 1];
    }
    xs.iter()
        .map(|&x| {
            let t = ((x - r.start) / r.step).clamp(0.0, (n - 1) as f64 - 1e-9);
            let i = t.floor() as usize;
            let u = t - i as f64;
            let a = 1.0 - u;
            a * y[i] + u * y[i + 1] + ((a * a * a - a) * m[i] + (u * u * u - u) * m[i + 1]) / 6.0
        })
        .collect()
}

/// A standard normal deviate (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A mixture of `(reference, weight fraction, shift)`: scales ∝ fraction · RIR, on a grid
/// offset from the references', with a smooth background and counting noise.
fn mixture(parts: &[(&Reference, f64, f64)], rng: &mut impl Rng) -> Pattern {
    let xs: Vec<f64> = (0..2900).map(|i| 5.51 + 0.02 * i as f64).collect();
    let norm: f64 = parts.iter().map(|(r, w, _)| w * r.rir).sum();
    let mut y: Vec<f64> = xs
        .iter()
        .map(|x| 40.0 + 120.0 * (-x / 12.0).exp())
        .collect();
    for (r, w, shift) in parts {
        let at: Vec<f64> = xs.iter().map(|x| x - shift).collect();
        for (o, v) in y.iter_mut().zip(spline(r, &at)) {
            *o += w * r.rir / norm * v;
        }
    }
    for v in &mut y {
        *v = (*v + v.max(1.0).sqrt() * normal(rng)).max(0.0).round();
    }
    Pattern::new(xs, y).unwrap()
}

#[test]
fn synthetic_mixtures_of_references_are_recovered() {
    let Some(lib) = library() else { return };
    let corundum = lib.get("CORUNDUM").unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(56);
    let mut worst: f64 = 0.0;
    let mut worst_absent: f64 = 0.0;
    for trial in 0..4 {
        // 3–6 minerals beside 20 wt% corundum, one of them listed but absent.
        let k = 3 + trial % 4;
        let mut pool: Vec<&str> = MINERALS.to_vec();
        let mut picks = Vec::new();
        for _ in 0..k {
            picks.push(pool.swap_remove(rng.random_range(0..pool.len())));
        }
        let raw: Vec<f64> = (0..k - 1).map(|_| rng.random_range(0.05..0.6)).collect();
        let total: f64 = raw.iter().sum();
        let mut fractions: Vec<f64> = raw.iter().map(|w| 0.8 * w / total).collect();
        fractions.push(0.0);
        let sample_shift = rng.random_range(-0.15..0.15);
        let mut parts = vec![(corundum, 0.2, sample_shift)];
        for (id, &w) in picks.iter().zip(&fractions) {
            let shift = sample_shift + rng.random_range(-0.05..0.05);
            parts.push((lib.get(id).unwrap(), w, shift));
        }
        let pattern = mixture(&parts, &mut rng);
        let refs: Vec<Reference> = parts.iter().map(|(r, _, _)| (*r).clone()).collect();
        let q = Summation::new(refs).standard(0, 0.2).fit(&pattern).unwrap();
        for ((r, w, _), got) in parts.iter().zip(&q.references) {
            let err = (got.weight_fraction - w).abs();
            if *w == 0.0 {
                worst_absent = worst_absent.max(got.weight_fraction);
                assert!(got.detection_limit > 0.0, "{}", r.id);
            } else {
                worst = worst.max(err);
            }
            assert!(
                err < 0.01,
                "trial {trial}: {} {:.4} weighed {w:.4} (esd {:.4}, shift {:.3})",
                r.id,
                got.weight_fraction,
                got.weight_fraction_esd,
                got.shift
            );
        }
        let amorphous = q.amorphous.unwrap();
        assert!(
            amorphous.abs() < 0.02,
            "trial {trial}: amorphous {amorphous}"
        );
    }
    assert!(worst_absent <= 0.005, "absent {worst_absent}");
    eprintln!("worst error {worst:.4}, worst absent {worst_absent:.4}");
}

#[test]
fn per_reference_shifts_beat_one_shift_when_references_sit_apart() {
    let Some(lib) = library() else { return };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let parts = [
        (lib.get("CORUNDUM").unwrap(), 0.2, 0.05),
        (lib.get("QUARTZ").unwrap(), 0.3, -0.08),
        (lib.get("CALCITE").unwrap(), 0.2, 0.12),
        (lib.get("KAOLINITE_DRY_BRANCH").unwrap(), 0.3, 0.0),
    ];
    let pattern = mixture(&parts, &mut rng);
    let refs: Vec<Reference> = parts.iter().map(|(r, _, _)| (*r).clone()).collect();
    let each = Summation::new(refs.clone()).fit(&pattern).unwrap();
    let one = Summation::new(refs)
        .params(SummationParams::new().alignment(xrd_refine::Alignment::Sample))
        .fit(&pattern)
        .unwrap();
    assert!(each.rwp < 0.8 * one.rwp, "{} vs {}", each.rwp, one.rwp);
    for ((_, _, shift), got) in parts.iter().zip(&each.references) {
        assert!(
            (got.shift - shift).abs() < 0.005,
            "{} {} vs {shift}",
            got.id,
            got.shift
        );
    }
}

#[test]
fn bad_summations_are_errors() {
    let r = |id: &str, name: &str, rir: f64| Reference {
        id: id.into(),
        name: name.into(),
        rir,
        start: 10.0,
        step: 0.02,
        counts: (0..500).map(|i| 10.0 + (i % 7) as f64).collect(),
    };
    let pattern = Pattern::uniform(12.0, 0.02, vec![20.0; 300]).unwrap();
    let invalid = |s: Summation| matches!(s.fit(&pattern), Err(Error::InvalidParameter(_)));
    assert!(invalid(Summation::new(vec![])));
    assert!(invalid(Summation::new(vec![r("B", "Background", 1e4)])));
    assert!(invalid(Summation::new(vec![r("A", "a", -1.0)])));
    assert!(invalid(
        Summation::new(vec![r("A", "a", 1.0)]).standard(1, 0.2)
    ));
    assert!(invalid(
        Summation::new(vec![r("A", "a", 1.0)]).standard(0, 1.2)
    ));
    assert!(invalid(
        Summation::new(vec![r("A", "a", 1.0), r("B", "Background", 1e4)]).standard(1, 0.2)
    ));
    let narrow = Pattern::uniform(40.0, 0.02, vec![20.0; 30]).unwrap();
    assert!(matches!(
        Summation::new(vec![r("A", "a", 1.0)]).fit(&narrow),
        Err(Error::Pattern(_))
    ));
}

#[test]
fn summation_params_name_each_invalid_value() {
    let name = |p: SummationParams| match p.check() {
        Err(Error::InvalidParameter(e)) => e.name.to_string(),
        other => panic!("accepted: {other:?}"),
    };
    assert_eq!(
        name(SummationParams::new().background_terms(21)),
        "background_terms"
    );
    assert_eq!(name(SummationParams::new().max_shift(0.0)), "max_shift");
    assert_eq!(
        name(SummationParams::new().max_shift(f64::NAN)),
        "max_shift"
    );
    assert_eq!(
        name(SummationParams::new().max_iterations(0)),
        "max_iterations"
    );
    assert_eq!(
        name(SummationParams::new().two_theta_range(Some((5.0, 4.0)))),
        "two_theta_range"
    );
    assert_eq!(
        name(SummationParams::new().detection_sigmas(0.0)),
        "detection_sigmas"
    );
    assert_eq!(
        name(SummationParams::new().excluded(vec![(40.0, 40.0)])),
        "excluded"
    );
}

#[test]
fn rockjock_library_reads_with_its_rirs() {
    let Some(lib) = library() else { return };
    assert_eq!(lib.len(), 168);
    let q = lib.get("QUARTZ").unwrap();
    assert!((q.rir - 3.540439254).abs() < 1e-9 && q.counts.len() == 3001);
    assert!((q.start - 5.0).abs() < 1e-12 && (q.end() - 65.0).abs() < 1e-9);
    assert!(lib.get("BACK_POS").unwrap().is_background());
}

#[test]
fn structures_and_references_in_one_fit() {
    let (Some(lib), Some(sapphire)) = (library(), crate::cif_phase("Sapphire.cif")) else {
        return;
    };
    let corundum = lib.get("CORUNDUM").unwrap();
    let w = xrd_io::Wavelength::CU_KA;
    // The bridge: corundum's structure refined on the library's corundum pattern.
    let k = xrd_refine::rir_scale(
        sapphire.clone(),
        corundum,
        w,
        &xrd_refine::Instrument::default(),
    )
    .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let parts = [
        (corundum, 0.2, 0.03),
        (lib.get("QUARTZ").unwrap(), 0.25, 0.01),
        (lib.get("KAOLINITE_DRY_BRANCH").unwrap(), 0.35, 0.05),
        (lib.get("CALCITE").unwrap(), 0.2, 0.02),
    ];
    let pattern = mixture(&parts, &mut rng);
    // Corundum as a structure (the internal standard), the others as measured references.
    let refs: Vec<Reference> = parts[1..].iter().map(|(r, _, _)| (*r).clone()).collect();
    let fit = xrd_refine::Refiner::new(vec![sapphire])
        .references(xrd_refine::MeasuredReferences {
            references: refs,
            rir_scale: k,
            max_shift: 0.3,
        })
        .standard(0, 0.2)
        .fit(&pattern, w)
        .unwrap();
    assert_eq!(fit.references.len(), 3);
    for ((r, weighed, _), got) in parts[1..].iter().zip(&fit.references) {
        eprintln!(
            "{} {:.4} weighed {weighed} (esd {:.4})",
            r.id, got.weight_fraction, got.weight_fraction_esd
        );
        // Measured: 0.5, 1.0 and 0.2 points off.
        assert!(
            (got.weight_fraction - weighed).abs() < 0.015,
            "{} {}",
            r.id,
            got.weight_fraction
        );
    }
    eprintln!("amorphous {:?}, Rwp {:.4}", fit.amorphous, fit.rwp);
}

#[test]
fn esds_match_the_scatter_over_noise() {
    let Some(lib) = library() else { return };
    let parts = [
        (lib.get("CORUNDUM").unwrap(), 0.2, 0.02),
        (lib.get("QUARTZ").unwrap(), 0.3, 0.0),
        (lib.get("KAOLINITE_DRY_BRANCH").unwrap(), 0.3, 0.03),
        (lib.get("CALCITE").unwrap(), 0.2, 0.01),
    ];
    let refs: Vec<Reference> = parts.iter().map(|(r, _, _)| (*r).clone()).collect();
    // The same mixture under 24 draws of counting noise; the standard makes quartz's fraction
    // depend on corundum's scale too.
    let (mut got, mut esd) = (Vec::new(), Vec::new());
    for seed in 0..24 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1000 + seed);
        let q = Summation::new(refs.clone())
            .standard(0, 0.2)
            .fit(&mixture(&parts, &mut rng))
            .unwrap();
        got.push(q.references[1].weight_fraction);
        esd.push(q.references[1].weight_fraction_esd);
    }
    let n = got.len() as f64;
    let mean = got.iter().sum::<f64>() / n;
    let scatter = (got.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let reported = esd.iter().sum::<f64>() / n;
    eprintln!("quartz: scatter {scatter:.5}, mean esd {reported:.5}");
    // The esds carry Bérar–Lelann's factor for correlated residuals, so they may exceed the
    // scatter of independent noise; they must not fall short of it.
    assert!(
        reported > 0.8 * scatter && reported < 3.0 * scatter,
        "{scatter} vs {reported}"
    );
}

#[test]
fn a_folder_of_pattern_files_with_a_rir_table_is_a_library() {
    let dir = tempfile::tempdir().unwrap();
    let xy = |c: f64| -> String {
        (0..400)
            .map(|i| {
                let x = 10.0 + 0.05 * i as f64;
                format!(
                    "{x:.2} {:.1}\n",
                    20.0 + 500.0 * (-((x - c) / 0.1).powi(2)).exp()
                )
            })
            .collect()
    };
    std::fs::write(dir.path().join("alpha.xy"), xy(20.0)).unwrap();
    std::fs::write(dir.path().join("beta.xy"), xy(25.0)).unwrap();
    std::fs::write(
        dir.path().join("phases.csv"),
        "phase_id,phase_name,rir\nALPHA,Alpha,2.0\nbeta,Beta,0.5\n",
    )
    .unwrap();
    let lib = ReferenceLibrary::read(dir.path()).unwrap();
    assert_eq!(lib.len(), 2);
    assert!((lib.get("alpha").unwrap().rir - 2.0).abs() < 1e-12);
    assert_eq!(lib.get("BETA").unwrap().name, "Beta");
    assert_eq!(lib.get("beta").unwrap().counts.len(), 400);
    // A file without a row is named.
    std::fs::write(dir.path().join("gamma.xy"), xy(30.0)).unwrap();
    assert!(matches!(
        ReferenceLibrary::read(dir.path()),
        Err(Error::InvalidParameter(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        ReferenceLibrary::read(empty.path()),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn a_trace_below_detection_beside_a_background_reference_is_reported() {
    let Some(lib) = library() else { return };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let (quartz, back) = (lib.get("QUARTZ").unwrap(), lib.get("BACK_POS").unwrap());
    // Background counts and a hint of quartz well under its detection limit.
    let pattern = mixture(&[(back, 1.0, 0.0), (quartz, 1e-7, 0.0)], &mut rng);
    let q = Summation::new(vec![quartz.clone(), back.clone()])
        .fit(&pattern)
        .unwrap();
    assert!(q.references[0].detection_limit > 0.0);
    assert!(q.references[1].background);
}
