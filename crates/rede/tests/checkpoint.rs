//! Checkpoints: a run stopped partway (between epochs or inside one) and resumed
//! from its checkpoint ends with the very weights of the uninterrupted run.

use rede::data::{synthetic, Table};
use rede::estimator::{Checkpoints, Estimator, LearningRate, MlpClassifier, MlpParams};
use rede::train::Callback;
use rede::{Rng, Tensor};
use std::path::{Path, PathBuf};

fn data() -> Table {
    let d = synthetic::blobs(230, 3, 1.5, &mut Rng::seed(5)).unwrap();
    let names = ["a".to_string(), "b".to_string()];
    Table::from_dataset(&d, &names, "y").unwrap()
}

/// Early stopping (best weights kept) and an adaptive schedule, so resuming must
/// restore the stopping rule's and the schedule's state as well as the weights.
fn params(max_iter: usize) -> MlpParams {
    MlpParams {
        hidden_layer_sizes: vec![12],
        batch_size: Some(32),
        max_iter,
        random_state: Some(9),
        early_stopping: true,
        n_iter_no_change: 50,
        learning_rate: LearningRate::Adaptive,
        ..Default::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rede-checkpoint-{}-{name}.safetensors", std::process::id()))
}

/// Asks the run to stop once `after` batches have finished, counting across epochs.
struct StopAfter {
    after: usize,
    seen: usize,
}

impl Callback for StopAfter {
    fn on_batch_end(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f64) {
        self.seen += 1;
    }

    fn should_stop(&self) -> bool {
        self.seen >= self.after
    }
}

struct Never;
impl Callback for Never {}

fn weights(clf: &MlpClassifier) -> Vec<Vec<f32>> {
    clf.coefs().iter().chain(&clf.intercepts()).map(Tensor::to_vec_f32).collect()
}

fn uninterrupted(epochs: usize) -> MlpClassifier {
    let mut clf = MlpClassifier::new(params(epochs));
    clf.fit_table(&data(), "y").unwrap();
    clf
}

fn resumed(checkpoint: &Path, epochs: usize) -> MlpClassifier {
    let mut clf = MlpClassifier::new(params(epochs));
    let plan = Checkpoints { path: checkpoint.to_path_buf(), ..Default::default() };
    clf.fit_table_checkpointed(&data(), "y", &mut Never, &plan, Some(checkpoint)).unwrap();
    clf
}

#[test]
fn a_run_stopped_inside_an_epoch_resumes_bit_for_bit() {
    let full = uninterrupted(8);
    let path = scratch("inside");
    // 207 training rows (10% held out for validation) make 7 batches an epoch: stop in epoch 3.
    let mut stop = StopAfter { after: 17, seen: 0 };
    let mut clf = MlpClassifier::new(params(8));
    let plan = Checkpoints { path: path.clone(), ..Default::default() };
    clf.fit_table_checkpointed(&data(), "y", &mut stop, &plan, None).unwrap();
    assert!(clf.record().interrupted);
    assert_eq!(clf.n_iter(), 3, "two whole epochs and the stopped one");
    let saved = Estimator::load(&path).unwrap();
    assert_eq!(saved.record().n_iter, 2);
    assert!(saved.metadata().contains_key("rede.checkpoint"));

    let again = resumed(&path, 8);
    std::fs::remove_file(&path).unwrap();
    assert!(!again.record().interrupted);
    assert_eq!(again.loss_curve(), full.loss_curve(), "the same losses, epoch by epoch");
    assert_eq!(again.validation_scores(), full.validation_scores());
    assert_eq!(weights(&again), weights(&full), "bit for bit");
}

#[test]
fn periodic_checkpoints_resume_bit_for_bit_and_can_extend_the_run() {
    let full = uninterrupted(7);
    let path = scratch("periodic");
    let mut clf = MlpClassifier::new(params(5));
    let plan = Checkpoints { path: path.clone(), every: Some(2), ..Default::default() };
    clf.fit_table_checkpointed(&data(), "y", &mut Never, &plan, None).unwrap();
    // Written after epochs 2 and 4 (not after the last, 5): the file holds epoch 4.
    assert_eq!(Estimator::load(&path).unwrap().record().n_iter, 4);
    // Resuming with more epochs continues the same run to epoch 7.
    let again = resumed(&path, 7);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(again.n_iter(), 7);
    assert_eq!(weights(&again), weights(&full), "bit for bit");
}

fn error(result: rede::Result<&mut MlpClassifier>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn resuming_with_other_settings_or_from_a_model_file_is_an_error() {
    let path = scratch("other");
    let mut clf = MlpClassifier::new(params(3));
    let plan = Checkpoints { path: path.clone(), every: Some(1), ..Default::default() };
    clf.fit_table_checkpointed(&data(), "y", &mut Never, &plan, None).unwrap();
    let mut other = MlpClassifier::new(MlpParams { alpha: 0.5, ..params(3) });
    let err = error(other.fit_table_checkpointed(&data(), "y", &mut Never, &plan, Some(&path)));
    assert!(err.contains("alpha: 0.0001 there, 0.5 here"), "{err}");

    let model = scratch("model");
    clf.save(&model).unwrap();
    let err =
        error(MlpClassifier::new(params(3)).fit_table_checkpointed(&data(), "y", &mut Never, &plan, Some(&model)));
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&model).unwrap();
    assert!(err.contains("not a checkpoint"), "{err}");
}
