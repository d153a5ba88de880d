//! Convolution-family layers: gradcheck (f64) through each layer with respect to its input
//! and parameters, batch-norm modes, and specs that rebuild the same architecture.

use rede::nn::{AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Embedding, Flatten};
use rede::nn::{LayerSpec, MaxPool2d, Module};
use rede::{gradcheck, Conv1dOptions, Conv2dOptions, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn check(name: &str, f: impl Fn(&[Tensor]) -> rede::Result<Tensor>, inputs: &[Tensor]) {
    let r = gradcheck(f, inputs, GradcheckOptions::default()).unwrap();
    assert!(r.passed, "{name}: {r}");
}

#[test]
fn conv_layers_pass_gradcheck_in_input_and_parameters() {
    let mut rng = Rng::seed(1);
    let o = Conv2dOptions { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 3 };
    let conv = Conv2d::with_dtype(3, 6, [3, 2], o, true, DType::F64, &mut rng).unwrap();
    let mut inputs = vec![randn(&[2, 3, 6, 5], 2)];
    inputs.extend(conv.parameters());
    check("Conv2d", |t| Conv2d::from_tensors(t[1].clone(), Some(t[2].clone()), o)?.forward(&t[0]), &inputs);

    let o1 = Conv1dOptions { stride: 2, padding: 1, dilation: 1, groups: 1 };
    let conv1 = Conv1d::with_dtype(2, 3, 3, o1, false, DType::F64, &mut rng).unwrap();
    let inputs = [randn(&[2, 2, 7], 3), conv1.parameters()[0].clone()];
    check("Conv1d", |t| Conv1d::from_tensors(t[1].clone(), None, o1)?.forward(&t[0]), &inputs);
}

#[test]
fn pooling_and_flatten_layers_pass_gradcheck() {
    let mut values: Vec<f64> = (0..2 * 2 * 5 * 6).map(|i| i as f64 * 0.01).collect();
    Rng::seed(4).shuffle(&mut values);
    let x = Tensor::from_vec(values, &[2, 2, 5, 6]).unwrap();
    let layers: Vec<(&str, Box<dyn Module>)> = vec![
        ("MaxPool2d", Box::new(MaxPool2d::new(2))),
        ("AvgPool2d", Box::new(AvgPool2d::with_options([3, 3], [2, 2], [1, 1]))),
        ("AdaptiveAvgPool2d", Box::new(AdaptiveAvgPool2d::new([2, 4]))),
        ("Flatten", Box::new(Flatten::new())),
    ];
    for (name, layer) in &layers {
        check(name, |t| layer.forward(&t[0]), std::slice::from_ref(&x));
    }
    assert_eq!(layers[3].1.forward(&x).unwrap().shape(), &[2, 60]);
}

#[test]
fn batch_norm_passes_gradcheck_in_both_modes() {
    let (w, b) = (randn(&[3], 5).abs().add_scalar(0.5), randn(&[3], 6));
    let running = || (randn(&[3], 7), randn(&[3], 8).abs().add_scalar(0.5));
    for training in [true, false] {
        let f = |t: &[Tensor]| {
            let (m, v) = running();
            let mut bn = BatchNorm2d::from_tensors(Some(t[1].clone()), Some(t[2].clone()), m, v, 1e-5, 0.1)?;
            bn.set_training(training);
            bn.forward(&t[0])
        };
        check(&format!("BatchNorm2d training={training}"), f, &[randn(&[3, 3, 2, 3], 9), w.clone(), b.clone()]);
        let f1 = |t: &[Tensor]| {
            let (m, v) = running();
            let mut bn = BatchNorm1d::from_tensors(Some(t[1].clone()), Some(t[2].clone()), m, v, 1e-5, 0.1)?;
            bn.set_training(training);
            bn.forward(&t[0])
        };
        check(&format!("BatchNorm1d training={training}"), f1, &[randn(&[4, 3, 2], 10), w.clone(), b.clone()]);
    }
}

#[test]
fn batch_norm_normalizes_in_training_and_tracks_running_statistics() {
    let mut bn = BatchNorm1d::new(2).unwrap();
    let x = Tensor::from_vec(vec![1.0f32, 10.0, 3.0, 20.0], &[2, 2]).unwrap();
    let y = bn.forward(&x).unwrap().to_vec_f32();
    // Two samples per channel normalize to −1 and +1 (up to eps).
    assert!((y[0] + 1.0).abs() < 1e-3 && (y[2] - 1.0).abs() < 1e-3, "{y:?}");
    // mean (2, 15), unbiased var (2, 50): running = 0.9·(0, 1) + 0.1·batch.
    let close = |a: Vec<f32>, b: [f32; 2]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
    assert!(close(bn.running_mean().to_vec_f32(), [0.2, 1.5]));
    assert!(close(bn.running_var().to_vec_f32(), [1.1, 5.9]));
    bn.set_training(false);
    let y = bn.forward(&x).unwrap().to_vec_f32();
    assert!((y[0] - (1.0 - 0.2) / (1.1f32 + 1e-5).sqrt()).abs() < 1e-5);
    assert!(bn.forward(&Tensor::zeros(&[1, 3], DType::F32)).unwrap_err().to_string().contains("BatchNorm1d"));
    bn.set_training(true);
    assert!(bn.forward(&Tensor::zeros(&[1, 2], DType::F32)).is_err(), "one value per channel cannot train");
}

#[test]
fn embedding_looks_up_rows_and_adds_gradients_back() {
    let e = Embedding::from_tensor(randn(&[5, 3], 11)).unwrap();
    let ids = Tensor::from_vec(vec![4.0f64, 0.0, 4.0, 2.0], &[2, 2]).unwrap();
    let y = e.forward(&ids).unwrap();
    assert_eq!(y.shape(), &[2, 2, 3]);
    assert_eq!(y.to_vec_f64()[..3], e.weight().to_vec_f64()[12..15]);
    y.sum_all().unwrap().backward().unwrap();
    let g = e.weight().grad().unwrap().to_vec_f64();
    assert_eq!((g[12], g[0], g[3], g[6]), (2.0, 1.0, 0.0, 1.0));
    check("Embedding", |t| Embedding::from_tensor(t[0].clone())?.forward(&ids), &[randn(&[5, 3], 12)]);
    assert!(e.forward(&Tensor::from_vec(vec![5.0f64], &[1]).unwrap()).is_err());
}

#[test]
fn specs_round_trip_through_json_and_rebuild_the_layers() {
    let mut rng = Rng::seed(3);
    let json = r#"{"type": "sequential", "layers": [
        {"type": "conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "batch_norm2d", "num_features": 4},
        {"type": "max_pool2d", "kernel_size": 2},
        {"type": "avg_pool2d", "kernel_size": [2, 1], "stride": 1},
        {"type": "adaptive_avg_pool2d", "output_size": [2, 2]},
        {"type": "flatten"},
        {"type": "conv1d", "in_channels": 2, "out_channels": 2, "kernel_size": 3},
        {"type": "embedding", "num_embeddings": 7, "embedding_dim": 2},
        {"type": "lstm", "input_size": 2, "hidden_size": 3, "bidirectional": true},
        {"type": "gru", "input_size": 2, "hidden_size": 3, "num_layers": 2},
        {"type": "rnn", "input_size": 2, "hidden_size": 3, "bias": false},
        {"type": "last_step"}
    ]}"#;
    let LayerSpec::Sequential { layers } = serde_json::from_str::<LayerSpec>(json).unwrap() else {
        panic!("sequential")
    };
    for spec in &layers {
        let module = spec.build(&mut rng).unwrap();
        assert_eq!(module.spec().as_ref(), Some(spec), "rebuilt spec");
        let again: LayerSpec = serde_json::from_str(&serde_json::to_string(spec).unwrap()).unwrap();
        assert_eq!(&again, spec, "JSON round trip");
    }
    let conv = layers[0].build(&mut rng).unwrap();
    assert_eq!(conv.forward(&Tensor::zeros(&[2, 1, 5, 4], DType::F32)).unwrap().shape(), &[2, 4, 5, 4]);
    // PyTorch's default init bound 1/√fan_in = 1/3 here.
    assert!(conv.parameters()[0].to_vec_f32().iter().all(|w| w.abs() <= 1.0 / 3.0));
}

