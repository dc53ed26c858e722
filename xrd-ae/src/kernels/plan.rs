//! The planner: which blocking and code path xrd-ae's inference kernels use on this machine,
//! chosen from a few candidates by timing them once, at first use, as RustFFT's and FFTW's
//! planners do (or pinned by [`PLAN_ENV`] for reproducible benchmarks).
//!
//! Every candidate is tested against the naive sums. One knob changes values, [`Plan::dense`]:
//! the lane kernels round otherwise than the gemm crate (last bits), so the planner does not time
//! it (a choice by the clock would give a seed other bits on a busier run): gemm where the gemm
//! crate runs, the lane kernels where it does not, either when pinned by [`PLAN_ENV`]. The
//! others, which the planner times, sum the same products in the same order: the blockings of
//! the kernel over transposed weights give the gemm crate's chains, and the lane kernels' task
//! split and grouping only decide who computes which output when.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The environment variable that pins the plan: `default` (the fixed [`Plan::DEFAULT`]), or
/// `key=value` pairs separated by commas that override it, in [`Plan`]'s text form
/// (`dense=gemm,sparse=4x4,sparse-below=0.6,tasks=4,group=8`). Unset or empty: the plan is
/// measured at first use.
pub const PLAN_ENV: &str = "XRD_AE_PLAN";

/// A register blocking of the kernel over transposed weights (module `sparse`): `rows` input rows
/// share each weight vector loaded, each with `vectors` vectors of 16 outputs in registers. Text
/// form `ROWSxVECTORS` (`4x4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocking {
    /// Input rows sharing each weight vector loaded.
    pub rows: usize,
    /// Vectors of 16 outputs per row kept in registers.
    pub vectors: usize,
}

/// The blockings the planner chooses from, in the order it times them (the best on AMD Zen
/// first, so that a measurement cut short keeps them): at most 24 accumulators, so that with the
/// weight vectors and a broadcast they fit AVX-512's 32 registers (the small ones are for AVX2's
/// 16).
pub const BLOCKINGS: [Blocking; 8] = [
    Blocking {
        rows: 6,
        vectors: 4,
    },
    Blocking {
        rows: 4,
        vectors: 4,
    },
    Blocking {
        rows: 4,
        vectors: 6,
    },
    Blocking {
        rows: 2,
        vectors: 8,
    },
    Blocking {
        rows: 2,
        vectors: 4,
    },
    Blocking {
        rows: 2,
        vectors: 2,
    },
    Blocking {
        rows: 1,
        vectors: 8,
    },
    Blocking {
        rows: 1,
        vectors: 4,
    },
];

/// The kernel of a wide layer's inference on dense inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DensePath {
    /// The gemm crate's packed product: every output `bias + chain(block 0) + chain(block 1) + …`
    /// over blocks of 512 columns.
    Gemm,
    /// xrd-ae's lane kernels (the inputs transposed once, 16 rows across the lanes): every output
    /// one chain from its bias over all columns. Other roundings than [`DensePath::Gemm`], so the
    /// outputs differ in their last bits between the two.
    Lanes,
}

/// The candidates of [`Plan::tasks_per_thread`].
pub const TASKS_PER_THREAD: [usize; 3] = [1, 2, 4];
/// The candidates of [`Plan::group_chunks`].
pub const GROUP_CHUNKS: [usize; 3] = [4, 8, 16];

/// How xrd-ae's inference kernels run on this machine (see [`plan`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The kernel of inference of wide layers (at least 1024 inputs) on dense inputs (rows of
    /// 17 or more).
    pub dense: DensePath,
    /// The register blocking of the kernel over transposed weights, which walks each group of
    /// rows' own non-zero columns only (inference of wide layers; the values of
    /// [`DensePath::Gemm`]).
    pub sparse: Blocking,
    /// The fraction of non-zero values (in a fixed sample of rows) below which that kernel
    /// replaces [`Plan::dense`]: its time goes with the non-zero values, the dense kernels' not.
    /// `0` never; `1` whenever a sampled value is zero.
    pub sparse_below: f64,
    /// The lane kernels (training's forward pass, inference on inputs whose columns are zero in
    /// whole chunks of rows): parallel tasks per thread at most, for wide layers.
    pub tasks_per_thread: usize,
    /// The lane kernels: chunks of 16 rows whose transposed inputs each task's weights pass
    /// over at once (the inputs' share of the L2 cache).
    pub group_chunks: usize,
}

