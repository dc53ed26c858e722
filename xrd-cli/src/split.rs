//! Reproducible train/test splits of data-set rows.

use rand::Rng;
use rand::seq::SliceRandom;

/// A reproducible split of `n` rows: a shuffled `test_fraction` for testing, the rest for training
/// (both sorted).
pub fn split<R: Rng + ?Sized>(
    n: usize,
    test_fraction: f64,
    rng: &mut R,
) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    let n_test = ((n as f64 * test_fraction).round() as usize).clamp(1, n.saturating_sub(1).max(1));
    let mut test = idx[..n_test].to_vec();
    let mut train = idx[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn split_is_a_partition_and_reproducible() {
        let mut a = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(1);
        let (tr, te) = split(150, 0.1, &mut a);
        assert_eq!((tr.len(), te.len()), (135, 15));
        let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..150).collect::<Vec<_>>());
        assert_eq!(split(150, 0.1, &mut b), (tr, te));
    }
}
