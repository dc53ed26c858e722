//! Simulated NaCl through a network blind around its (2 0 0) reflection: peak-level relevance finds
//! the strongest peak strong but irrelevant and labels it with xrd-sim's Miller indices.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use ndarray::{Array1, Array2};
use xrd_ae::{Activation, Dense, Network};
use xrd_io::Grid;
use xrd_relevance::{PeakRelevanceParams, Relevance, peak_relevance};
use xrd_sim::{PowderParams, Profile, Simulator, Structure};

const NACL: &str = "data_NaCl
_cell_length_a 5.64
_cell_length_b 5.64
_cell_length_c 5.64
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_symmetry_equiv_pos_as_xyz
'x,y,z' 'x,y+1/2,z+1/2' 'x+1/2,y,z+1/2' 'x+1/2,y+1/2,z'
loop_
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Na1+ 0 0 0
Cl1- 0.5 0.5 0.5
";

#[test]
fn nacl_200_is_strong_but_irrelevant_to_a_network_blind_to_it() {
    let grid = Grid::new(20.0, 0.02, 2_000).unwrap(); // 20–60°
    let nacl = Structure::from_cif(NACL).unwrap();
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(xrd_io::Wavelength::synchrotron(1.5406))
            .two_theta_range(20.0, 60.0),
    )
    .unwrap();
    let peaks = sim.peaks(&nacl).unwrap().scaled(100.0);
    let y = sim.render(&peaks, &grid, &Profile::gaussian(0.08)).unwrap();
    let y = Array1::from_vec(y.to_vec());
    let x = &y / y.fold(0.0f64, |m, &v| m.max(v));
    let strongest = peaks
        .peaks()
        .iter()
        .max_by(|a, b| a.intensity.total_cmp(&b.intensity))
        .unwrap();
    assert_eq!(strongest.hkl, [2.0, 0.0, 0.0]);

    // First layer blind within ±0.5° of (2 0 0); 2000 → 4 → 2.
    let w1 = Array2::from_shape_fn((4, 2_000), |(r, j)| {
        let t = grid.x(j);
        if (t - strongest.two_theta).abs() < 0.5 {
            0.0
        } else {
            0.002 * (1.0 + ((r * 7 + j) % 5) as f64)
        }
    });
    let w2 = Array2::from_shape_fn((2, 4), |(r, c)| if r == c % 2 { 1.0 } else { -0.5 });
    let net = Network::new(vec![
        Dense::new(w1, Array1::zeros(4), Activation::Relu).unwrap(),
        Dense::new(w2, Array1::zeros(2), Activation::Tanh).unwrap(),
    ])
    .unwrap();

    let rel = Relevance::params()
        .width(xrd_relevance::Span::Points(2))
        .build(&grid)
        .unwrap();
    let profile = rel.profile_exact(&net, x.view()).unwrap();
    let report = peak_relevance(
        &profile,
        x.view(),
        Some(peaks.peaks()),
        &PeakRelevanceParams::default(),
    )
    .unwrap();
    assert!(report.peaks.len() >= 3, "{} peaks", report.peaks.len());
    let flagged = report.strong_but_irrelevant();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].hkl.first(), Some(&[2.0, 0.0, 0.0]));
    assert_eq!(flagged[0].intensity_rank, 1);
    assert_eq!(flagged[0].relevance, 0.0);
    // Every other peak is relevant and labelled.
    for p in report.peaks.iter().filter(|p| !p.strong_but_irrelevant) {
        assert!(p.relevance > 0.0 && !p.hkl.is_empty(), "{p:?}");
    }
}
