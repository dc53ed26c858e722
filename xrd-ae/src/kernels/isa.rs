//! Which vector build the f32 kernels use: the workspace's one CPU probe
//! ([`xrd_core::cpu`]), capped by its environment variable (`XRD_ISA`, or xrd-ae's former
//! `XRD_AE_ISA`).

pub use xrd_core::cpu::{ISA_ENV, InstructionSet, detected, instruction_set};

/// A vector build of the f32 kernels: the [`InstructionSet`]s above the portable one.
// Only the x86-64 kernels have vector builds.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    Avx512,
    Avx2,
}

impl Isa {
    /// The build for `set`; `None` for the portable kernels (and any set xrd-ae has no build
    /// for).
    pub(crate) fn of(set: InstructionSet) -> Option<Isa> {
        match set {
            InstructionSet::Avx512 => Some(Isa::Avx512),
            InstructionSet::Avx2 => Some(Isa::Avx2),
            _ => None,
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
    let builds = match Isa::of(detected()) {
        Some(Isa::Avx512) => vec![Isa::Avx512, Isa::Avx2],
        Some(Isa::Avx2) => vec![Isa::Avx2],
        None => Vec::new(),
    };
    // A comparison of no builds compares nothing: CI requires them.
    assert!(
        !builds.is_empty() || std::env::var_os(xrd_core::cpu::REQUIRE_ENV).is_none(),
        "no vector build on this CPU, and {} requires one",
        xrd_core::cpu::REQUIRE_ENV
    );
    builds
}
