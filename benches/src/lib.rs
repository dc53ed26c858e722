//! Shared fixtures for the criterion benches of the xrd workspace.

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
