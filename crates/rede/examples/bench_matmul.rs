//! Speed of f32 matrix products: one JSON line per size with the median GFLOP/s.
//!
//! Run with `cargo run --release -p rede --example bench_matmul`; the thread
//! count follows rayon (`RAYON_NUM_THREADS`). `bench/compare_matmul.sh` runs it
//! alternately with the PyTorch twin `bench/matmul_torch.py`.

use rede::{DType, Rng, Tensor};
use std::time::{Duration, Instant};

/// (m, k, n): an MLP layer on an MNIST batch, then two squares.
const SIZES: [(usize, usize, usize); 3] = [(128, 784, 512), (512, 512, 512), (1024, 1024, 1024)];

/// Each size is timed for at least this long (and at least `MIN_REPS` times).
const MIN_TIME: Duration = Duration::from_millis(1500);
const MIN_REPS: usize = 10;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> rede::Result<()> {
    let mut rng = Rng::seed(7);
    for (m, k, n) in SIZES {
        let a = Tensor::rand_uniform(&[m, k], -1.0, 1.0, DType::F32, &mut rng);
        let b = Tensor::rand_uniform(&[k, n], -1.0, 1.0, DType::F32, &mut rng);
        // Warm-up: page in the buffers and start the thread pool.
        for _ in 0..3 {
            a.matmul(&b)?;
        }
        let flops = 2.0 * (m * k * n) as f64;
        let mut rates = Vec::new();
        let start = Instant::now();
        while rates.len() < MIN_REPS || start.elapsed() < MIN_TIME {
            let t = Instant::now();
            let c = a.matmul(&b)?;
            let secs = t.elapsed().as_secs_f64();
            std::hint::black_box(c);
            rates.push(flops / secs / 1e9);
        }
        println!(
            "{{\"impl\":\"rede\",\"m\":{m},\"k\":{k},\"n\":{n},\"threads\":{},\"reps\":{},\"gflops\":{:.2}}}",
            rayon::current_num_threads(),
            rates.len(),
            median(rates)
        );
    }
    Ok(())
}
