//! Inequivalent substitution patterns: permutation groups acting on sites, Burnside counts and
//! canonical orbit representatives of k-subsets.

/// A permutation of `n` sites: `perm[i]` is the image of site `i`.
pub type Perm = Vec<usize>;

/// Image of a subset (bit i = site i) under a permutation.
pub fn apply(perm: &[usize], mask: u64) -> u64 {
    let mut out = 0u64;
    let mut m = mask;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        out |= 1u64 << perm[i];
        m &= m - 1;
    }
    out
}

/// Number of orbits of k-subsets under `group` by Burnside's lemma: the mean over the group of
/// the number of k-subsets each element fixes (unions of whole cycles of total length k). The
/// tests' check of the orbit counts (TI_ORBITS, ZR_ORBITS).
#[cfg(test)]
pub fn burnside(group: &[Perm], k: usize) -> usize {
    if group.is_empty() {
        return 0;
    }
    let mut total: u128 = 0;
    for g in group {
        let n = g.len();
        let mut seen = vec![false; n];
        // ways[s] = number of unions of cycles with total length s
        let mut ways = vec![0u128; n + 1];
        ways[0] = 1;
        for start in 0..n {
            if seen[start] {
                continue;
            }
            let mut len = 0;
            let mut i = start;
            while !seen[i] {
                seen[i] = true;
                i = g[i];
                len += 1;
            }
            for s in (len..=n).rev() {
                ways[s] += ways[s - len];
            }
        }
        total += ways.get(k).copied().unwrap_or(0);
    }
    (total / group.len() as u128) as usize
}

/// Canonical representatives (the smallest image as an integer) of every orbit of k-subsets of
/// `n ≤ 63` sites, in increasing order.
pub fn orbit_representatives(group: &[Perm], n: usize, k: usize) -> Vec<u64> {
    let mut reps = Vec::new();
    if k > n || n > 63 {
        return reps;
    }
    let mut mask: u64 = if k == 0 { 0 } else { (1u64 << k) - 1 };
    let limit = 1u64 << n;
    loop {
        if group.iter().all(|g| apply(g, mask) >= mask) {
            reps.push(mask);
        }
        if k == 0 {
            break;
        }
        // Next subset with the same popcount (Gosper's hack).
        let c = mask & mask.wrapping_neg();
        let r = mask + c;
        mask = (((r ^ mask) >> 2) / c) | r;
        if mask >= limit {
            break;
        }
    }
    reps
}

/// `count` of `total` items, evenly spaced: indices ⌊i · total / count⌋ for i = 0…count−1
/// (all of them when count ≥ total).
pub fn stride_subset(total: usize, count: usize) -> Vec<usize> {
    if count >= total {
        return (0..total).collect();
    }
    (0..count).map(|i| i * total / count).collect()
}

/// Closes a set of permutations under composition (small groups only); the tests' check that the
/// symmetry operations form a group.
#[cfg(test)]
pub fn close(mut group: Vec<Perm>) -> Vec<Perm> {
    let mut i = 0;
    while i < group.len() {
        let mut j = 0;
        while j < group.len() {
            let c: Perm = (0..group[i].len()).map(|x| group[i][group[j][x]]).collect();
            if !group.contains(&c) {
                group.push(c);
            }
            j += 1;
        }
        i += 1;
    }
    group.sort();
    group
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burnside_agrees_with_explicit_orbits_on_a_cyclic_group() {
        // Necklaces of 6 beads under rotation: 2-subsets → 3 orbits, 3-subsets → 4.
        let rot: Perm = (0..6).map(|i| (i + 1) % 6).collect();
        let g = close(vec![rot]);
        assert_eq!(g.len(), 6);
        for (k, want) in [(0, 1), (1, 1), (2, 3), (3, 4)] {
            assert_eq!(burnside(&g, k), want);
            assert_eq!(orbit_representatives(&g, 6, k).len(), want);
        }
        assert_eq!(stride_subset(10, 4), vec![0, 2, 5, 7]);
        assert_eq!(stride_subset(3, 5), vec![0, 1, 2]);
    }
}
