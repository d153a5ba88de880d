//! e^x for the inner loops of CPU kernels (the gate functions of recurrent
//! cells, softmax cross-entropy). For f32 it is a polynomial the vectorized
//! loops inline: a libm call per value, one lane at a time, cost more than the
//! rest of those loops. f64, which gradcheck uses, keeps the library's exact `exp`.

use crate::Element;

/// e^x, fast for f32 (see the module notes).
pub(crate) trait FastExp: Element {
    /// e^self.
    fn fast_exp(self) -> Self;
}

impl FastExp for f64 {
    #[inline(always)]
    fn fast_exp(self) -> f64 {
        self.exp()
    }
}

impl FastExp for f32 {
    #[inline(always)]
    fn fast_exp(self) -> f32 {
        exp_f32(self)
    }
}

/// e^x in f32 within about 2 ulp, branch-free: x = n·ln 2 + r with |r| ≤ ln 2 / 2,
/// e^r from a degree-7 polynomial (Cephes' `expf` coefficients), 2^n written
/// into the exponent bits. Inputs are clamped to where e^x is a normal f32.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // The shifted value's low bits hold n: read it there, not with `n as i32`,
    // whose saturating conversion the compiler does one lane at a time.
    let n_bits = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    e * f32::from_bits(((n_bits + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f32_exponential_is_within_two_ulp_and_finite_at_the_extremes() {
        let rel = |x: f32| ((exp_f32(x) as f64) / (x as f64).exp() - 1.0).abs();
        assert!((-80..80).all(|i| rel(i as f32 + 0.37) < 3e-7), "exp off by more than 2 ulp");
        assert!((-8000..8000).all(|i| rel(i as f32 * 0.01) < 3e-7), "exp off by more than 2 ulp on [-80, 80)");
        assert_eq!(exp_f32(0.0), 1.0);
        for x in [-1e30f32, -200.0, -87.5] {
            let e = exp_f32(x);
            assert!((0.0..1e-37).contains(&e), "{x}: {e}");
        }
        for x in [88.5f32, 200.0, 1e30] {
            let e = exp_f32(x);
            assert!(e.is_finite() && e > 1e38, "{x}: {e}");
        }
    }
}
