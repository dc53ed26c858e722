//! The one CPU-feature probe of the workspace: which vector instruction set the kernels of every
//! crate use (xrd-ae's networks, xrd-sim's powder profiles and structure factors, xrd-relevance's
//! exact relevance, xrd-classify's input transform), and the environment variable that caps it.
//!
//! ```
//! use xrd_core::cpu::{InstructionSet, instruction_set};
//! // Whatever this machine has, the portable kernels are always allowed.
//! assert!(instruction_set() >= InstructionSet::Portable);
//! ```

use std::sync::OnceLock;

/// The environment variable read once per process (at the first kernel call) to cap the
/// instruction set of every kernel of the workspace: `avx512`, `avx2` or `portable`. A value above
/// what the CPU has, an unknown value or no value means the best the CPU has. It lets one machine
/// run (and benchmark) every path, e.g. `XRD_ISA=avx2 cargo test --workspace` on an AVX-512
/// machine.
pub const ISA_ENV: &str = "XRD_ISA";

/// The variable's former name (xrd-ae's), still honoured when [`ISA_ENV`] is not set.
pub const ISA_ENV_ALIAS: &str = "XRD_AE_ISA";

/// A vector instruction set of the kernels, ordered from the least to the most capable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum InstructionSet {
    /// The portable kernels (other CPUs, or forced with [`ISA_ENV`]` = portable`).
    Portable,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// x86-64 AVX-512F (with AVX2 and FMA).
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

    /// The set a value of [`ISA_ENV`] names (None for an unknown value).
    pub fn from_name(name: &str) -> Option<InstructionSet> {
        match name {
            "portable" => Some(InstructionSet::Portable),
            "avx2" => Some(InstructionSet::Avx2),
            "avx512" => Some(InstructionSet::Avx512),
            _ => None,
        }
    }
}

/// The instruction set the kernels of this process use: the best this CPU runs, capped by
/// [`ISA_ENV`] (or [`ISA_ENV_ALIAS`]); decided once per process.
pub fn instruction_set() -> InstructionSet {
    static CHOSEN: OnceLock<InstructionSet> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cap = std::env::var(ISA_ENV)
            .or_else(|_| std::env::var(ISA_ENV_ALIAS))
            .ok()
            .and_then(|v| InstructionSet::from_name(&v))
            .unwrap_or(InstructionSet::Avx512);
        detected().min(cap)
    })
}

/// Whether the kernels may use AVX2 (and FMA): [`instruction_set`] is at least
/// [`InstructionSet::Avx2`].
#[inline]
pub fn avx2() -> bool {
    instruction_set() >= InstructionSet::Avx2
}

/// The environment variable CI sets so that a test needing an instruction set fails instead of
/// skipping itself when the process does not run it ([`skip_without`]): `avx2` or `avx512`.
pub const REQUIRE_ENV: &str = "XRD_REQUIRE_ISA";

/// For tests of a vector path: whether to skip, because this process does not run `needed`
/// ([`instruction_set`], so also under an [`ISA_ENV`] cap). Says so on stderr — and panics
/// instead when [`REQUIRE_ENV`] names `needed` or more, so that CI cannot pass a test that ran
/// nothing.
///
/// # Panics
/// When the test would be skipped while [`REQUIRE_ENV`] requires `needed`.
pub fn skip_without(needed: InstructionSet, test: &str) -> bool {
    let running = instruction_set();
    if running >= needed {
        return false;
    }
    let required = std::env::var(REQUIRE_ENV)
        .ok()
        .and_then(|v| InstructionSet::from_name(&v));
    assert!(
        required.is_none_or(|r| r < needed),
        "{test} needs {} but this process runs {} ({REQUIRE_ENV} requires it)",
        needed.name(),
        running.name()
    );
    eprintln!(
        "{test}: skipped, needs {} (this process runs {})",
        needed.name(),
        running.name()
    );
    true
}

/// The best instruction set this CPU runs, whatever [`ISA_ENV`] says (for tests that compare the
/// builds).
pub fn detected() -> InstructionSet {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return InstructionSet::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return InstructionSet::Avx2;
        }
    }
    InstructionSet::Portable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for set in [
            InstructionSet::Portable,
            InstructionSet::Avx2,
            InstructionSet::Avx512,
        ] {
            assert_eq!(InstructionSet::from_name(set.name()), Some(set));
        }
        assert_eq!(InstructionSet::from_name("sse"), None);
        assert!(InstructionSet::Portable < InstructionSet::Avx2);
        assert!(InstructionSet::Avx2 < InstructionSet::Avx512);
        assert!(instruction_set() <= detected());
        // Nothing is needed beyond the portable kernels: never a skip.
        assert!(!skip_without(InstructionSet::Portable, "portable"));
    }
}
