//! Steps shared by the end-to-end examples: training with a progress bar, projection, clustering
//! purity, composition estimation and its table.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;
use xrd_ae::{Autoencoder, AutoencoderParams, FeatureSpace};
use xrd_latent::{EstimateKind, KdTree, RefusalPolicy, TriangleEstimator, delta};

/// Boxed error of the examples: every library error converts into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Result of the examples.
pub type Result<T, E = BoxError> = std::result::Result<T, E>;

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

/// The rows `rows` of `x`.
pub fn rows(x: ArrayView2<'_, f32>, rows: &[usize]) -> Array2<f32> {
    x.select(Axis(0), rows)
}

/// A progress bar on stderr for `epochs` epochs (hidden when stderr is not a terminal).
pub fn epoch_bar(epochs: usize, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(epochs as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>12} [{bar:36}] {pos:>5}/{len} epochs  loss {msg}  ({elapsed}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Initialises an autoencoder from `rng`, projects `all` with the untrained weights (the paper's
/// Fig. 1a), then trains on `train` with a progress bar. Returns the untrained projection and the
/// trained model.
pub fn train_autoencoder<R: Rng + ?Sized>(
    params: &AutoencoderParams<f32>,
    train: ArrayView2<'_, f32>,
    all: ArrayView2<'_, f32>,
    rng: &mut R,
    prefix: &str,
) -> Result<(Array2<f64>, Autoencoder<f32>)> {
    let initial = params.build(train.ncols(), rng)?;
    let before = initial.encode(&all)?.mapv(f64::from);
    let bar = epoch_bar(params.config().train.epochs, prefix);
    let model = params.fit_from(initial, &train, rng, |p| {
        bar.set_position(p.epoch as u64);
        bar.set_message(format!("{:.3e}", p.train_loss));
    })?;
    bar.finish_and_clear();
    Ok((before, model))
}

/// Latent points as `[x, y]` pairs.
pub fn as_points(z: &Array2<f64>) -> Vec<[f64; 2]> {
    z.rows().into_iter().map(|r| [r[0], r[1]]).collect()
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

/// Latent points of any 2-D feature space (autoencoder, PCA) as `[x, y]` pairs.
pub fn points_of<M: FeatureSpace<f32> + ?Sized>(
    model: &M,
    x: ArrayView2<'_, f32>,
) -> Result<Vec<[f64; 2]>> {
    if model.latent() != 2 {
        return Err(format!("need a 2-D feature space, got {}-D", model.latent()).into());
    }
    Ok(as_points(&model.encode(x)?.mapv(f64::from)))
}

/// Concentrations (Ti x, Zr y per formula unit) as integers (thousandths) so they can be
/// compared and sorted exactly.
pub fn key(x: f64, y: f64) -> (i64, i64) {
    ((x * 1000.0).round() as i64, (y * 1000.0).round() as i64)
}

/// The concentration group of every row (index into the sorted distinct keys) and those keys.
pub fn composition_groups(x: &[f64], y: &[f64]) -> (Vec<usize>, Vec<(i64, i64)>) {
    let of: Vec<(i64, i64)> = x.iter().zip(y).map(|(&a, &b)| key(a, b)).collect();
    let mut keys = of.clone();
    keys.sort_unstable();
    keys.dedup();
    let group = of
        .iter()
        .map(|k| keys.binary_search(k).unwrap_or(0))
        .collect();
    (group, keys)
}

/// `Sm1.000Zr0.000Fe11.000Ti1.000` from (Sm, Zr, Fe, Ti) per formula unit.
pub fn formula(c: &[f64]) -> String {
    format!("Sm{:.3}Zr{:.3}Fe{:.3}Ti{:.3}", c[0], c[1], c[2], c[3])
}

/// One row of the paper's Table II.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateRow {
    /// Row of the data set.
    pub index: usize,
    /// Name of the pattern.
    pub name: String,
    /// True values.
    pub truth: Vec<f64>,
    /// Estimated values.
    pub estimated: Vec<f64>,
    /// δ = Σ (estimated − true)² (paper Eq. 3).
    pub delta: f64,
    /// How the estimate was obtained (`inside`, `inside-k-nearest`, `outside`).
    pub kind: String,
    /// Distance to the nearest known point.
    pub distance: f64,
    /// Whether the refusal policy declined to answer.
    pub refused: bool,
}

/// The refusal policy of the examples: decline when P is farther from every known point than
/// `fraction` of the diagonal of the known points' bounding box (enclosed or not).
pub fn refusal_policy(known: &[[f64; 2]], fraction: f64) -> RefusalPolicy {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in known {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let diagonal = ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2)).sqrt();
    let mut policy = RefusalPolicy::new(fraction * diagonal);
    policy.refuse_outside = false;
    policy
}

/// Estimates the values of `query` points with an estimator fitted on `known` points, scoring
/// against `truth` when given, and marks the answers `policy` declines.
pub fn estimate_rows(
    known: &[[f64; 2]],
    known_values: ArrayView2<'_, f64>,
    query: &[(usize, String, [f64; 2])],
    truth: Option<ArrayView2<'_, f64>>,
    policy: &RefusalPolicy,
) -> Result<(TriangleEstimator<f64>, Vec<EstimateRow>)> {
    let pts = Array2::from_shape_fn((known.len(), 2), |(i, j)| known[i][j]);
    let estimator = TriangleEstimator::params().fit(pts.view(), known_values)?;
    let mut out = Vec::with_capacity(query.len());
    for (k, (index, name, p)) in query.iter().enumerate() {
        let est = estimator.estimate(*p);
        let kind = match est.kind {
            EstimateKind::Inside => "inside",
            EstimateKind::InsideKNearest => "inside-k-nearest",
            EstimateKind::Outside { .. } => "outside",
        };
        let distance = est.distance;
        let refused = !policy.accepts(&est.kind, distance);
        let t: Vec<f64> = truth.map_or_else(Vec::new, |t| t.row(k).to_vec());
        out.push(EstimateRow {
            index: *index,
            name: name.clone(),
            delta: if t.is_empty() {
                f64::NAN
            } else {
                delta(&est.value, &t)
            },
            truth: t,
            estimated: est.value.clone(),
            kind: kind.to_string(),
            distance,
            refused,
        });
    }
    Ok((estimator, out))
}

/// Median (NaN for an empty slice); sorts in place.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The process exit code of an example: success, or the error on stderr and failure.
pub fn exit_code(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a rename).
pub fn write_atomic(path: &std::path::Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
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

    #[test]
    fn purity_counts_same_group_neighbours() {
        let pts = [[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [9.0, 9.0]];
        assert_eq!(knn_purity(&pts, &[0, 0, 1, 1, 0]).unwrap(), 0.8);
    }

    #[test]
    fn composition_groups_are_sorted_distinct_keys() {
        let (group, keys) = composition_groups(&[1.0, 0.5, 1.0, 0.5], &[0.0, 0.125, 0.0, 0.0]);
        assert_eq!(keys, vec![(500, 0), (500, 125), (1000, 0)]);
        assert_eq!(group, vec![2, 1, 2, 0]);
    }

    #[test]
    fn statistics() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(
            formula(&[1.0, 0.0, 10.5, 1.5]),
            "Sm1.000Zr0.000Fe10.500Ti1.500"
        );
    }

    #[test]
    fn estimates_three_known_points_exactly_inside() {
        let known = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let values = ndarray::array![[0.0], [1.0], [0.0], [1.0]];
        let truth = ndarray::array![[0.25]];
        let q = [(0usize, "q".to_string(), [0.25, 0.25])];
        let policy = refusal_policy(&known, 0.3);
        assert!((policy.max_distance - 0.3 * 2f64.sqrt()).abs() < 1e-12);
        let (_, rows) =
            estimate_rows(&known, values.view(), &q, Some(truth.view()), &policy).unwrap();
        assert!((rows[0].estimated[0] - 0.25).abs() < 1e-12);
        assert!(rows[0].delta < 1e-20);
        assert!(!rows[0].refused);
        // Farther than 0.1 of the diagonal from every known point: declined.
        let (_, rows) = estimate_rows(
            &known,
            values.view(),
            &q,
            Some(truth.view()),
            &refusal_policy(&known, 0.1),
        )
        .unwrap();
        assert!(rows[0].refused);
    }
}
