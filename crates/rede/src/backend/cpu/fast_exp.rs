//! e^x for the inner loops of CPU kernels (the gate functions of recurrent
//! cells, softmax cross-entropy). For f32 it is a polynomial the vectorized
//! loops inline: a libm call per value, one lane at a time, cost more than the
//! rest of those loops. f64, which gradcheck uses, keeps the library's exact `exp`.

use crate::Element;

/// e^x, fast for f32 (see the module notes).
pub(crate) trait FastExp: Element {
    /// e^self; with `FMA` its multiply-adds fused (see [`madd`]).
    fn fast_exp<const FMA: bool>(self) -> Self;
}

impl FastExp for f64 {
    #[inline(always)]
    fn fast_exp<const FMA: bool>(self) -> f64 {
        self.exp()
    }
}

impl FastExp for f32 {
    #[inline(always)]
    fn fast_exp<const FMA: bool>(self) -> f32 {
        exp_f32::<FMA>(self)
    }
}

/// a·b + c: with `FMA` one fused multiply-add (a quarter fewer instructions
/// in the gate functions), else a product and a sum. Only code compiled for
/// CPUs with FMA instructions (the AVX-512 paths) may ask for it: elsewhere
/// `mul_add` is a libm call per value, which no loop vectorizes.
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// e^x in f32 within about 2 ulp, branch-free: x = n·ln 2 + r with |r| ≤ ln 2 / 2,
/// e^r from a degree-7 polynomial (Cephes' `expf` coefficients), 2^n written
/// into the exponent bits. Inputs are clamped to where e^x is a normal f32.
#[inline(always)]
pub(crate) fn exp_f32<const FMA: bool>(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = madd::<FMA>(x, std::f32::consts::LOG2_E, ROUND);
    let n = shifted - ROUND;
    let r = madd::<FMA>(n, -LN2_LO, madd::<FMA>(n, -LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        p = madd::<FMA>(p, r, c);
    }
    let e = madd::<FMA>(p * r, r, r) + 1.0;
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
        exponential_is_within_two_ulp_and_finite_at_the_extremes::<false>();
        exponential_is_within_two_ulp_and_finite_at_the_extremes::<true>();
    }

    fn exponential_is_within_two_ulp_and_finite_at_the_extremes<const FMA: bool>() {
        let exp_f32 = exp_f32::<FMA>;
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
