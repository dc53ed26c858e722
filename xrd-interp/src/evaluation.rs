//! Honest evaluation: hold out each intermediate composition in turn, train every method on
//! the rest, generate the held-out composition and compare with its true patterns.

use std::fmt;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use xrd_ae::{AutoencoderConfig, AutoencoderParams};
use xrd_io::{Dataset, Float, MeanSd};

use crate::composition::{mean_rows, same_composition};
use crate::{
    Anchors, CompareParams, Comparison, Error, GeneratorParams, LinearBlend, NearestMean,
    PatternModel, RegressorConfig, Result, compare,
};

/// A method under evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Contour decoding ([`Generator`](crate::Generator)) on every training pattern's latent
    /// point ([`Anchors::Patterns`], the paper's contour).
    Contour,
    /// Contour decoding on one centroid per composition
    /// ([`Anchors::Centroids`]); same autoencoder as `Contour`.
    Centroids,
    /// Baseline (a), [`NearestMean`].
    Nearest,
    /// Baseline (b), [`LinearBlend`].
    Blend,
    /// Baseline (c), [`DirectRegressor`](crate::DirectRegressor).
    Regressor,
}

impl Method {
    /// Every method, in table order.
    pub const ALL: [Method; 5] = [
        Method::Contour,
        Method::Centroids,
        Method::Nearest,
        Method::Blend,
        Method::Regressor,
    ];

    /// Name used in tables.
    pub fn label(self) -> &'static str {
        match self {
            Method::Contour => "contour decoding",
            Method::Centroids => "contour (centroids)",
            Method::Nearest => "(a) nearest mean",
            Method::Blend => "(b) linear blend",
            Method::Regressor => "(c) direct regressor",
        }
    }

    /// Whether it learns (its results depend on the seed).
    pub fn is_trained(self) -> bool {
        matches!(
            self,
            Method::Contour | Method::Centroids | Method::Regressor
        )
    }
}

/// What a prediction is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    /// The mean of the held-out composition's true patterns.
    Mean,
    /// Each true configuration separately (the metric averaged over them).
    Configurations,
}

/// The six measures of a [`Comparison`], in table order.
pub const METRICS: [&str; 6] = [
    "Pearson dist ↓",
    "cosine dist ↓",
    "JSD ↓",
    "DTW/pt ↓",
    "peak match ↑",
    "peak shift (°) ↓",
];

fn metric_values(c: &Comparison) -> [f64; 6] {
    [
        c.pearson,
        c.cosine,
        c.jsd,
        c.dtw,
        c.peak_match,
        c.peak_shift,
    ]
}

/// Whether a larger value of metric `i` is better.
fn higher_is_better(i: usize) -> bool {
    i == 4
}

/// Configuration of [`evaluate`]. Defaults: the hold-outs for the (x, y) labels of the
/// built-in data set (x = 0.5, 1.0, 1.5 at y = 0; y = 0.25, 0.375 at x = 1), seeds 0, 1, 2, the
/// paper's autoencoder and [`RegressorConfig::default`], both with xrd-ae's default weight decay
/// ([`xrd_ae::DEFAULT_WEIGHT_DECAY`], as the main job), [`GeneratorParams::default`], [`CompareParams::default`], all four methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalConfig {
    /// Compositions held out one at a time (each must match rows of the data).
    pub holdouts: Vec<Vec<f64>>,
    /// One training run of every learning method per seed and hold-out
    /// (`Xoshiro256PlusPlus::seed_from_u64(seed)`).
    pub seeds: Vec<u64>,
    /// The autoencoder of contour decoding.
    pub autoencoder: AutoencoderConfig,
    /// The generator on top of it.
    pub generator: GeneratorParams,
    /// The direct regressor.
    pub regressor: RegressorConfig,
    /// The metrics' settings.
    pub compare: CompareParams,
    /// Methods to run.
    pub methods: Vec<Method>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        // Both learners train with xrd-ae's one default weight decay (`DEFAULT_WEIGHT_DECAY`),
        // as the main job does.
        let autoencoder = AutoencoderConfig::default();
        let regressor = RegressorConfig::default();
        EvalConfig {
            holdouts: vec![
                vec![0.5, 0.0],
                vec![1.0, 0.0],
                vec![1.5, 0.0],
                vec![1.0, 0.25],
                vec![1.0, 0.375],
            ],
            seeds: vec![0, 1, 2],
            autoencoder,
            generator: GeneratorParams::default(),
            regressor,
            compare: CompareParams::default(),
            methods: Method::ALL.to_vec(),
        }
    }
}