impl Plan {
    /// The plan without measuring (`XRD_AE_PLAN=default`): the gemm crate for dense inputs (the
    /// bits of earlier releases), the kernel over transposed weights under 60 % non-zero values.
    pub const DEFAULT: Plan = Plan {
        dense: DensePath::Gemm,
        sparse: Blocking {
            rows: 4,
            vectors: 4,
        },
        sparse_below: 0.6,
        tasks_per_thread: 4,
        group_chunks: 8,
    };

    /// Times the candidates on this machine now and returns the fastest of each knob. The
    /// blockings and the lane kernels' knobs skip their remaining candidates once one more
    /// would end past 50 ms (33-53 ms in all on a loaded 2-core AMD EPYC Zen 4, 42-51 ms on a quiet
    /// Zen 2). [`plan`] does this once per process.
    pub fn measure() -> Plan {
        measure()
    }

    /// Whether every value is one of its candidates (or, for `sparse_below`, within `[0, 1]`);
    /// the error names the knob.
    pub fn check(&self) -> Result<()> {
        if !BLOCKINGS.contains(&self.sparse) {
            return Err(Error::param(
                "sparse",
                format!("{} is not one of the blockings {BLOCKINGS:?}", self.sparse),
            ));
        }
        if !(0.0..=1.0).contains(&self.sparse_below) {
            return Err(Error::param("sparse-below", "must lie in [0, 1]"));
        }
        if !TASKS_PER_THREAD.contains(&self.tasks_per_thread) {
            return Err(Error::param(
                "tasks",
                format!("must be one of {TASKS_PER_THREAD:?}"),
            ));
        }
        if !GROUP_CHUNKS.contains(&self.group_chunks) {
            return Err(Error::param(
                "group",
                format!("must be one of {GROUP_CHUNKS:?}"),
            ));
        }
        Ok(())
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan::DEFAULT
    }
}

impl fmt::Display for Blocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.rows, self.vectors)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dense={},sparse={},sparse-below={},tasks={},group={}",
            match self.dense {
                DensePath::Gemm => "gemm",
                DensePath::Lanes => "lanes",
            },
            self.sparse,
            self.sparse_below,
            self.tasks_per_thread,
            self.group_chunks
        )
    }
}

impl FromStr for Plan {
    type Err = Error;

    /// `default`, or `key=value` pairs over [`Plan::DEFAULT`] (the [`Display`](fmt::Display)
    /// form); checked.
    fn from_str(s: &str) -> Result<Plan> {
        let mut plan = Plan::DEFAULT;
        let s = s.trim();
        if s == "default" {
            return Ok(plan);
        }
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Error::param(PLAN_ENV, format!("`{pair}` is not key=value")));
            };
            let number = |v: &str| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| Error::param(PLAN_ENV, format!("`{pair}`: not a whole number")))
            };
            match key.trim() {
                "dense" => {
                    plan.dense = match value.trim() {
                        "gemm" => DensePath::Gemm,
                        "lanes" => DensePath::Lanes,
                        _ => {
                            return Err(Error::param(
                                "dense",
                                format!("`{value}` is not gemm or lanes"),
                            ));
                        }
                    }
                }
                "sparse" => {
                    let Some((r, v)) = value.split_once('x') else {
                        return Err(Error::param(
                            PLAN_ENV,
                            format!("`{pair}`: not ROWSxVECTORS"),
                        ));
                    };
                    plan.sparse = Blocking {
                        rows: number(r)?,
                        vectors: number(v)?,
                    };
                }
                "sparse-below" => {
                    plan.sparse_below = value
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| Error::param(PLAN_ENV, format!("`{pair}`: not a number")))?;
                }
                "tasks" => plan.tasks_per_thread = number(value)?,
                "group" => plan.group_chunks = number(value)?,
                other => {
                    return Err(Error::param(
                        PLAN_ENV,
                        format!(
                            "unknown key `{other}` (dense, sparse, sparse-below, tasks, group)"
                        ),
                    ));
                }
            }
        }
        plan.check()?;
        Ok(plan)
    }
}

/// The plan of this process: the one [`PLAN_ENV`] pins, or else measured once, at the first call
/// (here or by a kernel), by [`Plan::measure`]. An error if the variable does not parse; the
/// kernels then run [`Plan::DEFAULT`].
pub fn plan() -> Result<Plan> {
    match PLAN.get_or_init(decide) {
        (plan, None) => Ok(*plan),
        (_, Some(message)) => Err(Error::param(PLAN_ENV, message.clone())),
    }
}

