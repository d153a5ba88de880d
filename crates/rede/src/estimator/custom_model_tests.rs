//! Estimators over a network given as a spec (`MlpParams::model`): fitting, the checks
//! against the data, and saving and loading.

use super::{Estimator, MlpClassifier, MlpParams, MlpRegressor};
use crate::data::datasets;
use crate::nn::{LayerSpec, ModelSpec};
use crate::{DType, Rng, Tensor};

/// A small convolutional network for the 8×8 digits.
const DIGITS_CONV: &str = include_str!("../../tests/fixtures/digits_conv.toml");

fn conv_spec() -> LayerSpec {
    ModelSpec::from_toml(DIGITS_CONV, "conv.toml").unwrap().to_layer_spec()
}

/// The first `n` digits: pixels `[n, 64]` and classes `[n]`.
fn digits(n: usize) -> (Tensor, Tensor) {
    let data = datasets::by_name("digits", 0).unwrap().dataset().unwrap();
    let rows: Vec<usize> = (0..n).collect();
    let d = data.subset(&rows).unwrap();
    (d.x, d.y)
}

fn params(model: LayerSpec, max_iter: usize) -> MlpParams {
    MlpParams {
        model: Some(model),
        max_iter,
        learning_rate_init: 0.01,
        random_state: Some(0),
        // Ignored with a model spec: a 3-layer MLP would have other parameter shapes.
        hidden_layer_sizes: vec![5, 5, 5],
        ..MlpParams::default()
    }
}

#[test]
fn a_conv_spec_learns_digits_and_survives_a_file_round_trip() {
    let (x, y) = digits(400);
    let mut clf = MlpClassifier::new(params(conv_spec(), 15));
    clf.fit(&x, &y).unwrap();
    let score = clf.score(&x, &y).unwrap();
    assert!(score > 0.8, "training accuracy {score}");
    // The network is the spec's: the conv weight leads, no hidden MLP layers.
    let shapes: Vec<Vec<usize>> = clf.coefs().iter().map(|w| w.shape().to_vec()).collect();
    assert_eq!(shapes, [vec![4, 1, 3, 3], vec![10, 64]]);

    let path = std::env::temp_dir().join(format!("rede-custom-model-{}.safetensors", std::process::id()));
    clf.save(&path).unwrap();
    let loaded = Estimator::load(&path);
    std::fs::remove_file(&path).unwrap();
    let Estimator::Classifier(loaded) = loaded.unwrap() else { panic!("a classifier") };
    assert_eq!(loaded.params().model, Some(conv_spec()));
    // The file rebuilds the trained network (the linear layer records the initializer it used).
    assert_eq!(loaded.module().unwrap().spec(), clf.module().unwrap().spec());
    let described = |s: LayerSpec| match s {
        LayerSpec::Sequential { layers } => layers.iter().map(LayerSpec::describe).collect::<Vec<_>>(),
        other => vec![other.describe()],
    };
    assert_eq!(described(loaded.module().unwrap().spec().unwrap()), described(conv_spec()));
    assert_eq!(loaded.predict_proba(&x).unwrap().to_vec_f32(), clf.predict_proba(&x).unwrap().to_vec_f32());
}

#[test]
fn params_without_a_model_read_as_before() {
    let json = serde_json::to_string(&MlpParams::default()).unwrap();
    assert!(!json.contains("\"model\""), "{json}");
    let old: MlpParams = serde_json::from_str("{\"hidden_layer_sizes\": [7]}").unwrap();
    assert_eq!((old.model, old.hidden_layer_sizes), (None, vec![7]));
    let with = MlpParams { model: Some(conv_spec()), ..MlpParams::default() };
    let back: MlpParams = serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
    assert_eq!(back, with);
}

#[test]
fn a_spec_for_other_inputs_is_refused_before_training() {
    let (x, y) = digits(50);
    let mnist_sized =
        ModelSpec { input_shape: Some(vec![1, 28, 28]), ..ModelSpec::from_toml(DIGITS_CONV, "c").unwrap() };
    let err = MlpClassifier::new(params(mnist_sized.to_layer_spec(), 1)).fit(&x, &y).err().unwrap().to_string();
    assert!(err.contains("does not fit the data") && err.contains("64 features") && err.contains("784"), "{err}");
}

#[test]
fn the_output_width_must_match_the_classes_or_targets() {
    let (x, y) = digits(50);
    let LayerSpec::Sequential { mut layers } = conv_spec() else { panic!("sequential") };
    if let Some(LayerSpec::Linear { out_features, .. }) = layers.last_mut() {
        *out_features = 12;
    }
    let twelve = LayerSpec::Sequential { layers };
    let err = MlpClassifier::new(params(twelve.clone(), 1)).fit(&x, &y).err().unwrap().to_string();
    assert!(err.contains("12 outputs") && err.contains("10 classes"), "{err}");

    let target = Tensor::rand_normal(&[50, 1], 0.0, 1.0, DType::F32, &mut Rng::seed(1));
    let err = MlpRegressor::new(params(twelve, 1)).fit(&x, &target).err().unwrap().to_string();
    assert!(err.contains("12 outputs") && err.contains("1 target"), "{err}");

    // A forgotten flatten leaves a 4-D output.
    let LayerSpec::Sequential { layers } = conv_spec() else { panic!("sequential") };
    let unflattened = LayerSpec::Sequential { layers: layers[..3].to_vec() };
    let err = MlpClassifier::new(params(unflattened, 1)).fit(&x, &y).err().unwrap().to_string();
    assert!(err.contains("[4, 8, 8]") && err.contains("10 classes"), "{err}");
}
