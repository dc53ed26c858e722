//! Long patterns drawn at screen resolution: each bucket of points kept as its minimum and
//! maximum, in the order they occur, so that no peak and no dip is lost.

/// Patterns with at least this many points are decimated.
pub const DECIMATE_FROM: usize = 20_000;

/// `x`, `y` reduced to at most `2 × buckets` points by each bucket's minimum and maximum of
/// `y` (in x order); unchanged below [`DECIMATE_FROM`] points.
pub fn min_max(x: &[f64], y: &[f64], buckets: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len().min(y.len());
    if n < DECIMATE_FROM || buckets == 0 || 2 * buckets >= n {
        return (x[..n].to_vec(), y[..n].to_vec());
    }
    let mut xs = Vec::with_capacity(2 * buckets);
    let mut ys = Vec::with_capacity(2 * buckets);
    for b in 0..buckets {
        let (lo, hi) = (
            b * n / buckets,
            ((b + 1) * n / buckets).max(b * n / buckets + 1),
        );
        let (mut imin, mut imax) = (lo, lo);
        for i in lo..hi.min(n) {
            if y[i] < y[imin] {
                imin = i;
            }
            if y[i] > y[imax] {
                imax = i;
            }
        }
        for i in [imin.min(imax), imin.max(imax)] {
            xs.push(x[i]);
            ys.push(y[i]);
            if imin == imax {
                break;
            }
        }
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_extremes_and_order() {
        let n = 50_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut y = vec![1.0; n];
        y[12_345] = 1000.0;
        y[40_000] = -5.0;
        let (xs, ys) = min_max(&x, &y, 1000);
        assert!(xs.len() <= 2000);
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
        assert!(ys.contains(&1000.0) && ys.contains(&-5.0));
        let short = min_max(&x[..100], &y[..100], 10);
        assert_eq!(short.0.len(), 100);
    }
}