/// Sets the plan of this process, instead of [`PLAN_ENV`] or a measurement (a plan measured or
/// stored earlier, or [`Plan::DEFAULT`] for results that repeat to the bit across machines).
/// Only before the kernels first run: an error if the plan is already decided and differs, or if
/// `plan` is not one of the candidates.
pub fn set_plan(plan: Plan) -> Result<()> {
    plan.check()?;
    let decided = PLAN.get_or_init(|| (plan, None));
    if decided.0 == plan && decided.1.is_none() {
        Ok(())
    } else {
        Err(Error::param(
            "plan",
            format!("this process already runs the plan {}", decided.0),
        ))
    }
}

/// The plan the kernels run: [`plan`], or [`Plan::DEFAULT`] where the variable does not parse.
/// Unit tests run [`Plan::DEFAULT`] (those of a kernel's candidates give them explicitly), so
/// that which kernel a test reaches does not depend on a timing.
pub(crate) fn current() -> Plan {
    if cfg!(test) {
        return Plan::DEFAULT;
    }
    PLAN.get_or_init(decide).0
}

static PLAN: OnceLock<(Plan, Option<String>)> = OnceLock::new();

fn decide() -> (Plan, Option<String>) {
    match std::env::var(PLAN_ENV) {
        Ok(v) if !v.trim().is_empty() => match v.parse::<Plan>() {
            Ok(plan) => (plan, None),
            Err(e) => (Plan::DEFAULT, Some(format!("`{v}`: {e}"))),
        },
        _ => measure_isolated(),
    }
}

/// [`measure`] on a thread of its own with a pool of its own: a rayon worker that waited on its
/// own pool could meanwhile pick up another task that asks for the plan being decided.
fn measure_isolated() -> (Plan, Option<String>) {
    let threads = rayon::current_num_threads();
    let plan = std::thread::scope(|s| {
        s.spawn(
            || match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(pool) => pool.install(measure),
                Err(_) => Plan::DEFAULT,
            },
        )
        .join()
        .unwrap_or(Plan::DEFAULT)
    });
    (plan, None)
}

/// Total time the measurement may take on a quiet machine.
const BUDGET: Duration = Duration::from_millis(50);

/// The best time of `reps` runs of `f`.
fn best_of(reps: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm the caches and the scratch
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or(Duration::MAX)
}

/// Deterministic test data: `n` values in [-1, 1).
fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5) - 1.0)
        .collect()
}

