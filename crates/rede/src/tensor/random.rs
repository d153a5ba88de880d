//! A seeded random generator that gives the same numbers on every machine:
//! ChaCha8 for the bits, and libm (not the platform's math library) for the
//! transcendental functions of the normal sampler.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Seeded, portable random numbers for initialisation, shuffling and dropout.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seed(seed: u64) -> Self {
        Rng { inner: ChaCha8Rng::seed_from_u64(seed), spare_normal: None }
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal sample (Box–Muller transform; pairs are used in turn).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // in (0, 1], so ln is finite
        let u2 = self.uniform();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare_normal = Some(r * libm::sin(theta));
        r * libm::cos(theta)
    }

    /// Uniform integer in `[0, n)` (n > 0), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        self.below_u64(n as u64) as usize
    }

    /// Uniform integer in `[0, n)`, without modulo bias; `n = 0` stands for 2^64 (every `u64`),
    /// so any span of 64-bit integers can be drawn from.
    pub fn below_u64(&mut self, n: u64) -> u64 {
        if n == 0 {
            return self.next_u64();
        }
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// Uniform integer in `[low, high]`, both included (`low ≤ high`), for any `i64` bounds.
    pub fn int_in(&mut self, low: i64, high: i64) -> i64 {
        // The span high − low + 1 lies in 1..=2^64; 2^64 wraps to 0, which below_u64 reads as 2^64.
        let span = (high as i128 - low as i128 + 1) as u64;
        (low as i128 + self.below_u64(span) as i128) as i64
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
        for _ in 0..10 {
            assert_eq!(a.normal().to_bits(), b.normal().to_bits());
        }
        assert_ne!(Rng::seed(7).next_u64(), Rng::seed(8).next_u64());
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::seed(1);
        let xs: Vec<f64> = (0..20000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn integers_over_the_whole_i64_range_can_be_drawn() {
        let mut r = Rng::seed(5);
        let draws: Vec<i64> = (0..64).map(|_| r.int_in(i64::MIN, i64::MAX)).collect();
        assert!(draws.iter().any(|&v| v < 0) && draws.iter().any(|&v| v > 0));
        assert!((0..100).all(|_| (-3..=2).contains(&r.int_in(-3, 2))));
        assert_eq!(r.int_in(i64::MAX, i64::MAX), i64::MAX);
        assert_eq!(r.int_in(i64::MIN, i64::MIN), i64::MIN);
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::seed(3).permutation(100);
        assert_ne!(p, (0..100).collect::<Vec<_>>());
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }
}
