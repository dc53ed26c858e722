//! `summary.json`: every run's measures, their means over the runs and the first run's details.

use std::collections::BTreeMap;

use serde::Serialize;
use xrd_io::MeanSd;

use super::Data;
use super::estimation::EstimationResult;
use super::feature_space::FeatureSpaceResult;
use super::generation::GenerationResult;
use super::pca::PcaResult;
use super::relevance::{RelevanceResult, StrongButIrrelevant};
use crate::alloy::formula;
use crate::estimation::EstimateRow;
use xrd_cli::run::Result;

/// Everything one seed produces that the summary reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// The run's seed.
    pub seed: u64,
    /// Section II.
    pub feature_space: FeatureSpaceResult,
    /// Section III.A.
    pub estimation: EstimationResult,
    /// Section III.B.
    pub relevance: RelevanceResult,
    /// Section III.C.
    pub generation: GenerationResult,
    /// The same measures for a 2-component PCA on the same split.
    pub pca: PcaResult,
}

/// Mean, sample sd and values of one measure over the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// One value per run.
    pub values: Vec<f64>,
}

/// `summary.dataset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetSummary {
    /// Number of patterns.
    pub patterns: usize,
    /// Points per pattern.
    pub points: usize,
    /// Distinct concentrations.
    pub concentrations: usize,
    /// Time to build the data set.
    pub seconds: f64,
}

/// `summary.training` (means over the runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingSummary {
    /// Epochs per run.
    pub epochs: usize,
    /// Training time.
    pub seconds: f64,
    /// Reconstruction MSE of the training rows.
    pub train_mse: f64,
    /// Reconstruction MSE of the test rows.
    pub test_mse: f64,
}

/// `summary.reconstruction` (means over the runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconstructionSummary {
    /// Median Pearson r of the test rows.
    pub test_pearson_median: f64,
    /// Smallest Pearson r of a test row.
    pub test_pearson_min: f64,
    /// Median Pearson r of the test rows and the mean training pattern (the baseline).
    pub mean_pattern_pearson_median: f64,
}

/// `summary.clustering` (mean over the runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusteringSummary {
    /// Nearest-neighbour purity of the concentration groups.
    pub knn_purity: f64,
    /// The purity of randomly placed points (the baseline).
    pub knn_purity_chance: f64,
}

/// `summary.estimation` (means over the runs; Table II of the first run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimationSummary {
    /// Median δ over the test rows.
    pub test_delta_median: f64,
    /// Largest δ over the test rows.
    pub test_delta_worst: f64,
    /// Refused test rows.
    pub refused: f64,
    /// Median δ over the held-out rows.
    pub held_out_delta_median: f64,
    /// The first run's worst rows.
    pub worst: Vec<EstimateRow>,
}

/// `summary.relevance` (means over the runs; the first run's pattern and peaks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelevanceSummary {
    /// Time of the exact profile.
    pub seconds: f64,
    /// The first run's pattern.
    pub pattern: String,
    /// Whether it was a test row.
    pub pattern_in_test_set: bool,
    /// Spearman correlation of peak intensity and relevance.
    pub spearman_intensity_vs_relevance: f64,
    /// The first run's strong but irrelevant peaks.
    pub strong_but_irrelevant: Vec<StrongButIrrelevant>,
}

/// `summary.pca` (means over the runs; the first run's variance ratios and anchors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PcaSummary {
    /// Reconstruction MSE of the training rows.
    pub train_mse: f64,
    /// Reconstruction MSE of the test rows.
    pub test_mse: f64,
    /// Median Pearson r of the test rows.
    pub test_pearson_median: f64,
    /// Smallest Pearson r of a test row.
    pub test_pearson_min: f64,
    /// Nearest-neighbour purity.
    pub knn_purity: f64,
    /// Median δ over the test rows.
    pub test_delta_median: f64,
    /// Largest δ over the test rows.
    pub test_delta_worst: f64,
    /// Refused test rows.
    pub refused: f64,
    /// Median δ over the held-out rows.
    pub held_out_delta_median: f64,
    /// Contour decoding's Pearson r.
    pub generation_pearson: f64,
    /// Contour decoding's peak match.
    pub generation_peak_match: f64,
    /// The first run's explained variance ratios.
    pub explained_variance_ratio: Vec<f64>,
    /// The first run's contour anchors.
    pub generation_anchors: Option<String>,
}

