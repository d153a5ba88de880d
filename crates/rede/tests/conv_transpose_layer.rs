//! The `ConvTranspose2d` layer: the op it wraps, PyTorch's output size and
//! initialization bound, its spec (JSON, parameter count, save and load), gradcheck,
//! and clear errors for impossible settings.

use rede::io::{load_model, save_model};
use rede::nn::{ConvTranspose2d, LayerSpec, Module};
use rede::{gradcheck, no_grad, ConvTranspose2dOptions, DType, GradcheckOptions, Rng, Tensor};
use std::collections::BTreeMap;

fn options() -> ConvTranspose2dOptions {
    ConvTranspose2dOptions { stride: [2, 2], padding: [1, 1], output_padding: [1, 0], dilation: [1, 1], groups: 1 }
}

#[test]
fn forward_is_the_op_with_pytorchs_output_size() {
    let layer = ConvTranspose2d::new(3, 4, [3, 3], options(), &mut Rng::seed(1)).unwrap();
    let x = Tensor::rand_normal(&[2, 3, 5, 6], 0.0, 1.0, DType::F32, &mut Rng::seed(2));
    let y = no_grad(|| layer.forward(&x)).unwrap();
    // (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1
    assert_eq!(y.shape(), [2, 4, 4 * 2 - 2 + 2 + 1 + 1, 5 * 2 - 2 + 2 + 1]);
    let direct = no_grad(|| x.conv_transpose2d(layer.weight(), layer.bias(), options())).unwrap();
    assert_eq!(y.to_vec_f32(), direct.to_vec_f32());
    assert_eq!(layer.weight().shape(), [3, 4, 3, 3]);
}

#[test]
fn initialization_uses_pytorchs_fan_in_bound() {
    // fan_in = C_out/groups · kh · kw = 8/2 · 3 · 3 = 36, so weights lie in ±1/6.
    let o = ConvTranspose2dOptions { groups: 2, ..options() };
    let layer = ConvTranspose2d::new(6, 8, [3, 3], o, &mut Rng::seed(3)).unwrap();
    let w = layer.weight().to_vec_f32();
    let bound = 1.0 / 6.0;
    assert!(w.iter().all(|v| v.abs() <= bound), "a weight beyond ±1/6");
    assert!(w.iter().any(|v| v.abs() > 0.9 * bound), "weights drawn from a narrower range than ±1/6");
    assert_eq!(layer.weight().shape(), [6, 4, 3, 3]);
}

#[test]
fn passes_gradcheck_in_input_and_parameters() {
    let o =
        ConvTranspose2dOptions { stride: [2, 1], padding: [1, 0], output_padding: [1, 0], dilation: [1, 2], groups: 2 };
    let layer = ConvTranspose2d::with_dtype(4, 2, [3, 2], o, true, DType::F64, &mut Rng::seed(4)).unwrap();
    let mut inputs = vec![Tensor::rand_normal(&[2, 4, 3, 4], 0.0, 1.0, DType::F64, &mut Rng::seed(5))];
    inputs.extend(layer.parameters());
    let f = |t: &[Tensor]| ConvTranspose2d::from_tensors(t[1].clone(), Some(t[2].clone()), o)?.forward(&t[0]);
    let report = gradcheck(f, &inputs, GradcheckOptions::default()).unwrap();
    assert!(report.passed, "{report}");
}

#[test]
fn spec_round_trips_counts_its_parameters_and_saves() {
    let layer = r#"{"type":"conv_transpose2d","in_channels":3,"out_channels":4,"kernel_size":3,"stride":2,
        "padding":1,"output_padding":[1,0]}"#;
    let described = serde_json::from_str::<LayerSpec>(layer).unwrap().describe();
    assert!(described.contains("ConvTranspose2d(3, 4, kernel_size=(3, 3), stride=(2, 2)"), "{described}");
    let json = format!(r#"{{"type":"sequential","layers":[{layer},{{"type":"relu"}}]}}"#);
    let spec: LayerSpec = serde_json::from_str(&json).unwrap();
    let model = spec.build(&mut Rng::seed(6)).unwrap();
    assert_eq!(model.spec().as_ref(), Some(&spec));
    assert_eq!(spec.footprint().unwrap().parameters, 3 * 4 * 9 + 4);
    assert_eq!(model.num_parameters(), 3 * 4 * 9 + 4);

    let dir = std::env::temp_dir().join(format!("rede-conv-transpose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("up.safetensors");
    save_model(&path, model.as_ref(), &BTreeMap::new()).unwrap();
    let loaded = load_model(&path).unwrap().module;
    let x = Tensor::rand_normal(&[1, 3, 4, 4], 0.0, 1.0, DType::F32, &mut Rng::seed(7));
    let (a, b) = no_grad(|| (model.forward(&x).unwrap().to_vec_f32(), loaded.forward(&x).unwrap().to_vec_f32()));
    assert_eq!(a, b);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn impossible_settings_are_clear_errors() {
    let mut rng = Rng::seed(8);
    let too_much_padding = ConvTranspose2dOptions { output_padding: [2, 0], ..options() };
    let err = ConvTranspose2d::new(3, 4, [3, 3], too_much_padding, &mut rng).err().unwrap().to_string();
    assert!(err.contains("output_padding [2, 0] must be below the stride"), "{err}");
    let groups = ConvTranspose2dOptions { groups: 2, ..options() };
    let err = ConvTranspose2d::new(3, 4, [3, 3], groups, &mut rng).err().unwrap().to_string();
    assert!(err.contains("divide into 2 groups"), "{err}");
    let spec = r#"{"type":"conv_transpose2d","in_channels":3,"out_channels":0,"kernel_size":3}"#;
    let spec: LayerSpec = serde_json::from_str(spec).unwrap();
    assert!(spec.build(&mut rng).is_err());
}
