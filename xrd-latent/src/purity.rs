//! How well groups of points cluster in a 2-D feature space: nearest-neighbour purity and the
//! purity of points placed at random.

use crate::{KdTree, Result};

/// Fraction of `points` whose nearest other point has the same `group` (0 for no points).
///
/// # Errors
/// As [`KdTree::new`]: non-finite points.
pub fn knn_purity(points: &[[f64; 2]], group: &[usize]) -> Result<f64> {
    if group.len() != points.len() {
        return Err(crate::Error::shape(
            "groups",
            format!("{} (one per point)", points.len()),
            group.len().to_string(),
        ));
    }
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

/// The purity of points placed at random: the chance that a point and another drawn at random
/// share their group, Σ n_g (n_g − 1) / (N (N − 1)) over the groups (NaN for fewer than two
/// points).
pub fn chance_purity(group: &[usize]) -> f64 {
    let mut counts = std::collections::BTreeMap::<usize, f64>::new();
    for &g in group {
        *counts.entry(g).or_default() += 1.0;
    }
    let n = group.len() as f64;
    counts.values().map(|c| c * (c - 1.0)).sum::<f64>() / (n * (n - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purity_counts_same_group_neighbours() {
        let pts = [[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [9.0, 9.0]];
        assert_eq!(knn_purity(&pts, &[0, 0, 1, 1, 0]).unwrap(), 0.8);
        assert!(matches!(
            knn_purity(&pts, &[0, 0]),
            Err(crate::Error::ShapeMismatch(s)) if s.what == "groups"
        ));
    }

    #[test]
    fn chance_purity_counts_pairs_within_groups() {
        // Groups of 2 and 1: of the 6 ordered pairs, 2 share a group.
        assert_eq!(chance_purity(&[0, 0, 1]), 2.0 / 6.0);
        assert_eq!(chance_purity(&[3, 3, 3]), 1.0);
    }
}
