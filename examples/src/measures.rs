//! Reconstruction Pearson r per row (purity: [`xrd_latent::knn_purity`]; medians:
//! [`xrd_io::median`]).

use ndarray::ArrayView2;
use xrd_io::similarity::pearson;

/// Pearson r of every row of `a` with the same row of `b` (NaN where undefined, e.g. a flat row).
pub fn row_pearsons(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Vec<f64> {
    a.rows()
        .into_iter()
        .zip(b.rows())
        .map(|(a, b)| {
            pearson(a.as_slice().unwrap_or(&[]), b.as_slice().unwrap_or(&[]))
                .map(f64::from)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_pearsons_pair_rows() {
        let a = ndarray::array![[1.0f32, 2.0, 3.0], [1.0, 0.0, 1.0]];
        let b = ndarray::array![[2.0f32, 4.0, 6.5], [1.0, 1.0, 1.0]];
        let r = row_pearsons(a.view(), b.view());
        assert!(r[0] > 0.99 && r[0] < 1.0);
        assert!(r[1].is_nan(), "a flat row has no Pearson r");
    }
}
