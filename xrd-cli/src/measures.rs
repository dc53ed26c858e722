//! Measures the examples report: reconstruction Pearson r per row, clustering purity (medians:
//! [`xrd_io::median`]).

use ndarray::ArrayView2;
use xrd_io::similarity::pearson;
use xrd_latent::KdTree;

use crate::run::Result;

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

/// Fraction of points whose nearest other point has the same group.
pub fn knn_purity(points: &[[f64; 2]], group: &[usize]) -> Result<f64> {
    let tree = KdTree::new(points)?;
    let mut same = 0usize;
    for (i, p) in points.iter().enumerate() {
        let nn = tree.k_nearest(*p, 2);
        if let Some(other) = nn.iter().find(|n| n.index != i)
            && group[other.index] == group[i]
        {
            same += 1;
        }
    }
    Ok(same as f64 / points.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purity_counts_same_group_neighbours() {
        let pts = [[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [9.0, 9.0]];
        assert_eq!(knn_purity(&pts, &[0, 0, 1, 1, 0]).unwrap(), 0.8);
    }

    #[test]
    fn row_pearsons_pair_rows() {
        let a = ndarray::array![[1.0f32, 2.0, 3.0], [1.0, 0.0, 1.0]];
        let b = ndarray::array![[2.0f32, 4.0, 6.5], [1.0, 1.0, 1.0]];
        let r = row_pearsons(a.view(), b.view());
        assert!(r[0] > 0.99 && r[0] < 1.0);
        assert!(r[1].is_nan(), "a flat row has no Pearson r");
    }
}
