//! The fit loop, with a tiny linear model defined here and plain SGD.

use rede::data::Dataset;
use rede::nn::Module;
use rede::optim::{Sgd, SgdConfig};
use rede::train::{EarlyStopping, Monitor, Task, TrainConfig, Trainer};
use rede::{DType, Result, Rng, Tensor};

struct Affine {
    w: Tensor,
    b: Tensor,
}

impl Affine {
    fn new(inputs: usize, outputs: usize) -> Self {
        let w = Tensor::rand_normal(&[inputs, outputs], 0.0, 0.1, DType::F32, &mut Rng::seed(5)).requires_grad_();
        Affine { w, b: Tensor::zeros(&[outputs], DType::F32).requires_grad_() }
    }
}

impl Module for Affine {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.w)?.add(&self.b)
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("w".into(), self.w.clone()), ("b".into(), self.b.clone())]
    }
}

fn mse(out: &Tensor, y: &Tensor) -> Result<Tensor> {
    out.reshape(y.shape())?.sub(y)?.square().mean_all()
}

/// y = 2·x0 − x1 + 0.5 with a little noise.
fn line_data(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::seed(seed);
    let x = Tensor::rand_uniform(&[n, 2], -1.0, 1.0, DType::F32, &mut rng);
    let v = x.to_vec_f32();
    let y: Vec<f32> = v.chunks(2).map(|r| 2.0 * r[0] - r[1] + 0.5 + 0.01 * rng.normal() as f32).collect();
    Dataset::new(x, Tensor::from_vec(y, &[n]).unwrap()).unwrap()
}

fn run(config: TrainConfig, lr: f64) -> Result<(Affine, rede::train::History)> {
    let mut model = Affine::new(2, 1);
    let mut opt = Sgd::new(model.parameters(), SgdConfig::default().lr(lr))?;
    let history = Trainer::new(config, mse).fit(&mut model, &mut opt, &line_data(200, 1), None)?;
    Ok((model, history))
}

#[test]
fn learns_a_line_and_reports_validation() {
    let config = TrainConfig {
        epochs: 60,
        batch_size: 16,
        validation_fraction: 0.2,
        task: Task::Regression,
        ..Default::default()
    };
    let (model, history) = run(config, 0.1).unwrap();
    let w = model.w.to_vec_f32();
    assert!((w[0] - 2.0).abs() < 0.05 && (w[1] + 1.0).abs() < 0.05, "w = {w:?}");
    let last = history.epochs.last().unwrap();
    assert!(last.val_score.unwrap() > 0.99, "R² {:?}", last.val_score);
    assert!(last.train_loss < history.epochs[0].train_loss / 10.0);
}

#[test]
fn same_seed_same_run() {
    let config = TrainConfig { epochs: 3, batch_size: 8, task: Task::Regression, ..Default::default() };
    let (a, _) = run(config.clone(), 0.05).unwrap();
    let (b, _) = run(config, 0.05).unwrap();
    assert_eq!(a.w.to_vec_f32(), b.w.to_vec_f32());
}

#[test]
fn diverging_loss_is_an_error_naming_epoch_and_batch() {
    let config = TrainConfig { epochs: 50, batch_size: 200, task: Task::Regression, ..Default::default() };
    let err = run(config, 1e6).err().expect("a learning rate of 1e6 must diverge").to_string();
    assert!(err.contains("epoch") && err.contains("batch 1"), "{err}");
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    // A learning rate too large to settle: the validation loss bounces, so patience runs out.
    let config = TrainConfig {
        epochs: 200,
        batch_size: 4,
        validation_fraction: 0.25,
        task: Task::Regression,
        early_stopping: Some(EarlyStopping { patience: 3, monitor: Monitor::ValLoss, ..Default::default() }),
        ..Default::default()
    };
    let (model, history) = run(config, 0.5).unwrap();
    assert!(history.stopped_early);
    let best = history.best_epoch.unwrap();
    assert_eq!(history.epochs.len(), best + 3);
    // The restored weights give the best epoch's validation loss again.
    let mut rng = Rng::seed(0);
    let data = line_data(200, 1);
    let order = rng.permutation(200);
    let val = data.subset(&order[..50]).unwrap();
    let loss = rede::no_grad(|| mse(&model.forward(&val.x).unwrap(), &val.y).unwrap().item().unwrap());
    let best_loss = history.epochs[best - 1].val_loss.unwrap();
    assert!((loss - best_loss).abs() < 1e-5 * best_loss.max(1.0), "{loss} vs {best_loss}");
}

/// Asks to stop once it has seen `after` batches, counting the batches it sees.
struct StopAfter {
    after: usize,
    seen: usize,
}

impl rede::train::Callback for StopAfter {
    fn on_batch_end(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f64) {
        self.seen += 1;
    }
    fn should_stop(&self) -> bool {
        self.seen >= self.after
    }
}

#[test]
fn a_callback_can_stop_training_mid_epoch() {
    let config = TrainConfig { epochs: 50, batch_size: 16, task: Task::Regression, ..Default::default() };
    let mut model = Affine::new(2, 1);
    let mut opt = Sgd::new(model.parameters(), SgdConfig::default().lr(0.1)).unwrap();
    let stop = StopAfter { after: 20, seen: 0 };
    let mut trainer = Trainer::new(config, mse).with_callback(stop);
    // 200 rows are 13 batches an epoch: the 20th batch falls in epoch 2, which ends there.
    let history = trainer.fit(&mut model, &mut opt, &line_data(200, 1), None).unwrap();
    assert_eq!(history.epochs.len(), 2);
}
