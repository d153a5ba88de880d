//! The universal approximation theorem made visible: one hidden layer of tanh
//! units fits sin(x) on [−π, π]. Prints the curve next to the network's fit.
//!
//! `cargo run --release -p rede --example sine [HIDDEN_UNITS]`

use rede::data::synthetic;
use rede::nn::{loss, mlp, Activation, Module};
use rede::optim::{Adam, AdamConfig};
use rede::train::{Task, TrainConfig, Trainer};
use rede::{no_grad, DType, Rng, Tensor};

fn main() -> rede::Result<()> {
    let hidden: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let mut rng = Rng::seed(7);
    let data = synthetic::sine(512, 0.0, &mut rng)?;
    let mut model = mlp(&[1, hidden, 1], Activation::Tanh, &mut rng)?;
    let mut optimizer = Adam::new(model.parameters(), AdamConfig::default().lr(0.01))?;
    let config = TrainConfig { epochs: 300, batch_size: 64, task: Task::Regression, ..Default::default() };
    Trainer::new(config, loss::mse_loss).fit(&mut model, &mut optimizer, &data, None)?;

    let x = Tensor::linspace(-std::f64::consts::PI, std::f64::consts::PI, 13, DType::F32).reshape(&[13, 1])?;
    let fit = no_grad(|| model.forward(&x))?.to_vec_f32();
    let mut worst: f32 = 0.0;
    println!("{hidden} tanh units\n     x   sin(x)  network");
    for (xv, f) in x.to_vec_f32().into_iter().zip(fit) {
        worst = worst.max((xv.sin() - f).abs());
        let bar = |v: f32| ((v + 1.0) * 15.0).round() as usize;
        let mut line = vec![b' '; 32];
        line[bar(xv.sin()).min(31)] = b'o';
        line[bar(f).min(31)] = b'+';
        println!("{xv:6.2} {:8.4} {f:8.4}  |{}|", xv.sin(), String::from_utf8_lossy(&line));
    }
    println!("largest error on the grid: {worst:.4} (o = sin, + = network)");
    Ok(())
}
