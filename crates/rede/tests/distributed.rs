//! Data-parallel training: N ranks (threads joined by a `LocalGroup`) that each
//! compute on their slice of every global batch follow the trajectory of one
//! process that computes on the whole batch.

use rede::data::Dataset;
use rede::distributed::{Communicator, LocalGroup};
use rede::nn::{loss, mlp, presets, Activation, Module};
use rede::optim::{Adam, AdamConfig};
use rede::train::{EarlyStopping, History, Monitor, TrainConfig, Trainer};
use rede::{DType, Rng, Tensor};

/// `n` rows of `d` normal features with labels of `classes` classes.
fn data(n: usize, d: usize, classes: usize, seed: u64) -> Dataset {
    let mut rng = Rng::seed(seed);
    let x = Tensor::rand_normal(&[n, d], 0.0, 1.0, DType::F32, &mut rng);
    let y: Vec<f32> = (0..n).map(|i| (i % classes) as f32).collect();
    Dataset::new(x, Tensor::from_vec(y, &[n]).unwrap()).unwrap()
}

/// Trains `model` on `train` (global batch `batch`), with `comm` when given, and
/// returns its parameters' values and the run's history.
fn train(
    mut model: Box<dyn Module>,
    train: &Dataset,
    validation: Option<&Dataset>,
    config: TrainConfig,
    comm: Option<&dyn Communicator>,
) -> (Vec<Vec<f32>>, History) {
    let mut optimizer = Adam::new(model.parameters(), AdamConfig::default().lr(0.01)).unwrap();
    let mut trainer = Trainer::new(config, loss::cross_entropy)
        .with_penalty(|m: &dyn Module| Ok(loss::l2_penalty(m)?.mul_scalar(1e-3)));
    if let Some(comm) = comm {
        trainer = trainer.with_communicator(comm);
    }
    let history = trainer.fit(&mut *model, &mut optimizer, train, validation).unwrap();
    (model.parameters().iter().map(Tensor::to_vec_f32).collect(), history)
}

/// Runs the same fit alone and on `ranks` threads; every rank's weights must
/// equal the lone run's within 1e-5, and the histories must agree.
fn check_equivalence(
    build: fn(u64) -> Box<dyn Module>,
    train_data: &Dataset,
    validation: Option<&Dataset>,
    config: TrainConfig,
    ranks: usize,
) -> History {
    let (alone, alone_history) = train(build(1), train_data, validation, config.clone(), None);
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = LocalGroup::new(ranks)
            .into_iter()
            .map(|comm| {
                let config = config.clone();
                // Other ranks start from other weights: rank 0's must reach them.
                s.spawn(move || train(build(1 + comm.rank() as u64 * 100), train_data, validation, config, Some(&comm)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (rank, (weights, history)) in runs.iter().enumerate() {
        assert_eq!(history.epochs.len(), alone_history.epochs.len(), "rank {rank}: epochs run");
        for (a, b) in history.epochs.iter().zip(&alone_history.epochs) {
            assert!((a.train_loss - b.train_loss).abs() < 1e-5, "rank {rank}: loss {a:?} vs {b:?}");
            assert_eq!(a.val_loss.is_some(), b.val_loss.is_some());
            assert!((a.val_loss.unwrap_or(0.0) - b.val_loss.unwrap_or(0.0)).abs() < 1e-5);
        }
        let mut largest = 0.0f32;
        for (p, q) in weights.iter().zip(&alone) {
            for (a, b) in p.iter().zip(q) {
                largest = largest.max((a - b).abs());
            }
        }
        assert!(largest < 1e-5, "rank {rank}: weights differ from the lone run's by {largest}");
    }
    // The runs must have moved the weights, or equality would prove nothing.
    let start: Vec<_> = build(1).parameters().iter().map(Tensor::to_vec_f32).collect();
    assert_ne!(start, alone, "training left the weights as they were");
    alone_history
}

fn small_mlp(seed: u64) -> Box<dyn Module> {
    Box::new(mlp(&[10, 16, 3], Activation::Relu, &mut Rng::seed(seed)).unwrap())
}

fn lenet5(seed: u64) -> Box<dyn Module> {
    presets::by_name("lenet5", 784, 10).unwrap().build(&mut Rng::seed(seed)).unwrap()
}

/// 150 rows in global batches of 32: four whole batches and one of 22 per epoch,
/// 20 steps in 4 epochs; the short batch splits unevenly over 3 ranks.
fn mlp_config() -> TrainConfig {
    TrainConfig { epochs: 4, batch_size: 32, seed: 7, ..TrainConfig::default() }
}

#[test]
fn two_ranks_follow_one_process_mlp_adam() {
    check_equivalence(small_mlp, &data(150, 10, 3, 3), None, mlp_config(), 2);
}

#[test]
fn three_ranks_with_uneven_slices_follow_one_process() {
    check_equivalence(small_mlp, &data(150, 10, 3, 3), None, mlp_config(), 3);
}

#[test]
fn ranks_share_rank_zeros_validation_and_stop_together() {
    let stopping = EarlyStopping { patience: 1, min_delta: 10.0, monitor: Monitor::ValLoss, restore_best: true };
    let config = TrainConfig { epochs: 6, early_stopping: Some(stopping), ..mlp_config() };
    // min_delta 10 counts no epoch as better: the run stops early, on every rank alike.
    let history = check_equivalence(small_mlp, &data(150, 10, 3, 3), Some(&data(40, 10, 3, 4)), config, 2);
    assert!(history.stopped_early && history.epochs.len() < 6, "{history:?}");
}

#[test]
fn two_ranks_follow_one_process_lenet5() {
    // 40 images in global batches of 8 (4 per rank): 20 steps in 4 epochs.
    let config = TrainConfig { epochs: 4, batch_size: 8, seed: 5, ..TrainConfig::default() };
    check_equivalence(lenet5, &data(40, 784, 10, 9), None, config, 2);
}