/// `summary.generation` (means over the runs; the first run's composition and anchors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationSummary {
    /// The held-out composition.
    pub held_out: String,
    /// The first run's contour anchors (none where it failed).
    pub anchors: Option<String>,
    /// Contour decoding's Pearson r.
    pub pearson: f64,
    /// Contour decoding's peak match.
    pub peak_match: f64,
    /// Baseline (a)'s Pearson r.
    pub baseline_nearest_pearson: f64,
    /// Baseline (b)'s Pearson r.
    pub baseline_blend_pearson: f64,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The data set.
    pub dataset: DatasetSummary,
    /// Section II, training.
    pub training: TrainingSummary,
    /// Section II, reconstruction.
    pub reconstruction: ReconstructionSummary,
    /// Section II, clustering.
    pub clustering: ClusteringSummary,
    /// Section III.A.
    pub estimation: EstimationSummary,
    /// Section III.B.
    pub relevance: RelevanceSummary,
    /// The PCA baseline.
    pub pca: PcaSummary,
    /// Section III.C.
    pub generation: GenerationSummary,
    /// Number of runs.
    pub repeats: usize,
    /// Their seeds.
    pub seeds: Vec<u64>,
    /// Every averaged measure's spread, by `section.measure`.
    pub spread: BTreeMap<String, Spread>,
}

impl Summary {
    /// Summarises `runs` of `epochs` epochs on `data`.
    ///
    /// # Errors
    /// Without runs.
    pub fn of(data: &Data, epochs: usize, runs: &[RunResult]) -> Result<Summary> {
        let mut spread = BTreeMap::new();
        let mut m = |name: &str, f: &dyn Fn(&RunResult) -> f64| {
            let values: Vec<f64> = runs.iter().map(f).collect();
            let MeanSd { mean, sd, .. } = MeanSd::of(&values);
            spread.insert(name.to_string(), Spread { mean, sd, values });
            mean
        };
        let first = runs.first().ok_or("no run to summarise")?;
        Ok(Summary {
            dataset: DatasetSummary {
                patterns: data.x.nrows(),
                points: data.x.ncols(),
                concentrations: data.group_names.len(),
                seconds: data.seconds,
            },
            training: TrainingSummary {
                epochs,
                seconds: m("training.seconds", &|r| r.feature_space.seconds),
                train_mse: m("training.train_mse", &|r| r.feature_space.train_mse),
                test_mse: m("training.test_mse", &|r| r.feature_space.test_mse),
            },
            reconstruction: ReconstructionSummary {
                test_pearson_median: m("reconstruction.test_pearson_median", &|r| {
                    r.feature_space.test_pearson_median
                }),
                test_pearson_min: m("reconstruction.test_pearson_min", &|r| {
                    r.feature_space.test_pearson_min
                }),
                mean_pattern_pearson_median: m(
                    "reconstruction.mean_pattern_pearson_median",
                    &|r| r.feature_space.mean_pattern_pearson_median,
                ),
            },
            clustering: ClusteringSummary {
                knn_purity: m("clustering.knn_purity", &|r| r.feature_space.knn_purity),
                knn_purity_chance: m("clustering.knn_purity_chance", &|r| {
                    r.feature_space.knn_purity_chance
                }),
            },
            estimation: EstimationSummary {
                test_delta_median: m("estimation.test_delta_median", &|r| {
                    r.estimation.test_delta_median
                }),
                test_delta_worst: m("estimation.test_delta_worst", &|r| {
                    r.estimation.test_delta_worst
                }),
                refused: m("estimation.refused", &|r| r.estimation.refused as f64),
                held_out_delta_median: m("estimation.held_out_delta_median", &|r| {
                    r.estimation.held_out_delta_median
                }),
                worst: first.estimation.worst.clone(),
            },
            relevance: RelevanceSummary {
                seconds: m("relevance.seconds", &|r| r.relevance.seconds),
                pattern: first.relevance.pattern.clone(),
                pattern_in_test_set: first.relevance.pattern_in_test_set,
                spearman_intensity_vs_relevance: m("relevance.spearman", &|r| {
                    r.relevance.spearman.unwrap_or(f64::NAN)
                }),
                strong_but_irrelevant: first.relevance.strong_but_irrelevant.clone(),
            },
            pca: PcaSummary {
                train_mse: m("pca.train_mse", &|r| r.pca.train_mse),
                test_mse: m("pca.test_mse", &|r| r.pca.test_mse),
                test_pearson_median: m("pca.test_pearson_median", &|r| r.pca.test_pearson_median),
                test_pearson_min: m("pca.test_pearson_min", &|r| r.pca.test_pearson_min),
                knn_purity: m("pca.knn_purity", &|r| r.pca.knn_purity),
                test_delta_median: m("pca.test_delta_median", &|r| {
                    r.pca.estimation.test_delta_median
                }),
                test_delta_worst: m("pca.test_delta_worst", &|r| {
                    r.pca.estimation.test_delta_worst
                }),
                refused: m("pca.refused", &|r| r.pca.estimation.refused as f64),
                held_out_delta_median: m("pca.held_out_delta_median", &|r| {
                    r.pca.estimation.held_out_delta_median
                }),
                generation_pearson: m("pca.generation_pearson", &|r| r.pca.generation.pearson()),
                generation_peak_match: m("pca.generation_peak_match", &|r| {
                    r.pca.generation.peak_match()
                }),
                explained_variance_ratio: first.pca.explained_variance_ratio.clone(),
                generation_anchors: first.pca.generation.anchors(),
            },
            generation: GenerationSummary {
                held_out: first.generation.held_out.clone(),
                anchors: first.generation.anchors(),
                pearson: m("generation.pearson", &|r| r.generation.pearson()),
                peak_match: m("generation.peak_match", &|r| r.generation.peak_match()),
                baseline_nearest_pearson: m("generation.baseline_nearest_pearson", &|r| {
                    r.generation.baseline_nearest_pearson
                }),
                baseline_blend_pearson: m("generation.baseline_blend_pearson", &|r| {
                    r.generation.baseline_blend_pearson
                }),
            },
            repeats: runs.len(),
            seeds: runs.iter().map(|r| r.seed).collect(),
            spread,
        })
    }

