//! Small synthetic datasets for trying models, drawn from a seeded [`Rng`]
//! (the same seed gives the same data on every machine). Classification sets
//! have f32 features `[n, 2]` and class indices `[n]`, in shuffled order;
//! `noise` is the standard deviation of Gaussian noise added to each coordinate.
//! The shapes follow scikit-learn's `make_moons`, `make_circles` and `make_blobs`.

use super::Dataset;
use crate::{Error, Result, Rng, Tensor};
use std::f64::consts::PI;

/// Two interleaving half circles (classes 0 and 1).
pub fn moons(n: usize, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    check("moons", n, 2, noise)?;
    let (n_outer, n_inner) = (n / 2, n - n / 2);
    let outer = (0..n_outer).map(|i| PI * fraction(i, n_outer)).map(|t| ([t.cos(), t.sin()], 0));
    let inner = (0..n_inner).map(|i| PI * fraction(i, n_inner)).map(|t| ([1.0 - t.cos(), 0.5 - t.sin()], 1));
    labelled(outer.chain(inner).collect(), noise, rng)
}

/// A large circle (class 0) around a smaller one of radius `factor` (class 1).
pub fn circles(n: usize, noise: f64, factor: f64, rng: &mut Rng) -> Result<Dataset> {
    check("circles", n, 2, noise)?;
    if !(factor > 0.0 && factor < 1.0) {
        return Err(Error::invalid("circles", format!("factor {factor} must be strictly between 0 and 1")));
    }
    let ring = |m: usize, radius: f64, class: usize| {
        (0..m).map(move |i| 2.0 * PI * i as f64 / m as f64).map(move |t| ([radius * t.cos(), radius * t.sin()], class))
    };
    labelled(ring(n / 2, 1.0, 0).chain(ring(n - n / 2, factor, 1)).collect(), noise, rng)
}

/// Two interleaved spirals (classes 0 and 1), each winding `turns` times
/// outwards from the centre to radius 1.
pub fn spirals(n: usize, noise: f64, turns: f64, rng: &mut Rng) -> Result<Dataset> {
    check("spirals", n, 2, noise)?;
    if !(turns > 0.0 && turns.is_finite()) {
        return Err(Error::invalid("spirals", format!("turns {turns} must be positive")));
    }
    let arm = |m: usize, class: usize| {
        (0..m).map(move |i| {
            let r = (i + 1) as f64 / m as f64; // from near the centre out to 1
            let angle = 2.0 * PI * turns * r + PI * class as f64;
            ([r * angle.cos(), r * angle.sin()], class)
        })
    };
    labelled(arm(n / 2, 0).chain(arm(n - n / 2, 1)).collect(), noise, rng)
}

/// Four clusters at (±1, ±1): class 0 where the coordinates have the same
/// sign, class 1 where they differ (the XOR problem).
pub fn xor(n: usize, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    check("xor", n, 4, noise)?;
    const CORNERS: [([f64; 2], usize); 4] = [([1.0, 1.0], 0), ([-1.0, -1.0], 0), ([1.0, -1.0], 1), ([-1.0, 1.0], 1)];
    labelled((0..n).map(|i| CORNERS[i % 4]).collect(), noise, rng)
}

/// `centers` Gaussian clusters (classes `0..centers`) of standard deviation
/// `std` around centres drawn uniformly in `[−10, 10]²`.
pub fn blobs(n: usize, centers: usize, std: f64, rng: &mut Rng) -> Result<Dataset> {
    check("blobs", n, centers.max(1), std)?;
    if centers == 0 {
        return Err(Error::invalid("blobs", "need at least one centre"));
    }
    let middles: Vec<[f64; 2]> =
        (0..centers).map(|_| [rng.uniform() * 20.0 - 10.0, rng.uniform() * 20.0 - 10.0]).collect();
    labelled((0..n).map(|i| (middles[i % centers], i % centers)).collect(), std, rng)
}

/// Regression: `x` uniform in `[−π, π]` `[n, 1]` and `y = sin x` plus noise `[n, 1]`.
pub fn sine(n: usize, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    check("sine", n, 1, noise)?;
    let x: Vec<f32> = (0..n).map(|_| (PI * (2.0 * rng.uniform() - 1.0)) as f32).collect();
    let y: Vec<f32> = x.iter().map(|&x| ((x as f64).sin() + noise * rng.normal()) as f32).collect();
    Dataset::new(Tensor::from_vec(x, &[n, 1])?, Tensor::from_vec(y, &[n, 1])?)
}

/// `i / (m − 1)`, evenly spaced in `[0, 1]` (0 when there is one point).
fn fraction(i: usize, m: usize) -> f64 {
    if m > 1 {
        i as f64 / (m - 1) as f64
    } else {
        0.0
    }
}

fn check(op: &'static str, n: usize, min_n: usize, noise: f64) -> Result<()> {
    if n < min_n {
        return Err(Error::invalid(op, format!("need at least {min_n} samples, got {n}")));
    }
    if !(noise >= 0.0 && noise.is_finite()) {
        return Err(Error::invalid(op, format!("noise {noise} must be a finite number ≥ 0")));
    }
    Ok(())
}

/// Adds noise to the points, shuffles them, and packs them into a dataset.
fn labelled(points: Vec<([f64; 2], usize)>, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    let n = points.len();
    let order = rng.permutation(n);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for &i in &order {
        let ([a, b], class) = points[i];
        x.push((a + noise * rng.normal()) as f32);
        x.push((b + noise * rng.normal()) as f32);
        y.push(class as f32);
    }
    Dataset::new(Tensor::from_vec(x, &[n, 2])?, Tensor::from_vec(y, &[n])?)
}
