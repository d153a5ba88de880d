//! Layers: gradients (gradcheck in f64), shapes, dropout statistics, dtypes and bad inputs.

use rede::nn::{Dropout, Gelu, Identity, LeakyRelu, Linear, Module, Relu, Sequential, Sigmoid, Softmax, Tanh};
use rede::nn::{Initializer, LayerSpec};
use rede::{gradcheck, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn assert_gradcheck(f: impl Fn(&[Tensor]) -> rede::Result<Tensor>, inputs: &[Tensor], what: &str) {
    let report = gradcheck(f, inputs, GradcheckOptions::default()).unwrap();
    assert!(report.passed, "{what}: {report}");
}

#[test]
fn linear_gradients_for_input_weight_and_bias() {
    let inputs = [randn(&[4, 3], 1), randn(&[5, 3], 2), randn(&[5], 3)];
    assert_gradcheck(
        |t| Linear::from_tensors(t[1].clone(), Some(t[2].clone()))?.forward(&t[0]),
        &inputs,
        "Linear with bias",
    );
    assert_gradcheck(|t| Linear::from_tensors(t[1].clone(), None)?.forward(&t[0]), &inputs[..2], "Linear without bias");
    let batched = [randn(&[2, 3, 3], 4), randn(&[5, 3], 5), randn(&[5], 6)];
    assert_gradcheck(
        |t| Linear::from_tensors(t[1].clone(), Some(t[2].clone()))?.forward(&t[0]),
        &batched,
        "Linear on [2, 3, in]",
    );
}

#[test]
fn linear_computes_x_wt_plus_b_on_any_leading_shape() {
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, -1.0, 0.5, 0.0], &[2, 3]).unwrap();
    let b = Tensor::from_vec(vec![10.0f32, 20.0], &[2]).unwrap();
    let layer = Linear::from_tensors(w, Some(b)).unwrap();
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 2.0, 0.0, -1.0], &[2, 3]).unwrap();
    assert_eq!(layer.forward(&x).unwrap().to_vec_f32(), vec![16.0, 19.5, 9.0, 18.0]);
    // A single vector, and extra leading dimensions, map the last axis the same way.
    let v = layer.forward(&x.narrow(0, 1, 1).unwrap().reshape(&[3]).unwrap()).unwrap();
    assert_eq!((v.shape(), v.to_vec_f32()), (&[2][..], vec![9.0, 18.0]));
    let y = layer.forward(&x.reshape(&[2, 1, 3]).unwrap()).unwrap();
    assert_eq!((y.shape(), y.to_vec_f32()), (&[2, 1, 2][..], vec![16.0, 19.5, 9.0, 18.0]));
}

#[test]
fn activation_layers_have_correct_gradients() {
    let x = [randn(&[3, 4], 7)];
    let layers: Vec<(&str, Box<dyn Module>)> = vec![
        ("Identity", Box::new(Identity)),
        ("Sigmoid", Box::new(Sigmoid)),
        ("Tanh", Box::new(Tanh)),
        ("Relu", Box::new(Relu)),
        ("LeakyRelu", Box::new(LeakyRelu::new(0.2).unwrap())),
        ("Gelu", Box::new(Gelu)),
        ("Softmax(-1)", Box::new(Softmax::new(-1))),
        ("Softmax(0)", Box::new(Softmax::new(0))),
    ];
    for (name, layer) in &layers {
        assert_gradcheck(|t| layer.forward(&t[0]), &x, name);
        assert!(layer.named_parameters().is_empty(), "{name} has no parameters");
    }
}

