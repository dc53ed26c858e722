//! Paints large maps and compares every pixel with `TriangleEstimator::estimate_all`, bit for
//! bit: values, coverage and distance. The tests compare the painter with the naive painter on
//! small grids; this probe does the same on millions of pixels (the bench's map and five other
//! point sets, neighbour counts and margins), in f64 and in f32, for changes to the cell painter.
//!
//! ```text
//! cargo run --release -p xrd-benches --features probes --example paint_check
//! ```

use ndarray::Array2;
use xrd_io::Float;
use xrd_latent::{PaintGrid, TriangleEstimator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut differ, mut total) = (0_usize, 0_usize);
    // (known points, neighbours k, grid side, margin around the points)
    let maps = [
        (150, 16, 1000, 0.05),
        (150, 32, 700, 0.3),
        (400, 8, 800, 0.3),
        (60, 5, 600, 0.3),
        (150, 16, 900, 0.3),
        (300, 12, 800, 0.5),
    ];
    for (n, k, side, margin) in maps {
        let (pts, vals) = xrd_benches::paint_known_points(n);
        let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
        let grid = PaintGrid::around(&p, margin, side, side)?;
        let est = TriangleEstimator::params()
            .neighbours(k)
            .fit(pts.view(), vals.view())?;
        let here = differing(&est, &grid)?;
        let est32 = TriangleEstimator::params().neighbours(k).fit(
            pts.mapv(|v| v as f32).view(),
            vals.mapv(|v| v as f32).view(),
        )?;
        let here32 = differing(&est32, &grid)?;
        differ += here + here32;
        total += 2 * side * side;
        println!(
            "{n} points, k {k}, {side} x {side}, margin {margin}: {here} (f64), {here32} (f32) of {} pixels differ",
            side * side
        );
    }
    println!("all maps: {differ} of {total} pixels differ");
    if differ > 0 {
        return Err(format!("{differ} painted pixels differ from estimate").into());
    }
    Ok(())
}

/// The pixels of `grid` where `est.paint` and `est.estimate_all` differ in any bit.
fn differing<F: Float>(
    est: &TriangleEstimator<F>,
    grid: &PaintGrid,
) -> Result<usize, Box<dyn std::error::Error>> {
    let map = est.paint(grid)?;
    let (nx, ny) = (map.x.len(), map.y.len());
    let mut queries = Array2::<F>::zeros((nx * ny, 2));
    for j in 0..ny {
        for i in 0..nx {
            queries[[j * nx + i, 0]] = map.x[i];
            queries[[j * nx + i, 1]] = map.y[j];
        }
    }
    let want = est.estimate_all(queries.view())?;
    let mut here = 0;
    for j in 0..ny {
        for i in 0..nx {
            let e = &want[j * nx + i];
            let same = e.kind.is_inside() == map.covered[[j, i]]
                && e.distance.as_f64().to_bits() == map.distance[[j, i]].as_f64().to_bits()
                && (0..e.value.len()).all(|c| {
                    e.value[c].as_f64().to_bits() == map.values[[j, i, c]].as_f64().to_bits()
                });
            here += usize::from(!same);
        }
    }
    Ok(here)
}
