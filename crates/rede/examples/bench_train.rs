//! Training speed on MNIST: one JSON line per epoch, then peak memory and GFLOP/s.
//!
//! ```sh
//! cargo run --release -p rede --example bench_train -- --model mlp --epochs 3 [--data-dir DIR] [--threads T]
//! ```
//!
//! Models: `mlp` (784-512-256-10), `lenet5`, and `lstm` / `gru` (128 hidden
//! units reading the image row by row, 28 steps of 28 pixels, the last step
//! into a linear layer).
//!
//! `epoch_s` times the training loop only (shuffle plus every mini-batch's
//! forward, backward and update); the test accuracy after each epoch is
//! measured outside that time. `bench/mlp_torch.py`, `bench/lenet5_torch.py`
//! and `bench/rnn_torch.py` are the PyTorch twins and `bench/compare_train.py`
//! runs rede and a twin alternately.
//!
//! Options: `--batch-size B` (128), `--seed S` (0), `--train-samples N` (a
//! prefix of the training set, for quick runs and profiling), `--random`
//! (random data of MNIST's shapes instead of the files), `--phases` (also
//! print, to stderr, the seconds spent in forward, backward and update),
//! `--device cpu|cuda|cuda:N` (cpu; a GPU needs a build with the `cuda`
//! feature: the data set is uploaded once and batches are gathered there).
//!
//! Models: `mlp` (784-512-256-10), `lenet5`, and `wide` (1024-4096-4096-10 on
//! random data, for GPU throughput; each epoch line also gives `step_ms`).

use rede::data::{Dataset, Mnist};
use rede::nn::loss::cross_entropy;
use rede::nn::{presets, Gru, LastStep, Linear, Lstm, Module, Relu, RnnConfig, Sequential};
use rede::optim::{Adam, AdamConfig, Optimizer};
use rede::train::on_pool;
use rede::{no_grad, DType, Device, Error, Result, Rng, Tensor};
use std::path::PathBuf;
use std::time::Instant;

/// Command-line settings.
struct Args {
    model: String,
    epochs: usize,
    data_dir: Option<PathBuf>,
    threads: usize,
    batch_size: usize,
    seed: u64,
    train_samples: Option<usize>,
    random: bool,
    phases: bool,
    device: Device,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        model: "mlp".into(),
        epochs: 3,
        data_dir: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        batch_size: 128,
        seed: 0,
        train_samples: None,
        random: false,
        phases: false,
        device: Device::Cpu,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--random" || flag == "--phases" {
            args.random |= flag == "--random";
            args.phases |= flag == "--phases";
            continue;
        }
        let value = it.next().ok_or_else(|| Error::invalid("bench_train", format!("{flag} needs a value")))?;
        let number = |v: &str| {
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| Error::invalid("bench_train", format!("{flag} needs a positive integer, got {v:?}")))
        };
        match flag.as_str() {
            "--model" => args.model = value,
            "--epochs" => args.epochs = number(&value)?,
            "--data-dir" => args.data_dir = Some(PathBuf::from(value)),
            "--threads" => args.threads = number(&value)?,
            "--batch-size" => args.batch_size = number(&value)?,
            "--seed" => args.seed = number(&value)? as u64,
            "--train-samples" => args.train_samples = Some(number(&value)?),
            "--device" => {
                args.device = value.parse()?;
                args.device.check_available()?;
            }
            _ => return Err(Error::invalid("bench_train", format!("unknown option {flag}"))),
        }
    }
    Ok(args)
}

/// A model to train, with its cost per training sample.
struct Bench {
    model: Box<dyn Module>,
    /// Floating-point operations of one sample's forward, backward and update
    /// (the matrix products; elementwise work is a rounding error beside them).
    flops_per_sample: f64,
    /// The shape of one input sample: `[784]` (flat), `[1, 28, 28]` (images),
    /// `[28, 28]` (sequences of rows) or `[1024]` (the wide MLP).
    sample_shape: &'static [usize],
    /// Trains on random data rather than MNIST (the wide MLP's inputs are not images).
    random_only: bool,
}

impl Bench {
    /// `n` flat samples reshaped for the model.
    fn shaped(&self, x: Tensor, n: usize) -> Result<Tensor> {
        let shape: Vec<usize> = [n].into_iter().chain(self.sample_shape.iter().copied()).collect();
        x.reshape(&shape)
    }

    /// Features per flat input row.
    fn width(&self) -> usize {
        self.sample_shape.iter().product()
    }
}

