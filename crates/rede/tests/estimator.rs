//! The scikit-learn-style estimators: fitting, prediction, stopping rules, bad inputs, files.

use rede::data::{synthetic, Column, Table};
use rede::estimator::{Estimator, HiddenActivation, LearningRate, MlpClassifier, MlpParams, MlpRegressor, Solver};
use rede::{Rng, Tensor};
use std::collections::BTreeMap;

fn small(max_iter: usize) -> MlpParams {
    MlpParams { hidden_layer_sizes: vec![16], max_iter, random_state: Some(1), ..Default::default() }
}

fn moons() -> rede::data::Dataset {
    synthetic::moons(200, 0.1, &mut Rng::seed(3)).unwrap()
}

#[test]
fn classifier_learns_moons_and_reports_its_attributes() {
    let d = moons();
    // One batch an epoch: scikit-learn's initialization needs a few hundred steps here
    // (scikit-learn itself scores 0.89 to 0.91 after 100).
    let mut clf = MlpClassifier::new(MlpParams { learning_rate_init: 0.01, ..small(300) });
    clf.fit(&d.x, &d.y).unwrap();
    let score = clf.score(&d.x, &d.y).unwrap();
    assert!(score > 0.95, "accuracy {score} after {} epochs", clf.n_iter());
    assert_eq!(clf.classes(), ["0", "1"]);
    let proba = clf.predict_proba(&d.x).unwrap();
    assert_eq!(proba.shape(), &[200, 2]);
    let sums = proba.sum(&[1], false).unwrap().to_vec_f64();
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5));
    let predicted = clf.predict(&d.x).unwrap().to_vec_f32();
    assert!(predicted.iter().all(|&p| p == 0.0 || p == 1.0));
    let curve = clf.loss_curve();
    assert_eq!(curve.len(), clf.n_iter());
    assert!(curve.last().unwrap() < &(curve[0] * 0.5), "{curve:?}");
    assert_eq!(clf.best_loss(), curve.iter().copied().reduce(f64::min));
    assert_eq!(clf.coefs().iter().map(|w| w.shape().to_vec()).collect::<Vec<_>>(), [vec![16, 2], vec![2, 16]]);
    assert_eq!(clf.intercepts()[1].shape(), &[2]);
}

#[test]
fn training_stops_when_the_loss_stalls() {
    let d = moons();
    // A huge tol: only the first epoch counts as an improvement, so training stops
    // when n_iter_no_change + 1 epochs in a row did not (scikit-learn's rule).
    let mut clf = MlpClassifier::new(MlpParams { tol: 10.0, n_iter_no_change: 3, ..small(100) });
    clf.fit(&d.x, &d.y).unwrap();
    assert_eq!(clf.n_iter(), 5);
}

#[test]
fn early_stopping_watches_a_stratified_validation_score() {
    let d = moons();
    let mut clf = MlpClassifier::new(MlpParams { early_stopping: true, n_iter_no_change: 2, tol: 0.5, ..small(100) });
    clf.fit(&d.x, &d.y).unwrap();
    assert_eq!(clf.validation_scores().len(), clf.n_iter());
    assert_eq!(clf.n_iter(), 4, "the score cannot improve by 0.5 after the first epoch");
    assert!(clf.record().best_validation_score.is_some());
}

#[test]
fn every_solver_and_schedule_trains() {
    let d = moons();
    for solver in [Solver::Sgd, Solver::Adam, Solver::Rmsprop, Solver::Adamw, Solver::Lbfgs] {
        for schedule in [LearningRate::Constant, LearningRate::Adaptive, LearningRate::Invscaling] {
            let lr = if solver == Solver::Sgd { 0.1 } else { 0.01 };
            let p = MlpParams {
                solver,
                learning_rate: schedule,
                learning_rate_init: lr,
                dropout: 0.1,
                l1: 1e-4,
                ..small(60)
            };
            let mut clf = MlpClassifier::new(p);
            clf.fit(&d.x, &d.y).unwrap();
            let acc = clf.score(&d.x, &d.y).unwrap();
            // invscaling divides the rate by √(samples seen): after one epoch it is
            // too small to finish in 60 epochs, as in scikit-learn; it only has to run.
            let bar = if schedule == LearningRate::Invscaling { 0.0 } else { 0.8 };
            assert!(acc > bar && clf.loss_curve().iter().all(|l| l.is_finite()), "{solver} {schedule}: {acc}");
        }
    }
}

#[test]
fn partial_fit_continues_training() {
    let d = moons();
    let mut clf = MlpClassifier::new(MlpParams { learning_rate_init: 0.01, ..small(1) });
    for _ in 0..30 {
        clf.partial_fit(&d.x, &d.y).unwrap();
    }
    let curve = clf.loss_curve();
    assert_eq!(curve.len(), 30);
    assert!(curve[29] < curve[0] * 0.7, "{curve:?}");
}