impl EvalConfig {
    /// Sets the epochs of both learning methods.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.autoencoder.train.epochs = epochs;
        self.regressor.train.epochs = epochs;
        self
    }

    /// Sets the seeds.
    pub fn seeds(mut self, seeds: Vec<u64>) -> Self {
        self.seeds = seeds;
        self
    }

    /// Validates every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] or a component's parameter error.
    pub fn check(&self) -> Result<()> {
        if self.holdouts.is_empty() {
            return Err(Error::param("holdouts", "give at least one composition"));
        }
        if self.seeds.is_empty() {
            return Err(Error::param("seeds", "give at least one seed"));
        }
        if self.methods.is_empty() {
            return Err(Error::param("methods", "give at least one method"));
        }
        self.autoencoder.check()?;
        self.generator.check()?;
        self.regressor.check()?;
        self.compare.check()
    }
}

/// One method on one hold-out against one reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRow {
    /// The held-out composition.
    pub holdout: Vec<f64>,
    /// Number of true patterns (configurations) of the hold-out.
    pub configurations: usize,
    /// The method.
    pub method: Method,
    /// What the prediction was compared with.
    pub reference: Reference,
    /// The per-seed values of each measure in [`METRICS`] order (seeds that failed left out).
    pub values: Vec<[f64; 6]>,
    /// Seeds for which the method could not serve the composition (not reachable / not bracketed).
    pub failures: usize,
    /// Seeds for which contour decoding flagged the point as outside the data.
    pub outside: usize,
}

impl EvalRow {
    /// Mean ± spread of measure `i` (index into [`METRICS`]).
    pub fn stat(&self, i: usize) -> MeanSd {
        let v: Vec<f64> = self.values.iter().map(|m| m[i]).collect();
        MeanSd::of(&v)
    }
}

/// The result of [`evaluate`]; renders as Markdown with `Display`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalTable {
    /// Names of the composition components.
    pub components: Vec<String>,
    /// Seeds used.
    pub seeds: Vec<u64>,
    /// Every (hold-out, method, reference) row.
    pub rows: Vec<EvalRow>,
}

/// Progress of [`evaluate`], reported after every fitted model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalProgress {
    /// Index of the hold-out.
    pub holdout: usize,
    /// The seed.
    pub seed: u64,
    /// The method just fitted and scored.
    pub method: Method,
    /// Models done so far.
    pub done: usize,
    /// Models in total.
    pub total: usize,
}