#[test]
fn presets_build_lenet5_and_the_lstm_classifier() {
    use rede::nn::presets;
    let mut rng = Rng::seed(8);
    let lenet = presets::lenet5().build(&mut rng).unwrap();
    assert_eq!(lenet.num_parameters(), 61_706); // as PyTorch counts LeNet-5 with padding 2
    assert_eq!(lenet.spec().unwrap().build(&mut rng).unwrap().num_parameters(), 61_706);
    let logits = lenet.forward(&Tensor::zeros(&[3, 1, 28, 28], DType::F32)).unwrap();
    assert_eq!(logits.shape(), &[3, 10]);
    let lstm = presets::lstm_classifier(28, 16, 2, 10).build(&mut rng).unwrap();
    // LSTM: 4·16·(28 + 16 + 2) + 4·16·(16 + 16 + 2); linear: 16·10 + 10.
    assert_eq!(lstm.num_parameters(), 4 * 16 * 46 + 4 * 16 * 34 + 170);
    assert_eq!(lstm.forward(&Tensor::zeros(&[2, 28, 28], DType::F32)).unwrap().shape(), &[2, 10]);
}

#[test]
fn sequential_names_buffers_by_position() {
    let spec: LayerSpec = serde_json::from_str(
        r#"{"type": "sequential", "layers": [{"type": "flatten"}, {"type": "batch_norm1d", "num_features": 4}]}"#,
    )
    .unwrap();
    let model = spec.build(&mut Rng::seed(0)).unwrap();
    let names: Vec<String> = model.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["1.running_mean", "1.running_var"]);
    assert!(spec.describe().contains("Sequential"));
    assert_eq!(model.forward(&Tensor::ones(&[3, 2, 2], DType::F32)).unwrap().shape(), &[3, 4]);
}
