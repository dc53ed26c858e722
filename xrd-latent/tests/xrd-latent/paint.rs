//! Painting, coverage masks and contours.

// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used)]

use approx::assert_relative_eq;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_latent::{Error, PaintGrid, RefusalPolicy, TriangleEstimator};

fn cloud(seed: u64, n: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pts = Array2::from_shape_fn((n, 2), |_| rng.random::<f64>());
    let vals = Array2::from_shape_fn((n, 2), |(i, j)| {
        let (x, y) = (pts[[i, 0]] - 0.5, pts[[i, 1]] - 0.5);
        if j == 0 { x } else { x * x + y * y }
    });
    (pts, vals)
}

#[test]
fn paint_matches_pointwise_estimates() {
    let (pts, vals) = cloud(1, 70);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let grid = PaintGrid::new([-0.2, 1.2], [-0.1, 1.1], 23, 17).unwrap();
    let map = est.paint(&grid).unwrap();
    assert_eq!(map.values.dim(), (17, 23, 2));
    assert_eq!(map.covered.dim(), (17, 23));
    assert_eq!((map.x[0], map.x[22], map.y[16]), (-0.2, 1.2, 1.1));
    let mut covered = 0;
    for j in 0..17 {
        for i in 0..23 {
            let e = est.estimate([map.x[i], map.y[j]]);
            assert_eq!(map.values[[j, i, 0]], e.value[0]);
            assert_eq!(map.values[[j, i, 1]], e.value[1]);
            assert_eq!(map.covered[[j, i]], e.kind.is_inside());
            assert_eq!(map.distance[[j, i]], e.distance);
            covered += usize::from(e.kind.is_inside());
        }
    }
    assert!(covered > 100 && covered < 17 * 23, "{covered}");
    assert_relative_eq!(map.coverage(), covered as f64 / (17.0 * 23.0));
    // The corners lie outside the data.
    assert!(!map.covered[[0, 0]] && !map.covered[[16, 22]]);
    let strict = map.accepted(&RefusalPolicy::new(0.02));
    assert!(strict.iter().filter(|&&a| a).count() < covered);
    let lenient = map.accepted(&RefusalPolicy {
        max_distance: f64::INFINITY,
        refuse_outside: false,
        ..RefusalPolicy::default()
    });
    assert!(lenient.iter().all(|&a| a));
}

#[test]
fn segmented_paint_equals_estimate_bit_for_bit() {
    // Lattice points (many distance ties) plus a random cloud, several k, many segments.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let mut rows: Vec<[f64; 2]> = (0..49)
        .map(|k| [(k % 7) as f64 / 6.0, (k / 7) as f64 / 6.0])
        .collect();
    rows.extend((0..60).map(|_| [rng.random_range(-0.5..1.5), rng.random_range(-0.5..1.5)]));
    let pts = Array2::from_shape_fn((rows.len(), 2), |(i, d)| rows[i][d]);
    let vals = Array2::from_shape_fn((rows.len(), 1), |(i, _)| {
        (5.0 * pts[[i, 0]]).sin() + pts[[i, 1]]
    });
    for k in [3, 7, 16, 32] {
        let est = TriangleEstimator::params()
            .neighbours(k)
            .fit(pts.view(), vals.view())
            .unwrap();
        let map = est
            .paint(&PaintGrid::new([-1.0, 2.0], [-0.5, 1.5], 181, 13).unwrap())
            .unwrap();
        for j in 0..13 {
            for i in 0..181 {
                let e = est.estimate([map.x[i], map.y[j]]);
                assert_eq!(map.values[[j, i, 0]], e.value[0], "k {k} at {i}, {j}");
                assert_eq!(map.covered[[j, i]], e.kind.is_inside());
            }
        }
    }
}

#[test]
fn paint_in_f32() {
    let (pts, vals) = cloud(2, 40);
    let est = TriangleEstimator::params()
        .fit(
            pts.mapv(|x| x as f32).view(),
            vals.mapv(|x| x as f32).view(),
        )
        .unwrap();
    let map = est
        .paint(&PaintGrid::new([0.0, 1.0], [0.0, 1.0], 8, 1).unwrap())
        .unwrap();
    assert_eq!(map.values.dim(), (1, 8, 2));
    assert!(map.values.iter().all(|v| v.is_finite()));
}

#[test]
fn contour_of_an_affine_component_is_a_straight_line() {
    let (pts, vals) = cloud(3, 150);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let grid = PaintGrid::new([0.0, 1.0], [0.0, 1.0], 41, 41).unwrap();
    let lines = est.contour(0, 0.013, &grid).unwrap();
    assert!(!lines.is_empty());
    let points: usize = lines.iter().map(Vec::len).sum();
    assert!(points > 20, "{points}");
    for line in &lines {
        for p in line {
            // Component 0 is x − 0.5, exact inside: the level set is x = 0.513.
            assert_relative_eq!(p[0], 0.513, epsilon = 1e-9);
        }
    }
}

