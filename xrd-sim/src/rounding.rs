//! Integer parts of floats by float-to-integer casts: without SSE4.1 in the baseline x86-64
//! target, `f64::floor` and `f64::round` are library calls, and these sit in the innermost loops
//! of orbits, distance checks and peak merging. [`floor`] and [`round_to_i64`] give exactly the
//! results of the library functions; [`nearest_integer`] is a cheaper tolerance helper.

/// Below this magnitude every f64 with a fractional part converts to i64 exactly.
const EXACT_CAST: f64 = 4_503_599_627_370_496.0; // 2⁵²

/// The integer nearest to x (halves up) for |x| < 2³⁰, by a float-to-integer cast; for
/// comparisons with a tolerance (the addition of 2³⁰ rounds x to about 2.4e-7). Larger |x|
/// (never a coordinate difference) fall back to `round`.
#[inline]
pub(crate) fn nearest_integer(x: f64) -> f64 {
    const OFFSET: f64 = 1_073_741_824.0; // 2³⁰
    if x.abs() < OFFSET {
        ((x + OFFSET + 0.5) as i64) as f64 - OFFSET
    } else {
        x.round()
    }
}

/// `x.floor()`, bit for bit (the sign of zero included).
#[inline]
pub(crate) fn floor(x: f64) -> f64 {
    // NaN, ±∞, ±0 and integers beyond 2⁵² are left to the library (their own floor).
    if x.abs() < EXACT_CAST && x != 0.0 {
        let t = (x as i64) as f64; // toward zero
        if t > x { t - 1.0 } else { t }
    } else {
        x.floor()
    }
}

/// `x.round() as i64` (halves away from zero), exactly.
#[inline]
pub(crate) fn round_to_i64(x: f64) -> i64 {
    if x.abs() < EXACT_CAST {
        let t = x as i64; // toward zero
        // Exact: x and t have the same sign and |x| < |t| + 1 ≤ 2|t| (or t = 0).
        let frac = x - t as f64;
        t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5)
    } else {
        x.round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_integer_agrees_with_round() {
        for x in [
            -2.7, -1.5, -0.5000001, -0.4999, -0.0, 0.0, 0.3, 0.5, 0.7, 1.5, 2.4999, 1e9,
        ] {
            assert_eq!(nearest_integer(x), (x + 0.5f64).floor(), "{x}");
        }
        assert_eq!(nearest_integer(1e12 + 0.3), 1e12);
    }

    #[test]
    fn floor_and_round_match_the_library_bit_for_bit() {
        let mut special = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            1.0 - f64::EPSILON / 2.0,
            -1e-300,
            1e-300,
            EXACT_CAST - 0.5,
            -(EXACT_CAST - 0.5),
            EXACT_CAST,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Random bit patterns of every magnitude, and values near halves.
            special.push(f64::from_bits(state));
            let x = (state >> 11) as f64 / (1u64 << 20) as f64 - 4096.0;
            special.extend([x, x.trunc() + 0.5, x.trunc() - 0.5]);
        }
        for x in special {
            assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "{x:e}");
            assert_eq!(round_to_i64(x), x.round() as i64, "{x:e}");
        }
    }
}