/// A linear layer initialised like PyTorch's `nn.Linear` (weight and bias uniform
/// in ±1/√in), so accuracy after a few epochs is comparable with the PyTorch twin.
fn torch_linear(inputs: usize, outputs: usize, rng: &mut Rng) -> Result<Linear> {
    let bound = 1.0 / (inputs as f64).sqrt();
    let weight = Tensor::rand_uniform(&[outputs, inputs], -bound, bound, DType::F32, rng);
    let bias = Tensor::rand_uniform(&[outputs], -bound, bound, DType::F32, rng);
    Linear::from_tensors(weight, Some(bias))
}

/// Multiply-adds ×2 of a fully connected network's training step per sample: the
/// forward product, the weight gradient and the input gradient of every layer but
/// the first (whose input needs no gradient).
fn dense_flops(widths: &[usize]) -> f64 {
    let products: Vec<f64> = widths.windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).collect();
    3.0 * products.iter().sum::<f64>() - products[0]
}

/// Multiply-adds ×2 of LeNet-5's training step per sample: forward, weight
/// gradient and input gradient of every layer but the first conv.
fn lenet5_flops() -> f64 {
    // (output elements × multiply-adds each) of conv1, conv2, fc1, fc2, fc3.
    let layers = [6.0 * 28.0 * 28.0 * 25.0, 16.0 * 10.0 * 10.0 * 150.0, 400.0 * 120.0, 120.0 * 84.0, 84.0 * 10.0];
    2.0 * (3.0 * layers.iter().sum::<f64>() - layers[0])
}

/// Multiply-adds ×2 of a recurrent classifier's training step per sample (`gates`
/// blocks, `steps` steps of `input` features, `hidden` units, `classes` outputs):
/// the input and recurrent products forward, their weight gradients, the
/// recurrent input gradient (the first layer's input needs none), and the
/// linear layer's three products.
fn recurrent_flops(gates: usize, steps: usize, input: usize, hidden: usize, classes: usize) -> f64 {
    let gh = (gates * hidden) as f64;
    let per_step = 2.0 * input as f64 * gh + 3.0 * hidden as f64 * gh;
    2.0 * (steps as f64 * per_step + 3.0 * (hidden * classes) as f64)
}

/// The LSTM or GRU classifier reading MNIST row by row, PyTorch's initialization.
fn recurrent_bench(name: &str, rng: &mut Rng) -> Result<Bench> {
    let config = RnnConfig::new(28, 128);
    let (rnn, gates): (Box<dyn Module>, usize) = match name {
        "lstm" => (Box::new(Lstm::new(config, rng)?), 4),
        _ => (Box::new(Gru::new(config, rng)?), 3),
    };
    let mut model = Sequential::new();
    model.push_boxed(rnn).push(LastStep).push(torch_linear(128, 10, rng)?);
    Ok(Bench {
        model: Box::new(model),
        flops_per_sample: recurrent_flops(gates, 28, 28, 128, 10),
        sample_shape: &[28, 28],
        random_only: false,
    })
}

/// Re-initializes every weight and bias uniformly in ±1/√fan_in, as PyTorch's
/// `nn.Conv2d` and `nn.Linear` do, so accuracy after a few epochs is comparable.
fn torch_init(model: &dyn Module, rng: &mut Rng) -> Result<()> {
    let mut fan_in = 1;
    for (name, p) in model.named_parameters() {
        if name.ends_with("weight") {
            fan_in = p.numel() / p.shape()[0];
        }
        let bound = 1.0 / (fan_in as f64).sqrt();
        p.assign(&Tensor::rand_uniform(p.shape(), -bound, bound, p.dtype(), rng))?;
    }
    Ok(())
}

/// Builds the named model. New models add an arm here.
fn build_model(name: &str, rng: &mut Rng) -> Result<Bench> {
    match name {
        "mlp" => {
            let widths = [784, 512, 256, 10];
            let model = Sequential::new()
                .with(torch_linear(widths[0], widths[1], rng)?)
                .with(Relu)
                .with(torch_linear(widths[1], widths[2], rng)?)
                .with(Relu)
                .with(torch_linear(widths[2], widths[3], rng)?);
            Ok(Bench {
                model: Box::new(model),
                flops_per_sample: dense_flops(&widths),
                sample_shape: &[784],
                random_only: false,
            })
        }
        "wide" => {
            let widths = [1024, 4096, 4096, 10];
            let model = Sequential::new()
                .with(torch_linear(widths[0], widths[1], rng)?)
                .with(Relu)
                .with(torch_linear(widths[1], widths[2], rng)?)
                .with(Relu)
                .with(torch_linear(widths[2], widths[3], rng)?);
            Ok(Bench {
                model: Box::new(model),
                flops_per_sample: dense_flops(&widths),
                sample_shape: &[1024],
                random_only: true,
            })
        }
        "lenet5" => {
            let model = presets::lenet5().build(rng)?;
            torch_init(&*model, rng)?;
            Ok(Bench { model, flops_per_sample: lenet5_flops(), sample_shape: &[1, 28, 28], random_only: false })
        }
        "lstm" | "gru" => recurrent_bench(name, rng),
        other => {
            Err(Error::invalid("bench_train", format!("unknown model {other:?} (known: mlp, lenet5, wide, lstm, gru)")))
        }
    }
}