#[test]
fn contour_of_a_bowl_is_a_closed_loop_near_the_circle() {
    // A full lattice: every interior grid point is covered, so the level set is one loop.
    let side = 21;
    let pts = Array2::from_shape_fn((side * side, 2), |(k, d)| {
        let (i, j) = (k % side, k / side);
        (if d == 0 { i } else { j }) as f64 / (side - 1) as f64
    });
    let vals = Array2::from_shape_fn((side * side, 1), |(k, _)| {
        (pts[[k, 0]] - 0.5).powi(2) + (pts[[k, 1]] - 0.5).powi(2)
    });
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let map = est
        .paint(&PaintGrid::new([0.0, 1.0], [0.0, 1.0], 61, 61).unwrap())
        .unwrap();
    assert!(map.covered.iter().all(|&c| c));
    let r = 0.3;
    let lines = map.contour(0, r * r).unwrap();
    assert_eq!(lines.len(), 1);
    let ring = &lines[0];
    assert!(ring.len() > 60, "{}", ring.len());
    assert_eq!(ring.first(), ring.last(), "closed");
    for p in ring {
        let d = ((p[0] - 0.5).powi(2) + (p[1] - 0.5).powi(2)).sqrt();
        assert!((d - r).abs() < 0.01, "{p:?} at radius {d}");
    }
}

#[test]
fn contours_skip_uncovered_cells() {
    let (pts, vals) = cloud(4, 400);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let map = est
        .paint(&PaintGrid::new([-0.5, 1.5], [-0.5, 1.5], 41, 41).unwrap())
        .unwrap();
    let lines = map.contour(1, 0.3).unwrap();
    let total: usize = lines.iter().map(Vec::len).sum();
    assert!(total > 20);
    // Every vertex lies on a cell edge whose two ends are covered.
    let step = 2.0 / 40.0;
    for p in lines.iter().flatten() {
        let (fi, fj) = ((p[0] + 0.5) / step, (p[1] + 0.5) / step);
        let (i, j) = (fi.floor() as usize, fj.floor() as usize);
        assert!(map.covered[[j, i]], "{p:?}");
    }
}

#[test]
fn contour_errors() {
    let (pts, vals) = cloud(5, 30);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let grid = PaintGrid::new([0.0, 1.0], [0.0, 1.0], 5, 5).unwrap();
    assert!(matches!(
        est.contour(2, 0.0, &grid),
        Err(Error::ComponentOutOfRange {
            component: 2,
            available: 2
        })
    ));
    assert!(matches!(
        est.contour(0, f64::NAN, &grid),
        Err(Error::NonFinite(_))
    ));
    let bad = PaintGrid { nx: 0, ..grid };
    assert!(matches!(
        est.paint(&bad),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "nx",
            ..
        }))
    ));
}

/// The naive painter: today's rule, one independent [`TriangleEstimator::estimate`] per pixel.
/// Painting must give exactly these answers however it shares work between pixels.
fn naive_paint<F: xrd_core::Float>(
    est: &TriangleEstimator<F>,
    grid: &PaintGrid,
) -> (Vec<Vec<F>>, Vec<bool>, Vec<F>) {
    let (mut values, mut covered, mut distance) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let e = est.estimate([F::of(grid.x(i)), F::of(grid.y(j))]);
            values.push(e.value);
            covered.push(e.kind.is_inside());
            distance.push(e.distance);
        }
    }
    (values, covered, distance)
}

/// Bitwise equality (NaN equals NaN, −0 differs from +0); widening to f64 is exact.
fn same_bits<F: xrd_core::Float>(a: F, b: F) -> bool {
    a.as_f64().to_bits() == b.as_f64().to_bits()
}

/// The grid of `nx × ny` pixels around the points `pts` (n × 2), `margin` of their extent
/// beyond them.
fn grid_around(pts: &Array2<f64>, margin: f64, nx: usize, ny: usize) -> PaintGrid {
    let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
    PaintGrid::around(&p, margin, nx, ny).unwrap()
}

/// Paints `grid` and checks every pixel against [`naive_paint`], bit for bit.
fn assert_paint_is_naive<F: xrd_core::Float>(
    est: &TriangleEstimator<F>,
    grid: &PaintGrid,
    what: &str,
) {
    let map = est.paint(grid).unwrap();
    let (values, covered, distance) = naive_paint(est, grid);
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let k = j * grid.nx + i;
            let got: Vec<F> = map.values.slice(ndarray::s![j, i, ..]).to_vec();
            let same = got.iter().zip(&values[k]).all(|(a, b)| same_bits(*a, *b));
            assert!(
                same,
                "{what}: values at column {i}, row {j}: {got:?} vs {:?}",
                values[k]
            );
            assert_eq!(
                map.covered[[j, i]],
                covered[k],
                "{what}: coverage at {i}, {j}"
            );
            assert!(
                same_bits(map.distance[[j, i]], distance[k]),
                "{what}: distance at {i}, {j}"
            );
        }
    }
}