/// Runs the hold-out evaluation on `data` (labels = compositions), reporting progress to
/// `callback`. For every hold-out and seed the learning methods are trained from scratch on
/// the other compositions only; the baselines do not depend on the seed and run once per
/// hold-out (their spread is 0).
///
/// # Errors
/// [`Error::InvalidParameter`]; [`Error::EmptyHoldout`] for a hold-out with no rows; training
/// errors. A method that cannot serve a hold-out ([`Error::NotReachable`],
/// [`Error::NotBracketed`], or an autoencoder whose feature space collapsed to fewer than three
/// distinct points) is counted in [`EvalRow::failures`] instead.
pub fn evaluate<F: Float>(
    data: &Dataset<F>,
    config: &EvalConfig,
    mut callback: impl FnMut(&EvalProgress),
) -> Result<EvalTable> {
    config.check()?;
    let m = data.labels.ncols();
    let mut splits = Vec::with_capacity(config.holdouts.len());
    for h in &config.holdouts {
        crate::composition::check_composition(h, m)?;
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..data.len()).partition(|&i| same_composition(&data.labels.row(i).to_vec(), h));
        if test.is_empty() {
            return Err(Error::EmptyHoldout {
                composition: h.clone(),
            });
        }
        splits.push((h.clone(), test, train));
    }
    let per_holdout: usize = config
        .methods
        .iter()
        .map(|m| {
            if m.is_trained() {
                config.seeds.len()
            } else {
                1
            }
        })
        .sum();
    let total = per_holdout * splits.len();
    let mut done = 0;
    let mut rows = Vec::new();
    for (hi, (holdout, test, train)) in splits.iter().enumerate() {
        let train_data = data.select(train)?;
        // Both contour methods decode from the same autoencoder per seed.
        let mut autoencoders: Vec<Option<xrd_ae::Autoencoder<F>>> = vec![None; config.seeds.len()];
        let truths: Vec<Vec<F>> = test
            .iter()
            .map(|&i| data.patterns.row(i).to_vec())
            .collect();
        let mean = mean_rows(data, test).to_vec();
        for &method in &config.methods {
            let seeds: &[u64] = if method.is_trained() {
                &config.seeds
            } else {
                &config.seeds[..1]
            };
            let mut vs_mean = row(holdout, test.len(), method, Reference::Mean);
            let mut vs_each = row(holdout, test.len(), method, Reference::Configurations);
            for (si, &seed) in seeds.iter().enumerate() {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                let (prediction, outside) = match method {
                    Method::Contour | Method::Centroids => {
                        let ae = match &autoencoders[si] {
                            Some(ae) => ae.clone(),
                            None => {
                                let ae =
                                    AutoencoderParams::<F>::from_config(config.autoencoder.clone())
                                        .fit(&train_data.patterns, &mut rng, |_| {})?;
                                autoencoders[si] = Some(ae.clone());
                                ae
                            }
                        };
                        let anchors = if method == Method::Contour {
                            Anchors::Patterns
                        } else {
                            Anchors::Centroids
                        };
                        match config
                            .generator
                            .clone()
                            .anchors(anchors)
                            .build(ae, &train_data)
                        {
                            Ok(generator) => match generator.generate(holdout) {
                                Ok(g) => (Ok(g.pattern), g.outside_data),
                                Err(e) => (Err(e), false),
                            },
                            // The feature space collapsed (fewer than three distinct points):
                            // no contour to decode from; counted as a failure of the method.
                            Err(Error::Latent(xrd_latent::Error::TooFewPoints { .. })) => (
                                Err(Error::NotReachable {
                                    composition: holdout.clone(),
                                }),
                                false,
                            ),
                            Err(e) => return Err(e),
                        }
                    }
                    Method::Nearest => (NearestMean::fit(&train_data)?.predict(holdout), false),
                    Method::Blend => (LinearBlend::fit(&train_data)?.predict(holdout), false),
                    Method::Regressor => (
                        config
                            .regressor
                            .fit(&train_data, &mut rng)?
                            .predict(holdout),
                        false,
                    ),
                };
                done += 1;
                callback(&EvalProgress {
                    holdout: hi,
                    seed,
                    method,
                    done,
                    total,
                });
                let prediction = match prediction {
                    Ok(p) => p.to_vec(),
                    Err(Error::NotReachable { .. } | Error::NotBracketed { .. }) => {
                        vs_mean.failures += 1;
                        vs_each.failures += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if outside {
                    vs_mean.outside += 1;
                    vs_each.outside += 1;
                }
                let c = compare(&prediction, &mean, &data.grid, &config.compare)?;
                vs_mean.values.push(metric_values(&c));
                let mut acc = [0.0; 6];
                for t in &truths {
                    let c = compare(&prediction, t, &data.grid, &config.compare)?;
                    for (a, v) in acc.iter_mut().zip(metric_values(&c)) {
                        *a += v / truths.len() as f64;
                    }
                }
                vs_each.values.push(acc);
            }
            rows.push(vs_mean);
            rows.push(vs_each);
        }
    }
    Ok(EvalTable {
        components: data.label_names.clone(),
        seeds: config.seeds.clone(),
        rows,
    })
}

fn row(holdout: &[f64], configurations: usize, method: Method, reference: Reference) -> EvalRow {
    EvalRow {
        holdout: holdout.to_vec(),
        configurations,
        method,
        reference,
        values: Vec::new(),
        failures: 0,
        outside: 0,
    }
}

impl EvalTable {
    /// The rows for one reference, in evaluation order.
    pub fn rows_for(&self, reference: Reference) -> impl Iterator<Item = &EvalRow> {
        self.rows.iter().filter(move |r| r.reference == reference)
    }

    /// The methods present, in table order.
    pub fn methods(&self) -> Vec<Method> {
        Method::ALL
            .into_iter()
            .filter(|m| self.rows.iter().any(|r| r.method == *m))
            .collect()
    }

    /// Per method, the measures averaged over the hold-outs within each seed, then mean ±
    /// spread over seeds (the baselines' single run counts for every seed). Hold-outs where the
    /// method failed for some seed are left out of that seed's average.
    pub fn summary(&self, reference: Reference) -> Vec<(Method, [MeanSd; 6])> {
        let seeds = self.seeds.len();
        self.methods()
            .into_iter()
            .map(|m| {
                let rows: Vec<&EvalRow> =
                    self.rows_for(reference).filter(|r| r.method == m).collect();
                let stats = std::array::from_fn(|i| {
                    let per_seed: Vec<f64> = (0..seeds)
                        .filter_map(|s| {
                            let vals: Vec<f64> = rows
                                .iter()
                                .filter_map(|r| {
                                    let k = if m.is_trained() { s } else { 0 };
                                    r.values.get(k).map(|v| v[i])
                                })
                                .collect();
                            (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
                        })
                        .collect();
                    MeanSd::of(&per_seed)
                });
                (m, stats)
            })
            .collect()
    }

    /// For each hold-out, contour method and baseline (a)/(b), the metrics (indices into
    /// [`METRICS`]) on which the contour method's mean is *not* better (all of them when it
    /// failed on every seed).
    pub fn contour_losses(
        &self,
        reference: Reference,
    ) -> Vec<(Vec<f64>, Method, Method, Vec<usize>)> {
        let mut out = Vec::new();
        let rows: Vec<&EvalRow> = self.rows_for(reference).collect();
        for c in rows
            .iter()
            .filter(|r| matches!(r.method, Method::Contour | Method::Centroids))
        {
            for b in rows.iter().filter(|r| {
                matches!(r.method, Method::Nearest | Method::Blend)
                    && same_composition(&r.holdout, &c.holdout)
            }) {
                let lost: Vec<usize> = (0..METRICS.len())
                    .filter(|&i| {
                        let (cm, bm) = (c.stat(i).mean, b.stat(i).mean);
                        let better = if higher_is_better(i) {
                            cm > bm
                        } else {
                            cm < bm
                        };
                        !better
                    })
                    .collect();
                out.push((c.holdout.clone(), c.method, b.method, lost));
            }
        }
        out
    }

    fn write_reference(&self, f: &mut fmt::Formatter<'_>, reference: Reference) -> fmt::Result {
        let comp = |h: &[f64]| {
            self.components
                .iter()
                .zip(h)
                .map(|(n, v)| format!("{n} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "| hold-out | method |")?;
        for m in METRICS {
            write!(f, " {m} |")?;
        }
        writeln!(f, " failed | outside |")?;
        write!(f, "|---|---|")?;
        for _ in METRICS {
            write!(f, "---|")?;
        }
        writeln!(f, "---|---|")?;
        for r in self.rows_for(reference) {
            write!(
                f,
                "| {} ({} cfg) | {} |",
                comp(&r.holdout),
                r.configurations,
                r.method.label()
            )?;
            for i in 0..METRICS.len() {
                write!(f, " {} |", r.stat(i))?;
            }
            writeln!(f, " {} | {} |", r.failures, r.outside)?;
        }
        for (m, stats) in self.summary(reference) {
            write!(f, "| **all hold-outs** | **{}** |", m.label())?;
            for s in stats {
                write!(f, " {s} |")?;
            }
            writeln!(f, " | |")?;
        }
        Ok(())
    }
}

impl fmt::Display for EvalTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Against the mean of the held-out composition's true patterns (mean ± sd over seeds {:?}):\n",
            self.seeds
        )?;
        self.write_reference(f, Reference::Mean)?;
        writeln!(
            f,
            "\nAgainst each true configuration (measure averaged over the configurations, then mean ± sd over seeds):\n"
        )?;
        self.write_reference(f, Reference::Configurations)?;
        let failed = |h: &[f64], m: Method| {
            self.rows_for(Reference::Mean)
                .any(|r| r.method == m && same_composition(&r.holdout, h) && r.values.is_empty())
        };
        let losses: Vec<String> = self
            .contour_losses(Reference::Mean)
            .into_iter()
            .filter(|(_, _, _, lost)| !lost.is_empty())
            .map(|(h, c, b, lost)| {
                if failed(&h, c) {
                    format!("{h:?}: {} failed on every seed", c.label())
                } else {
                    let names: Vec<&str> = lost.iter().map(|&i| METRICS[i]).collect();
                    format!(
                        "{h:?}: {} vs {}: {}",
                        c.label(),
                        b.label(),
                        names.join(", ")
                    )
                }
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Vec::new(), |mut acc, l| {
                if !acc.contains(&l) {
                    acc.push(l);
                }
                acc
            });
        writeln!(f)?;
        if losses.is_empty() {
            writeln!(
                f,
                "Contour decoding beats baselines (a) and (b) on every measure and hold-out (against the mean)."
            )
        } else {
            writeln!(
                f,
                "Where contour decoding does NOT beat baselines (a)/(b) (against the mean):\n"
            )?;
            for l in losses {
                writeln!(f, "- {l}")?;
            }
            Ok(())
        }
    }
}
