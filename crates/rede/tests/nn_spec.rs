//! Architecture as data: LayerSpec JSON round trips, default initializers, and the summary table.

use rede::nn::{mlp, mlp_spec, summary, Activation, Dropout, Initializer, LayerSpec, Linear, Module, Sequential};
use rede::{DType, Rng, Tensor};

fn every_layer_spec() -> LayerSpec {
    LayerSpec::Sequential {
        layers: vec![
            LayerSpec::Linear { in_features: 6, out_features: 8, bias: true, init: None },
            LayerSpec::Relu,
            LayerSpec::Dropout { p: 0.25 },
            LayerSpec::Linear { in_features: 8, out_features: 8, bias: false, init: Some(Initializer::LecunNormal) },
            LayerSpec::LeakyRelu { negative_slope: 0.1 },
            LayerSpec::Sequential {
                layers: vec![
                    LayerSpec::Linear {
                        in_features: 8,
                        out_features: 5,
                        bias: true,
                        init: Some(Initializer::Normal { mean: 0.0, std: 0.02 }),
                    },
                    LayerSpec::Gelu,
                ],
            },
            LayerSpec::Linear { in_features: 5, out_features: 4, bias: true, init: None },
            LayerSpec::Tanh,
            LayerSpec::Sigmoid,
            LayerSpec::Identity,
            LayerSpec::Linear { in_features: 4, out_features: 3, bias: true, init: None },
            LayerSpec::Softmax { axis: -1 },
        ],
    }
}

fn names_and_shapes(m: &dyn Module) -> Vec<(String, Vec<usize>)> {
    m.named_parameters().into_iter().map(|(n, p)| (n, p.shape().to_vec())).collect()
}

#[test]
fn spec_json_round_trip_rebuilds_the_same_architecture() {
    let model = every_layer_spec().build(&mut Rng::seed(1)).unwrap();
    let spec = model.spec().unwrap();
    let json = spec.to_json();
    let parsed = LayerSpec::from_json(&json).unwrap();
    assert_eq!(parsed, spec);
    let rebuilt = parsed.build(&mut Rng::seed(2)).unwrap();
    assert_eq!(rebuilt.spec(), Some(spec));
    assert_eq!(names_and_shapes(rebuilt.as_ref()), names_and_shapes(model.as_ref()));
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "3.weight", "5.0.weight", "5.0.bias", "6.weight", "6.bias", "10.weight", "10.bias"]
    );
    // Same spec and seed, same weights and same dropout masks.
    let again = LayerSpec::from_json(&json).unwrap().build(&mut Rng::seed(1)).unwrap();
    let x = Tensor::rand_normal(&[4, 6], 0.0, 1.0, DType::F32, &mut Rng::seed(3));
    assert_eq!(again.forward(&x).unwrap().to_vec_f32(), model.forward(&x).unwrap().to_vec_f32());
    let y = model.forward(&x).unwrap();
    assert_eq!(y.shape(), [4, 3]);
}