    /// The summary as pretty JSON, keys in alphabetical order at every level.
    ///
    /// # Errors
    /// Never in practice (every field serialises); serde_json's error otherwise.
    pub fn to_json(&self) -> serde_json::Result<String> {
        // Through `Value`, whose maps are sorted: the file's layout does not depend on the
        // order of the structs' fields.
        serde_json::to_string_pretty(&serde_json::to_value(self)?)
    }

    /// Prints the tables to stdout.
    pub fn print(&self) {
        let f = |v: f64| {
            if v.is_finite() {
                format!("{v:.4}")
            } else {
                "n/a".into()
            }
        };
        let e = |v: f64| {
            if v.is_finite() {
                format!("{v:.3e}")
            } else {
                "n/a".into()
            }
        };
        println!(
            "\n== Feature space of XRD patterns (Utimula et al. 2022) on the built-in data set =="
        );
        let d = &self.dataset;
        println!(
            "data set: {} patterns × {} points, {} concentrations ({} s)",
            d.patterns,
            d.points,
            d.concentrations,
            f(d.seconds)
        );
        let t = &self.training;
        println!(
            "training: {} epochs in {} s; MSE train {} / test {}",
            t.epochs,
            f(t.seconds),
            e(t.train_mse),
            e(t.test_mse)
        );
        println!(
            "reconstruction (test): Pearson median {} (mean training pattern {}), min {}; \
             nearest-neighbour purity {} (chance {})",
            f(self.reconstruction.test_pearson_median),
            f(self.reconstruction.mean_pattern_pearson_median),
            f(self.reconstruction.test_pearson_min),
            f(self.clustering.knn_purity),
            f(self.clustering.knn_purity_chance)
        );
        let s = &self.estimation;
        println!(
            "estimation (test): median δ {}, worst δ {}, refused {:?}; held-out composition median δ {}",
            e(s.test_delta_median),
            e(s.test_delta_worst),
            s.refused,
            e(s.held_out_delta_median)
        );
        println!("  {:<30} {:<30} δ", "true", "estimated");
        for r in &s.worst {
            let comp = |v: &[f64]| {
                if v.len() == 4 {
                    formula(v)
                } else {
                    String::new()
                }
            };
            println!(
                "  {:<30} {:<30} {}",
                comp(&r.truth),
                comp(&r.estimated),
                e(r.delta)
            );
        }
        let r = &self.relevance;
        let sbi: Vec<String> = r
            .strong_but_irrelevant
            .iter()
            .map(|p| {
                format!(
                    "{} at {}° (height {}, relevance {})",
                    p.hkl.join("/"),
                    f(p.two_theta),
                    f(p.relative_height),
                    f(p.relative_relevance)
                )
            })
            .collect();
        println!(
            "relevance: {:?} ({} s), Spearman(intensity, relevance) {}",
            r.pattern,
            f(r.seconds),
            f(r.spearman_intensity_vs_relevance),
        );
        println!(
            "  strong but irrelevant: {}",
            if sbi.is_empty() {
                "none".into()
            } else {
                sbi.join("; ")
            }
        );
        let p = &self.pca;
        println!(
            "PCA (2 components, same split): MSE train {} / test {}; Pearson median {}; purity {}; \
             median δ {}, worst δ {}, refused {:?}; held-out median δ {}; generation Pearson {}",
            e(p.train_mse),
            e(p.test_mse),
            f(p.test_pearson_median),
            f(p.knn_purity),
            e(p.test_delta_median),
            e(p.test_delta_worst),
            p.refused,
            e(p.held_out_delta_median),
            f(p.generation_pearson)
        );
        let g = &self.generation;
        println!(
            "generation of held-out {:?} ({} contour): Pearson {} (baselines: nearest {}, blend {}), peak match {} %",
            g.held_out,
            g.anchors
                .as_ref()
                .map_or("no".to_string(), |a| format!("{a:?}")),
            f(g.pearson),
            f(g.baseline_nearest_pearson),
            f(g.baseline_blend_pearson),
            if g.peak_match.is_finite() {
                format!("{:.1}", 100.0 * g.peak_match)
            } else {
                "n/a".into()
            }
        );
    }
}
