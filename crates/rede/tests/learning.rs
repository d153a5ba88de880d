//! End-to-end learning on the course's two classic demonstrations: XOR needs a
//! hidden layer, and one hidden layer approximates a smooth function.

use rede::data::{synthetic, Dataset};
use rede::nn::{loss, mlp, Activation, Module};
use rede::optim::{Adam, AdamConfig};
use rede::train::{Task, TrainConfig, Trainer};
use rede::{no_grad, DType, Rng, Tensor};

fn fit(model: &mut dyn Module, data: &Dataset, lr: f64, epochs: usize, batch: usize, bce: bool) {
    let mut opt = Adam::new(model.parameters(), AdamConfig::default().lr(lr)).unwrap();
    let config = TrainConfig { epochs, batch_size: batch, task: Task::Regression, ..Default::default() };
    let loss_fn = if bce { loss::binary_cross_entropy_with_logits } else { loss::mse_loss };
    Trainer::new(config, loss_fn).fit(model, &mut opt, data, None).unwrap();
}

#[test]
fn a_hidden_layer_learns_xor_and_a_single_neuron_cannot() {
    let x = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]).unwrap();
    let y = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[4, 1]).unwrap();
    let data = Dataset::new(x.clone(), y).unwrap();
    let correct = |model: &dyn Module| {
        let p = no_grad(|| model.forward(&x).unwrap().sigmoid().to_vec_f32());
        p.iter().zip([0.0, 1.0, 1.0, 0.0]).filter(|(p, t)| (*p - t).abs() < 0.5).count()
    };
    let mut net = mlp(&[2, 2, 1], Activation::Sigmoid, &mut Rng::seed(5)).unwrap();
    fit(&mut net, &data, 0.1, 3000, 4, true);
    assert_eq!(correct(&net), 4);
    let mut neuron = mlp(&[2, 1], Activation::Sigmoid, &mut Rng::seed(5)).unwrap();
    fit(&mut neuron, &data, 0.1, 3000, 4, true);
    assert!(correct(&neuron) < 4, "a linear classifier cannot separate XOR");
}

#[test]
fn one_hidden_layer_approximates_sine() {
    let mut rng = Rng::seed(7);
    let data = synthetic::sine(512, 0.0, &mut rng).unwrap();
    let mut net = mlp(&[1, 16, 1], Activation::Tanh, &mut rng).unwrap();
    fit(&mut net, &data, 0.01, 300, 64, false);
    let x = Tensor::linspace(-3.0, 3.0, 61, DType::F32).reshape(&[61, 1]).unwrap();
    let fit = no_grad(|| net.forward(&x).unwrap().to_vec_f32());
    let worst = x.to_vec_f32().iter().zip(&fit).map(|(x, f)| (x.sin() - f).abs()).fold(0.0f32, f32::max);
    assert!(worst < 0.1, "largest error {worst}");
}
