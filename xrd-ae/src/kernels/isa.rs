//! Which instruction set the f32 kernels use, and the environment variable that caps it.

use std::sync::OnceLock;

/// The environment variable read once (at the first kernel call) to cap the instruction set of
/// the f32 kernels and of dense inference through the gemm crate (f32 and f64): `avx512`, `avx2`
/// or `portable`. A value above what the CPU has, an unknown
/// value or no value means the best the CPU has. It lets one machine run (and benchmark) every
/// path, e.g. `XRD_AE_ISA=avx2 cargo test -p xrd-ae` on an AVX-512 machine.
pub const ISA_ENV: &str = "XRD_AE_ISA";

/// The instruction set the f32 kernels of this process use (see [`instruction_set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum InstructionSet {
    /// The portable kernels (f64 training, other CPUs, or forced with [`ISA_ENV`]` = portable`,
    /// which also keeps dense inference off the gemm crate; `avx2` runs the crate's AVX2
    /// kernels).
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

/// The best instruction set this CPU runs (the one feature check of the crate).
pub(crate) fn detected() -> InstructionSet {
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

/// A vector build of the f32 kernels: the [`InstructionSet`]s above the portable one.
// Only the x86-64 kernels have vector builds.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    Avx512,
    Avx2,
}

impl Isa {
    /// The build for `set`; `None` for the portable kernels.
    pub(crate) fn of(set: InstructionSet) -> Option<Isa> {
        match set {
            InstructionSet::Avx512 => Some(Isa::Avx512),
            InstructionSet::Avx2 => Some(Isa::Avx2),
            InstructionSet::Portable => None,
        }
    }
}

/// The vector build the f32 kernels run here (the best this CPU has, capped by [`ISA_ENV`]), or
/// `None` for the portable kernels. Every kernel decides through this.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[inline]
pub(crate) fn isa() -> Option<Isa> {
    Isa::of(instruction_set())
}

/// Every vector build this CPU runs, best first, whatever [`ISA_ENV`] says (for tests that
/// compare the builds).
#[cfg(test)]
pub(crate) fn builds_here() -> Vec<Isa> {
    match Isa::of(detected()) {
        Some(Isa::Avx512) => vec![Isa::Avx512, Isa::Avx2],
        Some(Isa::Avx2) => vec![Isa::Avx2],
        None => Vec::new(),
    }
}
