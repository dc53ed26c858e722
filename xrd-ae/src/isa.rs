//! Which instruction set the f32 kernels use, and the environment variable that caps it.

use std::sync::OnceLock;

/// The environment variable read once (at the first kernel call) to cap the instruction set of
/// the f32 kernels: `avx512`, `avx2` or `portable`. A value above what the CPU has, an unknown
/// value or no value means the best the CPU has. It lets one machine run (and benchmark) every
/// path, e.g. `XRD_AE_ISA=avx2 cargo test -p xrd-ae` on an AVX-512 machine.
pub const ISA_ENV: &str = "XRD_AE_ISA";

/// The instruction set the f32 kernels of this process use (see [`instruction_set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum InstructionSet {
    /// The portable kernels (f64, other CPUs, or forced with [`ISA_ENV`]` = portable`).
    Portable,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// x86-64 AVX-512F.
    Avx512,
}

impl InstructionSet {
    /// The name [`ISA_ENV`] takes for it.
    pub fn name(self) -> &'static str {
        match self {
            InstructionSet::Portable => "portable",
            InstructionSet::Avx2 => "avx2",
            InstructionSet::Avx512 => "avx512",
        }
    }
}

/// The instruction set of the f32 kernels: the best this CPU runs, capped by [`ISA_ENV`]; decided
/// once per process.
pub fn instruction_set() -> InstructionSet {
    static CHOSEN: OnceLock<InstructionSet> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cap = match std::env::var(ISA_ENV).as_deref() {
            Ok("portable") => InstructionSet::Portable,
            Ok("avx2") => InstructionSet::Avx2,
            _ => InstructionSet::Avx512,
        };
        detected().min(cap)
    })
}

/// The best instruction set this CPU runs.
fn detected() -> InstructionSet {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return InstructionSet::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return InstructionSet::Avx2;
        }
    }
    InstructionSet::Portable
}