#[cfg(target_arch = "x86_64")]
fn measure() -> Plan {
    use crate::kernels::{gemm, isa, sparse};
    let start = Instant::now();
    let mut plan = Plan::DEFAULT;
    let Some(isa) = isa::isa() else {
        return plan;
    };
    // The blockings of the kernel over transposed weights ranked on a first layer's shape in
    // small, dense inputs.
    let (rows, inputs, outputs) = (48, 2048, 128);
    let w = values(outputs * inputs, 1);
    let b = values(outputs, 2);
    let dense = |n: usize| -> Vec<f32> { values(n, 3).iter().map(|v| v.abs() + 0.01).collect() };
    let x = dense(rows * inputs);
    let wt = sparse::transpose(&w, outputs, inputs);
    let mut out = vec![0.0f32; rows * outputs];
    let (mut sparse_time, mut last) = (Duration::MAX, Duration::ZERO);
    for blocking in BLOCKINGS {
        if start.elapsed() + 3 * last > BUDGET {
            break;
        }
        let t = best_of(2, || {
            sparse::product(isa, blocking, &wt, &b, &x, rows, &mut out);
        });
        last = t;
        if t < sparse_time {
            (sparse_time, plan.sparse) = (t, blocking);
        }
    }
    // Its share of non-zero values at which it ties with the dense kernel the plan runs, timed
    // on a batch about as tall as inference gives it, its weights beyond L2: the gemm crate
    // gains more from many rows than that kernel does, so on the small shape the two tied at
    // 100 % non-zero on Zen 2 (family 23), which sent the paper's dense 150 × 11,900 encode to
    // a kernel a third slower than the gemm crate; on this shape the tie is 0.84-0.87 there.
    let (rows, inputs) = (144, 6144);
    let w = values(outputs * inputs, 1);
    let wt = sparse::transpose(&w, outputs, inputs);
    let x = dense(rows * inputs);
    let mut out = vec![0.0f32; rows * outputs];
    let sparse_time = best_of(3, || {
        sparse::product(isa, plan.sparse, &wt, &b, &x, rows, &mut out);
    });
    let dense_time = if gemm::available() {
        best_of(3, || {
            gemm::product(&w, &b, &x, rows, &mut out);
        })
    } else {
        best_of(3, || {
            crate::kernels::lanes_product_with(
                isa,
                plan.tasks_per_thread,
                plan.group_chunks,
                &w,
                &b,
                &x,
                rows,
                None,
                &mut out,
            );
        })
    };
    // In hundredths, so that the text form gives it back exactly.
    let tie = dense_time.as_secs_f64() / sparse_time.as_secs_f64().max(1e-9);
    plan.sparse_below = (100.0 * tie).round().clamp(0.0, 100.0) / 100.0;
    // The dense kernel is not timed: the lane kernels round otherwise than the gemm crate, so a
    // choice by the clock would change results from run to run on a busy machine (a seed must
    // give the same bits). Lanes where the gemm crate cannot run here (`XRD_ISA=avx2` on an
    // AVX-512 machine), else gemm; `XRD_AE_PLAN=dense=lanes` pins the lane kernels.
    if !gemm::available() {
        plan.dense = DensePath::Lanes;
    }
    // The lane kernels: the split over a wide layer, then the grouping over many rows.
    let (rows, inputs, outputs) = (32, 1024, 1024);
    let w = values(outputs * inputs, 4);
    let b = values(outputs, 5);
    let x = values(rows * inputs, 6);
    let segments = [(0, inputs)];
    let mut out = vec![0.0f32; rows * outputs];
    let mut best = Duration::MAX;
    last = Duration::ZERO;
    for tasks in TASKS_PER_THREAD {
        // A candidate costs about three of its runs (a warm-up and two timed): stop before one
        // would end past the budget.
        if start.elapsed() + 3 * last > BUDGET {
            return plan;
        }
        let t = best_of(2, || {
            crate::kernels::lanes_product_with(
                isa,
                tasks,
                plan.group_chunks,
                &w,
                &b,
                &x,
                rows,
                Some(&segments),
                &mut out,
            );
        });
        last = t;
        if t < best {
            (best, plan.tasks_per_thread) = (t, tasks);
        }
    }
    let (rows, inputs, outputs) = (256, 1024, 128);
    let w = values(outputs * inputs, 7);
    let b = values(outputs, 8);
    let x = values(rows * inputs, 9);
    let mut out = vec![0.0f32; rows * outputs];
    // The same work per run as above: `last` carries over as the first estimate.
    let mut best = Duration::MAX;
    for group in GROUP_CHUNKS {
        // A candidate costs about three of its runs (a warm-up and two timed): stop before one
        // would end past the budget.
        if start.elapsed() + 3 * last > BUDGET {
            return plan;
        }
        let t = best_of(2, || {
            crate::kernels::lanes_product_with(
                isa,
                plan.tasks_per_thread,
                group,
                &w,
                &b,
                &x,
                rows,
                Some(&segments),
                &mut out,
            );
        });
        last = t;
        if t < best {
            (best, plan.group_chunks) = (t, group);
        }
    }
    plan
}

/// No vector kernels to plan elsewhere.
#[cfg(not(target_arch = "x86_64"))]
fn measure() -> Plan {
    let _ = (BUDGET, best_of(0, || {}), values(0, 0));
    Plan::DEFAULT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_parses_back() {
        for plan in [
            Plan::DEFAULT,
            Plan {
                dense: DensePath::Lanes,
                sparse: BLOCKINGS[2],
                sparse_below: 0.25,
                tasks_per_thread: 1,
                group_chunks: 16,
            },
        ] {
            assert_eq!(plan.to_string().parse::<Plan>().unwrap(), plan);
        }
        assert_eq!("default".parse::<Plan>().unwrap(), Plan::DEFAULT);
        let partial: Plan = "tasks=2, sparse=1x4".parse().unwrap();
        assert_eq!(partial.tasks_per_thread, 2);
        assert_eq!(
            partial.sparse,
            Blocking {
                rows: 1,
                vectors: 4
            }
        );
        assert_eq!(partial.group_chunks, Plan::DEFAULT.group_chunks);
    }

    #[test]
    fn a_plan_outside_the_candidates_is_refused_by_name() {
        for (text, name) in [
            ("sparse=3x8", "sparse"),
            ("sparse=2", PLAN_ENV),
            ("sparse-below=1.5", "sparse-below"),
            ("tasks=3", "tasks"),
            ("group=5", "group"),
            ("dense=blas", "dense"),
            ("threads=2", PLAN_ENV),
            ("tasks", PLAN_ENV),
            ("tasks=two", PLAN_ENV),
        ] {
            match text.parse::<Plan>() {
                Err(Error::InvalidParameter(p)) => assert_eq!(p.name, name, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    /// The measurement picks among the candidates (its timing is the benches' business).
    #[test]
    fn the_measured_plan_is_one_of_the_candidates() {
        let plan = Plan::measure();
        plan.check().unwrap();
    }
}