/// MNIST (train, test), or random data of the same shapes with `--random`.
fn load_data(args: &Args, width: usize, random: bool) -> Result<(Dataset, Dataset)> {
    let (train, test) = if args.random || random {
        let mut rng = Rng::seed(1);
        let mut random = |n: usize| -> Result<Dataset> {
            let x = Tensor::rand_uniform(&[n, width], 0.0, 1.0, DType::F32, &mut rng);
            let y: Vec<f32> = (0..n).map(|_| rng.below(10) as f32).collect();
            Dataset::new(x, Tensor::from_vec(y, &[n])?)
        };
        (random(args.train_samples.unwrap_or(60_000))?, random(1000)?)
    } else {
        let mnist = Mnist::load(args.data_dir.as_deref())?;
        (mnist.train()?, mnist.test()?)
    };
    let train = match args.train_samples {
        Some(n) if n < train.len() => Dataset::new(train.x.narrow(0, 0, n)?, train.y.narrow(0, 0, n)?)?,
        _ => train,
    };
    Ok((train, test))
}

/// Reusable input and target buffers for one mini-batch, filled in place
/// from the (contiguous) data set so the loop allocates no batch tensors.
struct BatchBuffers {
    x: Tensor,
    y: Tensor,
    row: usize,
}

impl BatchBuffers {
    fn new(batch_size: usize, data: &Dataset) -> BatchBuffers {
        let row = data.x.numel() / data.len();
        BatchBuffers {
            x: Tensor::zeros(&[batch_size, row], DType::F32),
            y: Tensor::zeros(&[batch_size], DType::F32),
            row,
        }
    }

    /// Copies the samples `indices` and returns `(x, y)` views of that many rows.
    fn fill(&self, data: &Dataset, indices: &[usize]) -> Result<(Tensor, Tensor)> {
        let row = self.row;
        data.x.with_data(|src: &[f32]| {
            self.x.with_data_mut(|dst: &mut [f32]| {
                for (d, &i) in dst.chunks_exact_mut(row).zip(indices) {
                    d.copy_from_slice(&src[i * row..(i + 1) * row]);
                }
            })
        })??;
        data.y.with_data(|src: &[f32]| {
            self.y.with_data_mut(|dst: &mut [f32]| {
                for (d, &i) in dst.iter_mut().zip(indices) {
                    *d = src[i];
                }
            })
        })??;
        let n = indices.len();
        Ok((self.x.narrow(0, 0, n)?, self.y.narrow(0, 0, n)?))
    }
}

/// Seconds an epoch spent in each phase of the step (for `--phases`).
#[derive(Default)]
struct Phases {
    batch: f64,
    forward: f64,
    backward: f64,
    update: f64,
}

/// Seconds since `*mark`, moving the mark to now.
fn lap(mark: &mut Instant) -> f64 {
    let now = Instant::now();
    let secs = (now - *mark).as_secs_f64();
    *mark = now;
    secs
}

/// Waits until the device has run every queued kernel, by reading one
/// parameter value back (a copy queued behind them); nothing to wait for on the CPU.
fn wait_for_device(bench: &Bench) -> Result<()> {
    if bench.model.device().is_cuda() {
        let first = &bench.model.parameters()[0];
        first.reshape(&[first.numel()])?.narrow(0, 0, 1)?.to_vec_f32();
    }
    Ok(())
}