/// Random clouds of several shapes: uniform, clustered with duplicates, on a lattice (distance
/// ties), and nearly collinear.
fn random_cloud(seed: u64, shape: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = rng.random_range(5..220);
    let rows: Vec<[f64; 2]> = (0..n)
        .map(|i| match shape {
            0 => [rng.random::<f64>(), rng.random::<f64>()],
            1 => {
                let c = (i % 4) as f64;
                if i % 9 == 0 {
                    [0.3, 0.3]
                } else {
                    [
                        c + 0.1 * rng.random::<f64>(),
                        c * c * 0.1 + 0.1 * rng.random::<f64>(),
                    ]
                }
            }
            2 => [
                rng.random_range(0..8) as f64 / 7.0,
                rng.random_range(0..8) as f64 / 7.0,
            ],
            _ => {
                let t = rng.random::<f64>();
                [t, 0.5 * t + 1e-3 * rng.random::<f64>()]
            }
        })
        .collect();
    Array2::from_shape_fn((n, 2), |(i, d)| rows[i][d])
}

#[test]
fn iopaint_paint_equals_the_naive_painter_on_random_clouds() {
    use xrd_latent::OutsideRule;
    for seed in 0..12u64 {
        let shape = (seed % 4) as usize;
        let pts = random_cloud(seed, shape);
        let vals = Array2::from_shape_fn((pts.nrows(), 2), |(i, j)| {
            let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
            if j == 0 { (4.0 * x).sin() + y } else { x * y }
        });
        let k = [3, 5, 16, 32][(seed / 4) as usize % 4];
        let rule = if seed % 3 == 0 {
            OutsideRule::Extrapolate
        } else {
            OutsideRule::Nearest
        };
        let Ok(est) = TriangleEstimator::params()
            .neighbours(k)
            .outside(rule)
            .fit(pts.view(), vals.view())
        else {
            continue; // fewer than three distinct points
        };
        let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
        let what = format!("seed {seed}, shape {shape}, k {k}, {rule:?}");
        for (nx, ny, margin) in [(97, 31, 0.2), (1, 9, 0.1), (45, 1, 0.0), (200, 3, 1.5)] {
            let grid = PaintGrid::around(&p, margin, nx, ny).unwrap();
            assert_paint_is_naive(&est, &grid, &what);
        }
        // A grid far from every point, and a single pixel.
        let far = PaintGrid::new([50.0, 60.0], [-40.0, -39.0], 33, 4).unwrap();
        assert_paint_is_naive(&est, &far, &what);
        let one = PaintGrid::new([0.5, 0.5], [0.5, 0.5], 1, 1).unwrap();
        assert_paint_is_naive(&est, &one, &what);
        // f32 points and values.
        let est32 = TriangleEstimator::params().neighbours(k).outside(rule).fit(
            pts.mapv(|v| v as f32).view(),
            vals.mapv(|v| v as f32).view(),
        );
        if let Ok(est32) = est32 {
            let grid = PaintGrid::around(&p, 0.1, 64, 17).unwrap();
            assert_paint_is_naive(&est32, &grid, &format!("{what}, f32"));
        }
    }
}

#[test]
fn iopaint_paint_is_identical_across_thread_counts() {
    let (pts, vals) = cloud(9, 150);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let grid = PaintGrid::new([-0.1, 1.1], [-0.1, 1.1], 131, 77).unwrap();
    let paint_with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| est.paint(&grid).unwrap())
    };
    let one = paint_with(1);
    for threads in [2, 3, 8] {
        let many = paint_with(threads);
        let bits = |m: &xrd_latent::Painted<f64>| -> Vec<u64> {
            m.values
                .iter()
                .chain(&m.distance)
                .map(|v| v.to_bits())
                .collect()
        };
        assert_eq!(bits(&one), bits(&many), "{threads} threads");
        assert_eq!(one.covered, many.covered);
    }
}

/// Default parameters (k = 16, nearest point outside) on fine grids, where most pixels are
/// settled by the tiles' triangle proofs and remembered searches rather than by `decide`.
#[test]
fn iopaint_fine_grids_equal_the_naive_painter() {
    for seed in 20..26u64 {
        let pts = random_cloud(seed, (seed % 4) as usize);
        let vals = Array2::from_shape_fn((pts.nrows(), 2), |(i, j)| {
            let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
            if j == 0 {
                (3.0 * x).sin() * (2.0 * y).cos()
            } else {
                x * x + 0.5 * y
            }
        });
        let Ok(est) = TriangleEstimator::params().fit(pts.view(), vals.view()) else {
            continue;
        };
        let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
        let what = format!("seed {seed}, fine grid");
        let grid = PaintGrid::around(&p, 0.3, 230, 70).unwrap();
        assert_paint_is_naive(&est, &grid, &what);
        let est32 = TriangleEstimator::params().fit(
            pts.mapv(|v| v as f32).view(),
            vals.mapv(|v| v as f32).view(),
        );
        if let Ok(est32) = est32 {
            assert_paint_is_naive(&est32, &grid, &format!("{what}, f32"));
        }
    }
}