#[test]
fn activation_layers_compute_their_functions() {
    let x = Tensor::from_vec(vec![-2.0f64, 0.5], &[1, 2]).unwrap();
    let run = |m: &dyn Module| m.forward(&x).unwrap().to_vec_f64();
    assert_eq!(run(&Identity), vec![-2.0, 0.5]);
    assert_eq!(run(&Relu), vec![0.0, 0.5]);
    assert_eq!(run(&LeakyRelu::new(0.1).unwrap()), vec![-0.2, 0.5]);
    assert_eq!(run(&LeakyRelu::default()), vec![-0.02, 0.5]);
    assert!((run(&Sigmoid)[1] - 1.0 / (1.0 + (-0.5f64).exp())).abs() < 1e-15);
    assert!((run(&Tanh)[0] - (-2.0f64).tanh()).abs() < 1e-15);
    let s = run(&Softmax::new(-1));
    assert!((s[0] + s[1] - 1.0).abs() < 1e-15 && s[1] > s[0]);
}

#[test]
fn sequential_gradients_through_every_parameter() {
    let inputs = [randn(&[3, 4], 8), randn(&[6, 4], 9), randn(&[6], 10), randn(&[2, 6], 11), randn(&[2], 12)];
    assert_gradcheck(
        |t| {
            let model = Sequential::new()
                .with(Linear::from_tensors(t[1].clone(), Some(t[2].clone()))?)
                .with(Tanh)
                .with(Linear::from_tensors(t[3].clone(), Some(t[4].clone()))?)
                .with(Gelu);
            model.forward(&t[0])
        },
        &inputs,
        "Linear-Tanh-Linear-Gelu",
    );
}

#[test]
fn sequential_names_and_labels_parameters_by_position() {
    let mut rng = Rng::seed(1);
    let inner = Sequential::new().with(Linear::new(3, 3, &mut rng).unwrap()).with(Relu);
    let mut model = Sequential::new();
    model.push(Linear::new(4, 3, &mut rng).unwrap()).push(Tanh).push(inner);
    model.push_boxed(
        LayerSpec::Linear { in_features: 3, out_features: 1, bias: false, init: None }.build(&mut rng).unwrap(),
    );
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "3.weight"]);
    assert_eq!(model.num_parameters(), 4 * 3 + 3 + 3 * 3 + 3 + 3);
    for (name, p) in model.named_parameters() {
        assert!(p.requires_grad() && p.is_leaf(), "{name}");
        assert_eq!(p.label().as_deref(), Some(name.as_str()));
    }
    let out = model.forward(&Tensor::ones(&[2, 4], DType::F32)).unwrap().sum_all().unwrap();
    let dot = out.to_dot();
    assert!(dot.contains("\"0.weight") && dot.contains("\"2.0.bias") && dot.contains("\"3.weight"), "{dot}");
}

#[test]
fn parameters_take_the_dtype_given() {
    let mut rng = Rng::seed(2);
    let f64_layer = Linear::with_init(3, 2, true, Initializer::HeNormal, DType::F64, &mut rng).unwrap();
    assert!(f64_layer.parameters().iter().all(|p| p.dtype() == DType::F64));
    assert_eq!(f64_layer.forward(&randn(&[1, 3], 0)).unwrap().dtype(), DType::F64);
    assert!(Linear::new(3, 2, &mut rng).unwrap().parameters().iter().all(|p| p.dtype() == DType::F32));
    let spec = rede::nn::mlp_spec(&[3, 4, 2], rede::nn::Activation::Relu, Some(0.1)).unwrap();
    let model = spec.build_with_dtype(&mut rng, DType::F64).unwrap();
    assert!(model.parameters().iter().all(|p| p.dtype() == DType::F64));
    assert_eq!(model.forward(&randn(&[5, 3], 1)).unwrap().dtype(), DType::F64);
}

#[test]
fn dropout_is_the_identity_in_eval_mode() {
    let x = randn(&[50, 20], 3);
    let mut d = Dropout::with_seed(0.5, 1).unwrap();
    d.set_training(false);
    assert!(!d.is_training());
    assert_eq!(d.forward(&x).unwrap().to_vec_f64(), x.to_vec_f64());
    // set_training propagates through Sequential
    let mut model = Sequential::new().with(Identity).with(Dropout::with_seed(0.5, 1).unwrap());
    assert_ne!(model.forward(&x).unwrap().to_vec_f64(), x.to_vec_f64());
    model.set_training(false);
    assert_eq!(model.forward(&x).unwrap().to_vec_f64(), x.to_vec_f64());
    model.set_training(true);
    assert_ne!(model.forward(&x).unwrap().to_vec_f64(), x.to_vec_f64());
}

