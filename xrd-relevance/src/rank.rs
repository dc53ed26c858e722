//! Ranks with ties and Spearman's rank correlation.

/// 1-based ranks of `values` in increasing order; tied values share the mean of the ranks they
/// span (so `[10, 20, 20, 30]` ranks as `[1, 2.5, 2.5, 4]`). NaNs rank last, tied together.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && same(values[order[j]], values[order[i]]) {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j; their mean is (i + 1 + j) / 2.
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Spearman's rank correlation of two equally long samples: the Pearson correlation
/// ([`xrd_io::similarity::pearson`]) of their [`average_ranks`], which handles ties exactly.
/// `None` when the lengths differ, there are fewer than two values, or either sample is constant
/// (the correlation is undefined).
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    xrd_io::similarity::pearson(&average_ranks(a), &average_ranks(b)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 30.0]),
            [1.0, 2.5, 2.5, 4.0]
        );
        assert_eq!(average_ranks(&[3.0, 1.0, 2.0]), [3.0, 1.0, 2.0]);
        assert_eq!(average_ranks(&[5.0, 5.0, 5.0]), [2.0, 2.0, 2.0]);
        assert_eq!(average_ranks(&[f64::NAN, 1.0, f64::NAN]), [2.5, 1.0, 2.5]);
        assert!(average_ranks(&[]).is_empty());
    }

    #[test]
    fn spearman_of_monotone_and_reversed_samples() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        // xrd-io's Pearson divides by √ss·√tt, so a perfect correlation may be one ulp short.
        let near = |r: Option<f64>, want: f64| r.is_some_and(|r| (r - want).abs() <= 1e-15);
        assert!(near(spearman(&a, &[2.0, 4.0, 8.0, 16.0, 1000.0]), 1.0));
        assert!(near(spearman(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]), -1.0));
        assert_eq!(spearman(&a, &[1.0; 5]), None);
        assert_eq!(spearman(&a[..1], &a[..1]), None);
        assert_eq!(spearman(&a, &a[..4]), None);
    }

    #[test]
    fn spearman_with_ties_matches_scipy() {
        // scipy.stats.spearmanr([1, 2, 2, 3, 4], [1, 3, 2, 2, 5]).statistic = 0.7631578947368421
        let r = spearman(&[1.0, 2.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 2.0, 5.0]).unwrap();
        assert!((r - 0.763_157_894_736_842_1).abs() < 1e-12, "{r}");
    }
}