/// Known points on an integer lattice and pixels on a quarter-step grid: many pixels lie
/// exactly on a bisector of two known points, on a triangle's edge or on a tie of the
/// labelling, where the painter's cells must leave the answer to the rule itself.
#[test]
fn iopaint_lattice_ties_equal_the_naive_painter() {
    // Spacing 3: exact ties, but barycentric coordinates that round (thirds).
    let side = 7;
    let pts = Array2::from_shape_fn((side * side, 2), |(i, d)| {
        3.0 * if d == 0 {
            (i % side) as f64
        } else {
            (i / side) as f64
        }
    });
    // A column of −0.0: the sign of a zero shows whether a known point got the rule's own
    // answer (`1·Q + 0·Q + 0·Q`) or a cell's (whose zero weights may be −0).
    let vals = Array2::from_shape_fn((side * side, 3), |(i, j)| {
        let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
        match j {
            0 => (0.7 * x).sin() + 0.3 * y,
            1 => x * y - y,
            _ => -0.0,
        }
    });
    for k in [3, 5, 16] {
        let est = TriangleEstimator::params()
            .neighbours(k)
            .fit(pts.view(), vals.view())
            .unwrap();
        let grid = PaintGrid::new([-4.5, 22.5], [-3.0, 21.0], 109, 97).unwrap();
        assert_paint_is_naive(&est, &grid, &format!("lattice, k {k}"));
    }
}

/// A denser map of a larger cloud, where cells cover many rows and columns.
#[test]
fn iopaint_dense_maps_equal_the_naive_painter() {
    for (seed, k) in [(31u64, 16), (32, 8)] {
        let (pts, vals) = cloud(seed, 150);
        let est = TriangleEstimator::params()
            .neighbours(k)
            .fit(pts.view(), vals.view())
            .unwrap();
        let grid = grid_around(&pts, 0.3, 360, 280);
        assert_paint_is_naive(&est, &grid, &format!("seed {seed}, k {k}, dense"));
    }
}

/// Every number of values per point: the cells' loops for one to four values and the general
/// one for more, inside and outside.
#[test]
fn iopaint_every_value_count_equals_the_naive_painter() {
    let (pts, _) = cloud(33, 90);
    for m in [1, 3, 4, 5, 7] {
        let vals = Array2::from_shape_fn((pts.nrows(), m), |(i, j)| {
            let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
            (j as f64 + 1.0) * (3.0 * x).sin() - y * j as f64
        });
        let est = TriangleEstimator::params()
            .fit(pts.view(), vals.view())
            .unwrap();
        let grid = grid_around(&pts, 0.3, 150, 120);
        assert_paint_is_naive(&est, &grid, &format!("{m} values"));
    }
}

/// A wide edge tolerance: inside cells reach past their triangle's edges and corners, where
/// other points can come nearer than the triangle's own (a review found a cell that kept
/// only the triangle's half-planes there).
#[test]
fn iopaint_wide_edge_tolerances_equal_the_naive_painter() {
    // Near-ties at a vertex: q is just farther from u than t is, so past u's corner it is
    // nearer than t and w.
    let pts = Array2::from_shape_vec(
        (5, 2),
        vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0, -1.05, 0.0, 0.6, 0.7],
    )
    .unwrap();
    let vals = Array2::from_shape_fn((5, 1), |(i, _)| [1.0, 2.0, 3.0, 5.0, 7.0][i]);
    for tol in [0.1, 0.02] {
        let est = TriangleEstimator::params()
            .edge_tolerance(tol)
            .fit(pts.view(), vals.view())
            .unwrap();
        let grid = PaintGrid::new([-0.4, 1.2], [-0.4, 1.2], 161, 161).unwrap();
        assert_paint_is_naive(&est, &grid, &format!("five points, tolerance {tol}"));
    }
    for (seed, tol) in [(41u64, 0.1), (42, 0.02), (43, 0.05)] {
        let (pts, vals) = cloud(seed, 120);
        let est = TriangleEstimator::params()
            .edge_tolerance(tol)
            .fit(pts.view(), vals.view())
            .unwrap();
        let grid = grid_around(&pts, 0.3, 240, 200);
        assert_paint_is_naive(&est, &grid, &format!("seed {seed}, tolerance {tol}"));
    }
}