/// One epoch of Adam on shuffled mini-batches; returns the seconds it took and their split.
/// On a GPU the batches are gathered from the uploaded data set, and the phases
/// are the time to queue each phase's kernels.
fn train_epoch(
    bench: &Bench,
    opt: &mut Adam,
    data: &Dataset,
    buffers: &BatchBuffers,
    batch_size: usize,
    rng: &mut Rng,
) -> Result<(f64, Phases)> {
    let start = Instant::now();
    let mut phases = Phases::default();
    let mut mark = start;
    let order = rng.permutation(data.len());
    for indices in order.chunks(batch_size) {
        let (x, y) = match data.x.device() {
            Device::Cpu => buffers.fill(data, indices)?,
            _ => data.subset(indices).map(|d| (d.x, d.y))?,
        };
        let x = bench.shaped(x, indices.len())?;
        phases.batch += lap(&mut mark);
        // The step runs on a pool worker, as `Trainer` runs it (see `rede::train::on_pool`).
        mark = on_pool(|| step(bench, opt, &x, &y, &mut phases, mark))?;
    }
    wait_for_device(bench)?;
    Ok((start.elapsed().as_secs_f64(), phases))
}

/// Forward, backward and update of one batch, adding each phase's seconds to `phases`.
fn step(
    bench: &Bench,
    opt: &mut Adam,
    x: &Tensor,
    y: &Tensor,
    phases: &mut Phases,
    mut mark: Instant,
) -> Result<Instant> {
    let loss = cross_entropy(&bench.model.forward(x)?, y)?;
    phases.forward += lap(&mut mark);
    opt.zero_grad();
    loss.backward()?;
    phases.backward += lap(&mut mark);
    opt.step()?;
    phases.update += lap(&mut mark);
    Ok(mark)
}

/// Fraction of `data` classified correctly, evaluated in batches without a graph.
fn accuracy(bench: &Bench, data: &Dataset) -> Result<f64> {
    const CHUNK: usize = 1000;
    no_grad(|| {
        let mut correct = 0;
        for start in (0..data.len()).step_by(CHUNK) {
            let n = CHUNK.min(data.len() - start);
            let x = data.x.narrow(0, start, n)?;
            let x = bench.shaped(x, n)?;
            let predicted = bench.model.forward(&x)?.argmax(1)?.to_vec_f32();
            let labels = data.y.narrow(0, start, n)?.to_vec_f32();
            correct += predicted.iter().zip(&labels).filter(|(p, l)| p == l).count();
        }
        Ok(correct as f64 / data.len() as f64)
    })
}

/// The process's peak resident memory in MiB (VmHWM), if the system reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn run(args: &Args) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build_global()
        .map_err(|e| Error::invalid("bench_train", e.to_string()))?;
    let mut rng = Rng::seed(args.seed);
    let bench = build_model(&args.model, &mut rng)?;
    let (train, test) = load_data(args, bench.width(), bench.random_only)?;
    // The model moves before the optimizer is made, so Adam's state is made there too.
    bench.model.to_device(args.device)?;
    let (train, test) = (train.to_device(args.device)?, test.to_device(args.device)?);
    let mut opt = Adam::new(bench.model.parameters(), AdamConfig::default())?;
    let buffers = BatchBuffers::new(if args.device.is_cuda() { 0 } else { args.batch_size }, &train);
    let steps = train.len().div_ceil(args.batch_size);
    let framework = format!("rede-{}", env!("CARGO_PKG_VERSION"));
    let mut times = Vec::new();
    for epoch in 1..=args.epochs {
        let (epoch_s, phases) = train_epoch(&bench, &mut opt, &train, &buffers, args.batch_size, &mut rng)?;
        if args.phases {
            eprintln!(
                "{{\"epoch\": {epoch}, \"batch_s\": {:.4}, \"forward_s\": {:.4}, \"backward_s\": {:.4}, \"update_s\": {:.4}}}",
                phases.batch, phases.forward, phases.backward, phases.update
            );
        }
        let test_acc = accuracy(&bench, &test)?;
        times.push(epoch_s);
        println!(
            "{{\"framework\": \"{framework}\", \"device\": \"{}\", \"model\": \"{}\", \"threads\": {}, \"batch_size\": {}, \"epoch\": {epoch}, \"epoch_s\": {epoch_s:.4}, \"step_ms\": {:.3}, \"test_acc\": {test_acc:.4}}}",
            args.device, args.model, args.threads, args.batch_size, 1e3 * epoch_s / steps as f64
        );
    }
    let flops = bench.flops_per_sample * train.len() as f64;
    println!(
        "{{\"framework\": \"{framework}\", \"peak_rss_mb\": {:.1}, \"gflops\": {:.1}, \"epoch_gflop\": {:.1}}}",
        peak_rss_mib().unwrap_or(f64::NAN),
        flops / median(times) / 1e9,
        flops / 1e9
    );
    Ok(())
}

fn main() {
    if let Err(e) = parse_args().and_then(|args| run(&args)) {
        eprintln!("bench_train: {e}");
        std::process::exit(1);
    }
}