#[test]
fn dropout_keeps_about_one_minus_p_and_preserves_the_mean() {
    let n = 200_000;
    for (p, dtype) in [(0.3, DType::F32), (0.5, DType::F64), (0.9, DType::F32)] {
        let y = Dropout::with_seed(p, 42).unwrap().forward(&Tensor::ones(&[n], dtype)).unwrap();
        assert_eq!(y.dtype(), dtype);
        let v = y.to_vec_f64();
        let kept = v.iter().filter(|&&x| x != 0.0).count() as f64 / n as f64;
        // Kept units are scaled by exactly 1/(1 - p).
        assert!(v.iter().all(|&x| x == 0.0 || (x - 1.0 / (1.0 - p)).abs() < 1e-6));
        // Binomial fraction: standard error √(p(1−p)/n); allow 5 of them.
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((kept - (1.0 - p)).abs() < 5.0 * se, "p={p}: kept {kept}");
        let mean = v.iter().sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 5.0 * se / (1.0 - p), "p={p}: mean {mean}");
    }
}

#[test]
fn dropout_gradient_is_the_scaled_mask_and_seeds_repeat() {
    let x = randn(&[1000], 5).requires_grad_();
    let d = Dropout::with_seed(0.25, 9).unwrap();
    let y = d.forward(&x).unwrap();
    y.sum_all().unwrap().backward().unwrap();
    let (g, yv, xv) = (x.grad().unwrap().to_vec_f64(), y.to_vec_f64(), x.to_vec_f64());
    for i in 0..1000 {
        let expected = if yv[i] == 0.0 { 0.0 } else { 1.0 / 0.75 };
        assert_eq!(g[i], expected);
        assert!((yv[i] - g[i] * xv[i]).abs() < 1e-12);
    }
    let again = Dropout::with_seed(0.25, 9).unwrap().forward(&x.detach()).unwrap();
    assert_eq!(again.to_vec_f64(), yv, "same seed, same mask");
    assert_ne!(d.forward(&x.detach()).unwrap().to_vec_f64(), yv, "next call draws a new mask");
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let mut rng = Rng::seed(0);
    let layer = Linear::new(4, 2, &mut rng).unwrap();
    let err = layer.forward(&Tensor::zeros(&[3, 5], DType::F32)).unwrap_err().to_string();
    assert!(err.contains("Linear") && err.contains("[3, 5]"), "{err}");
    assert!(layer.forward(&Tensor::scalar(1.0, DType::F32)).is_err());
    assert!(layer.forward(&Tensor::zeros(&[3, 4], DType::F64)).is_err(), "dtype mismatch");
    for p in [1.5, 1.0, -0.1, f64::NAN] {
        let err = Dropout::with_seed(p, 0).err().expect("invalid p").to_string();
        assert!(err.contains("Dropout"), "{err}");
    }
    assert!(LayerSpec::Dropout { p: 1.5 }.build(&mut rng).is_err());
    assert!(LeakyRelu::new(f64::INFINITY).is_err());
    assert!(Linear::new(0, 3, &mut rng).is_err());
    assert!(Softmax::new(3).forward(&Tensor::zeros(&[2, 2], DType::F32)).is_err());
    assert!(Linear::from_tensors(Tensor::zeros(&[2, 3], DType::F32), Some(Tensor::zeros(&[3], DType::F32))).is_err());
    assert!(Linear::from_tensors(Tensor::zeros(&[2, 3], DType::F32), Some(Tensor::zeros(&[2], DType::F64))).is_err());
    assert!(Linear::from_tensors(Tensor::zeros(&[6], DType::F32), None).is_err());
}