#[test]
fn set_learning_rate_applies_to_the_next_partial_fit_epochs() {
    let d = moons();
    let params = MlpParams { solver: Solver::Sgd, momentum: 0.0, learning_rate_init: 0.1, ..small(1) };
    let mut clf = MlpClassifier::new(params);
    clf.partial_fit(&d.x, &d.y).unwrap();
    let before = clf.coefs()[0].to_vec_f64();
    // A learning rate of almost nothing: the next epoch leaves the weights where they were.
    clf.set_learning_rate(1e-12).unwrap();
    clf.partial_fit(&d.x, &d.y).unwrap();
    let after = clf.coefs()[0].to_vec_f64();
    let moved = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(moved < 1e-6, "weights moved by {moved}");
    // Back to a real learning rate, they move again.
    clf.set_learning_rate(0.1).unwrap();
    clf.partial_fit(&d.x, &d.y).unwrap();
    let moved = after.iter().zip(&clf.coefs()[0].to_vec_f64()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(moved > 1e-4, "weights moved by only {moved}");
    assert!(clf.set_learning_rate(0.0).is_err() && clf.set_learning_rate(f64::NAN).is_err());
}

#[test]
fn regressor_predicts_in_the_targets_units() {
    let d = synthetic::sine(300, 0.05, &mut Rng::seed(0)).unwrap();
    // Targets far from the origin: standardizing them is what makes this easy.
    let y = d.y.affine(100.0, 1000.0);
    let mut reg = MlpRegressor::new(MlpParams { hidden_layer_sizes: vec![32], learning_rate_init: 0.01, ..small(200) });
    reg.fit(&d.x, &y).unwrap();
    assert!(reg.score(&d.x, &y).unwrap() > 0.9, "{}", reg.score(&d.x, &y).unwrap());
    let mean = reg.predict(&d.x).unwrap().mean_all().unwrap().item().unwrap();
    assert!((mean - 1000.0).abs() < 20.0, "{mean}");
}

fn people() -> Table {
    let n = 120;
    let color: Vec<String> = (0..n).map(|i| ["red", "green", "blue"][i % 3].to_string()).collect();
    let size: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let label: Vec<String> = (0..n).map(|i| if i % 3 == 0 || i % 7 > 4 { "yes" } else { "no" }.to_string()).collect();
    Table::new(vec![
        ("color".into(), Column::text(&color)),
        ("size".into(), Column::Numeric(size)),
        ("label".into(), Column::text(&label)),
    ])
    .unwrap()
}

#[test]
fn tables_with_text_columns_fit_save_and_load() {
    let t = people();
    let mut clf = MlpClassifier::new(MlpParams { learning_rate_init: 0.01, ..small(150) });
    clf.fit_table(&t, "label").unwrap();
    assert_eq!(clf.classes(), ["no", "yes"]);
    assert!(clf.score_table(&t).unwrap() > 0.95);
    let dir = tempdir();
    let path = dir.join("m.safetensors");
    clf.save_with_metadata(&path, &BTreeMap::from([("rede.note".to_string(), "hi".to_string())])).unwrap();
    let Estimator::Classifier(back) = Estimator::load(&path).unwrap() else { panic!("a classifier") };
    assert_eq!(back.predict_table(&t).unwrap(), clf.predict_table(&t).unwrap());
    assert_eq!(back.loss_curve(), clf.loss_curve());
    assert_eq!(back.metadata()["rede.note"], "hi");
    assert_eq!(back.pipeline().unwrap().feature_names(), ["color=blue", "color=green", "color=red", "size"]);
    // The typed loaders: the right kind comes back, the wrong one is an error naming the right loader.
    assert_eq!(MlpClassifier::load(&path).unwrap().predict_table(&t).unwrap(), clf.predict_table(&t).unwrap());
    let err = MlpRegressor::load(&path).err().unwrap().to_string();
    assert!(err.contains("m.safetensors") && err.contains("MlpClassifier::load"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rede-estimator-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_inputs_are_clear_errors() {
    let d = moons();
    let err = |r: rede::Result<&mut MlpClassifier>| r.err().expect("an error").to_string();
    let mut clf = MlpClassifier::new(small(5));
    let short = d.y.narrow(0, 0, 10).unwrap();
    assert!(err(clf.fit(&d.x, &short)).contains("200 samples in the features but targets of shape [10]"));
    let mut x = d.x.to_vec_f32();
    x[7] = f32::NAN;
    let nan = Tensor::from_vec(x, &[200, 2]).unwrap();
    assert!(err(clf.fit(&nan, &d.y)).contains("features contain NaN at [3, 1]"));
    let ones = Tensor::ones(&[200], rede::DType::F32);
    assert!(err(clf.fit(&d.x, &ones)).contains("single class (1)"));
    let empty = Tensor::zeros(&[0, 2], rede::DType::F32);
    assert!(err(clf.fit(&empty, &Tensor::zeros(&[0], rede::DType::F32))).contains("empty data"));
    assert!(clf.predict(&d.x).unwrap_err().to_string().contains("not fitted"));
    clf.fit(&d.x, &d.y).unwrap();
    let wide = Tensor::zeros(&[4, 3], rede::DType::F32);
    assert!(clf
        .predict(&wide)
        .unwrap_err()
        .to_string()
        .contains("X has 3 features, but the estimator was fitted with 2"));
    let mut bad = MlpClassifier::new(MlpParams { hidden_layer_sizes: vec![0], ..small(5) });
    assert!(err(bad.fit(&d.x, &d.y)).contains("hidden_layer_sizes"));
}

/// Weights and biases after one epoch at a negligible learning rate: the initial ones.
fn initial_parameters(activation: HiddenActivation) -> (Vec<Tensor>, Vec<Tensor>) {
    let d = synthetic::blobs(300, 3, 0.5, &mut Rng::seed(2)).unwrap();
    let params = MlpParams { hidden_layer_sizes: vec![200, 100], activation, learning_rate_init: 1e-12, ..small(1) };
    let mut clf = MlpClassifier::new(params);
    clf.fit(&d.x, &d.y).unwrap();
    (clf.coefs(), clf.intercepts())
}

#[test]
fn default_initialization_is_scikit_learns() {
    for (activation, factor) in [(HiddenActivation::Relu, 6.0), (HiddenActivation::Logistic, 2.0)] {
        let (coefs, intercepts) = initial_parameters(activation);
        for (w, b) in coefs.iter().zip(&intercepts) {
            let (fan_out, fan_in) = (w.shape()[0], w.shape()[1]);
            let bound: f64 = (factor / (fan_in + fan_out) as f64).sqrt();
            let (w, b) = (w.to_vec_f64(), b.to_vec_f64());
            // 1e-9 of slack for the one update at learning rate 1e-12.
            assert!(w.iter().chain(&b).all(|v| v.abs() <= bound + 1e-9), "{activation}: beyond ±{bound}");
            // U(−a, a) has variance a²/3; the sample variance's standard error is a²·√(4/45)/√n.
            let variance = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
            let (expected, error) =
                (bound * bound / 3.0, bound * bound * (4.0f64 / 45.0).sqrt() / (w.len() as f64).sqrt());
            assert!((variance - expected).abs() < 5.0 * error, "{activation}: variance {variance} vs {expected}");
            let spread = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let drawn = b.len() < 10 || spread > 0.5 * bound;
            assert!(drawn, "{activation}: biases are drawn too, not zero ({spread} of ±{bound})");
        }
    }
}

#[test]
fn large_tables_predict_a_part_at_a_time_with_the_same_results() {
    let t = people();
    let mut clf = MlpClassifier::new(small(5));
    clf.fit_table(&t, "label").unwrap();
    // Over one part (65,536 rows): rows from both parts against the same rows alone.
    let rows: Vec<usize> = (0..70_000).map(|i| i % t.n_rows()).collect();
    let big = t.rows(&rows).unwrap();
    let all = clf.predict_proba_table(&big).unwrap().to_vec_f32();
    for probe in [0, 65_535, 65_536, 69_999] {
        let alone = clf.predict_proba_table(&t.rows(&[rows[probe]]).unwrap()).unwrap().to_vec_f32();
        let part = &all[probe * 2..probe * 2 + 2];
        // Products over more rows may take another kernel path: equal to rounding.
        assert!(part.iter().zip(&alone).all(|(a, b)| (a - b).abs() < 1e-6), "row {probe}: {part:?} {alone:?}");
    }
}

#[test]
fn a_device_that_cannot_be_used_is_a_fit_error_naming_it() {
    let d = moons();
    for solver in [Solver::Adam, Solver::Lbfgs] {
        let mut clf = MlpClassifier::new(MlpParams { device: rede::Device::Cuda(999), solver, ..small(5) });
        let err = clf.fit(&d.x, &d.y).err().expect("fitting on a missing GPU fails").to_string();
        assert!(err.contains("cuda:999"), "{solver:?}: {err}");
    }
    // The device is where training runs, not part of the model: it is not saved.
    let json = serde_json::to_string(&MlpParams { device: rede::Device::Cuda(3), ..small(5) }).unwrap();
    assert!(!json.contains("device"), "{json}");
}
