//! A user-defined module: a residual MLP written with `#[derive(Module)]`, trained
//! to fit y = sin(3x)·x, saved with `state_dict`, loaded into a fresh instance
//! (other random weights), and checked to give identical outputs. Exits non-zero
//! if the loaded model differs or the fit is poor.
//!
//! ```sh
//! cargo run --release -p rede --example custom_module
//! ```

use rede::nn::{loss, LayerNorm, Linear, Module, StateDict};
use rede::optim::{Adam, AdamConfig, Optimizer};
use rede::{no_grad, DType, Rng, Tensor};

/// x + W₂·gelu(W₁·LN(x)).
#[derive(Module)]
#[module(forward = residual)]
struct ResidualBlock {
    norm: LayerNorm,
    inner: Linear,
    outer: Linear,
}

impl ResidualBlock {
    fn new(width: usize, rng: &mut Rng) -> rede::Result<ResidualBlock> {
        Ok(ResidualBlock {
            norm: LayerNorm::new(&[width])?,
            inner: Linear::new(width, 2 * width, rng)?,
            outer: Linear::new(2 * width, width, rng)?,
        })
    }

    fn residual(&self, x: &Tensor) -> rede::Result<Tensor> {
        x.add(&self.outer.forward(&self.inner.forward(&self.norm.forward(x)?)?.gelu())?)
    }
}

/// Input projection, a stack of residual blocks, output projection.
#[derive(Module)]
#[module(forward = predict)]
struct ResidualMlp {
    input: Linear,
    blocks: Vec<ResidualBlock>,
    output: Linear,
}

impl ResidualMlp {
    fn new(width: usize, depth: usize, seed: u64) -> rede::Result<ResidualMlp> {
        let rng = &mut Rng::seed(seed);
        Ok(ResidualMlp {
            input: Linear::new(1, width, rng)?,
            blocks: (0..depth).map(|_| ResidualBlock::new(width, rng)).collect::<rede::Result<_>>()?,
            output: Linear::new(width, 1, rng)?,
        })
    }

    fn predict(&self, x: &Tensor) -> rede::Result<Tensor> {
        let mut h = self.input.forward(x)?;
        for block in &self.blocks {
            h = block.forward(&h)?;
        }
        self.output.forward(&h)
    }
}

/// Points of y = sin(3x)·x on [−2, 2].
fn data(n: usize) -> rede::Result<(Tensor, Tensor)> {
    let x = Tensor::linspace(-2.0, 2.0, n, DType::F32).reshape(&[n, 1])?;
    let y = x.mul_scalar(3.0).sin().mul(&x)?;
    Ok((x, y))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let model = ResidualMlp::new(32, 3, 0)?;
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    println!("{} parameters in {} tensors, e.g. {}", model.num_parameters(), names.len(), names[4]);
    let (x, y) = data(200)?;
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 3e-3, ..Default::default() })?;
    let mut mse = f64::NAN;
    for step in 1..=600 {
        let l = loss::mse_loss(&model.forward(&x)?, &y)?;
        optimizer.zero_grad();
        l.backward()?;
        optimizer.step()?;
        mse = l.item()?;
        if step % 150 == 0 {
            println!("step {step:>3}: mse {mse:.5}");
        }
    }

    let path = std::env::temp_dir().join(format!("rede-custom-module-{}.safetensors", std::process::id()));
    model.state_dict().save(&path)?;
    let fresh = ResidualMlp::new(32, 3, 1)?;
    let report = fresh.load_state_dict(&StateDict::load(&path)?, true)?;
    std::fs::remove_file(&path)?;
    println!("loaded into a fresh instance: {report}");

    let (probe, _) = data(57)?;
    let (before, after) = no_grad(|| -> rede::Result<_> {
        Ok((model.forward(&probe)?.to_vec_f32(), fresh.forward(&probe)?.to_vec_f32()))
    })?;
    if before != after {
        return Err("the loaded model's outputs differ from the trained model's".into());
    }
    if mse > 0.01 {
        return Err(format!("the fit is poor: mse {mse:.4} after training").into());
    }
    println!("identical outputs on {} new points; final mse {mse:.5}", before.len());
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("custom_module: {e}");
        std::process::exit(1);
    }
}