#[test]
fn spec_json_is_readable_and_hand_written_specs_parse() {
    let json = r#"{"type": "sequential", "layers": [
        {"type": "linear", "in_features": 2, "out_features": 3, "bias": true, "init": {"type": "he_uniform"}},
        {"type": "leaky_relu", "negative_slope": 0.2},
        {"type": "dropout", "p": 0.5},
        {"type": "linear", "in_features": 3, "out_features": 1, "bias": false}
    ]}"#;
    let spec = LayerSpec::from_json(json).unwrap();
    let model = spec.build(&mut Rng::seed(0)).unwrap();
    assert_eq!(model.num_parameters(), 2 * 3 + 3 + 3);
    let Some(LayerSpec::Sequential { layers }) = model.spec() else { panic!("not a sequential spec") };
    assert_eq!(
        layers[0],
        LayerSpec::Linear { in_features: 2, out_features: 3, bias: true, init: Some(Initializer::HeUniform) }
    );
    assert!(LayerSpec::from_json(r#"{"type": "convolution"}"#).is_err());
    assert!(LayerSpec::from_json(r#"{"type": "dropout", "p": 1.5}"#).unwrap().build(&mut Rng::seed(0)).is_err());
    assert!(LayerSpec::Linear { in_features: 2, out_features: 1, bias: true, init: None }
        .to_json()
        .contains("\"linear\""));
}

fn linear_inits(model: &dyn Module) -> Vec<Option<Initializer>> {
    let Some(LayerSpec::Sequential { layers }) = model.spec() else { panic!("not a sequential spec") };
    layers
        .into_iter()
        .filter_map(|l| match l {
            LayerSpec::Linear { init, .. } => Some(init),
            _ => None,
        })
        .collect()
}

#[test]
fn default_initializers_follow_the_activation() {
    let relu = mlp(&[784, 512, 256, 10], Activation::Relu, &mut Rng::seed(0)).unwrap();
    let (he, glorot) = (Some(Initializer::HeNormal), Some(Initializer::GlorotUniform));
    assert_eq!(linear_inits(&relu), [he, he, glorot]);
    let tanh = mlp(&[4, 8, 2], Activation::Tanh, &mut Rng::seed(0)).unwrap();
    assert_eq!(linear_inits(&tanh), [glorot, glorot]);
    let spec = mlp_spec(&[4, 8, 8, 2], Activation::Gelu, Some(0.1)).unwrap();
    let gelu = spec.build(&mut Rng::seed(0)).unwrap();
    assert_eq!(linear_inits(gelu.as_ref()), [he, he, glorot]);
    // The first layer's weights have He's variance 2/fan_in, and biases start at zero.
    let params = relu.named_parameters();
    let w = params[0].1.to_vec_f64();
    let var = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
    let expected = 2.0 / 784.0;
    assert!((var - expected).abs() < 5.0 * expected * (2.0 / w.len() as f64).sqrt(), "variance {var}");
    assert!(params.iter().filter(|(n, _)| n.ends_with("bias")).all(|(_, b)| b.to_vec_f64().iter().all(|&v| v == 0.0)));
}

#[test]
fn summary_of_the_784_512_256_10_mlp() {
    let model = mlp(&[784, 512, 256, 10], Activation::Relu, &mut Rng::seed(0)).unwrap();
    assert_eq!(model.num_parameters(), 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
    let text = model.summary(&[784]).unwrap();
    println!("{text}");
    let row = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {text}"));
    assert!(row("0: Linear(784, 512)").contains("(None, 512)") && row("0: Linear(784, 512)").ends_with("401,920"));
    assert!(row("1: ReLU").contains("(None, 512)") && row("1: ReLU").ends_with(" 0"));
    assert!(row("2: Linear(512, 256)").ends_with("131,328"));
    assert!(row("4: Linear(256, 10)").contains("(None, 10)") && row("4: Linear(256, 10)").ends_with("2,570"));
    assert!(row("Input").contains("(None, 784)"));
    assert_eq!(row("Total params:"), "Total params: 535,818");
    assert_eq!(text.lines().filter(|l| l.contains(": ")).count(), 5 + 1, "five layers and the total");
}

#[test]
fn summary_works_for_any_module_and_leaves_the_model_untouched() {
    let mut rng = Rng::seed(4);
    let single = Linear::new(3, 2, &mut rng).unwrap();
    let text = summary(&single, &[7, 3]).unwrap();
    assert!(
        text.contains("0: Linear(3, 2)") && text.contains("(None, 7, 2)") && text.contains("Total params: 8"),
        "{text}"
    );
    // Summarizing must not draw from the model's dropout generator.
    let build = || Sequential::new().with(Dropout::with_seed(0.5, 7).unwrap());
    let (a, b) = (build(), build());
    assert!(a.summary(&[100]).unwrap().contains("Dropout(p=0.5)"));
    let x = Tensor::ones(&[1, 100], DType::F32);
    assert_eq!(a.forward(&x).unwrap().to_vec_f32(), b.forward(&x).unwrap().to_vec_f32());
    // Wrong input width is an error, not a panic; f64 models are summarized in f64.
    assert!(model_f64().summary(&[5]).is_err());
    assert!(model_f64().summary(&[4]).unwrap().contains("Total params: 10"));
}

fn model_f64() -> Sequential {
    let spec = [LayerSpec::Linear { in_features: 4, out_features: 2, bias: true, init: None }];
    Sequential::from_specs(&spec, DType::F64, &mut Rng::seed(0)).unwrap()
}
