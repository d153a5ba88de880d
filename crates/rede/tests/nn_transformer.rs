//! The transformer layers: LayerNorm, MultiheadAttention and PositionalEmbedding as
//! modules with PyTorch's parameter names and as `LayerSpec` variants.

use rede::nn::{LayerNorm, LayerSpec, Module, MultiheadAttention, PositionalEmbedding};
use rede::{no_grad, DType, Rng, Tensor};

fn names(m: &dyn Module) -> Vec<String> {
    m.named_parameters().into_iter().map(|(n, _)| n).collect()
}

#[test]
fn parameters_are_named_and_shaped_as_pytorch() {
    let rng = &mut Rng::seed(0);
    let mha = MultiheadAttention::new(8, 2, false, rng).unwrap();
    assert_eq!(names(&mha), ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    assert_eq!(mha.num_parameters(), 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8);
    assert_eq!(names(&LayerNorm::new(&[3, 4]).unwrap()), ["weight", "bias"]);
    assert_eq!(PositionalEmbedding::new(16, 8, rng).unwrap().num_parameters(), 128);
}

#[test]
fn causal_attention_ignores_later_positions() {
    let mha = MultiheadAttention::new(6, 3, true, &mut Rng::seed(1)).unwrap();
    let x = Tensor::rand_normal(&[2, 5, 6], 0.0, 1.0, DType::F32, &mut Rng::seed(2));
    // Changing the last position must leave every earlier output as it was.
    let changed = Tensor::cat(&[&x.narrow(1, 0, 4).unwrap(), &x.narrow(1, 4, 1).unwrap().mul_scalar(-3.0)], 1).unwrap();
    let (a, b) = no_grad(|| (mha.forward(&x).unwrap(), mha.forward(&changed).unwrap()));
    assert_eq!(a.narrow(1, 0, 4).unwrap().to_vec_f32(), b.narrow(1, 0, 4).unwrap().to_vec_f32());
    assert_ne!(a.narrow(1, 4, 1).unwrap().to_vec_f32(), b.narrow(1, 4, 1).unwrap().to_vec_f32());
}

#[test]
fn specs_round_trip_through_json_and_rebuild() {
    let json = r#"{"type": "sequential", "layers": [
        {"type": "positional_embedding", "max_len": 10, "embedding_dim": 8},
        {"type": "layer_norm", "normalized_shape": [8]},
        {"type": "multihead_attention", "embed_dim": 8, "num_heads": 4, "causal": true},
        {"type": "layer_norm", "normalized_shape": [8], "eps": 1e-6, "elementwise_affine": false}
    ]}"#;
    let spec = LayerSpec::from_json(json).unwrap();
    let model = spec.build(&mut Rng::seed(3)).unwrap();
    assert_eq!(model.spec().as_ref(), Some(&spec));
    assert_eq!(LayerSpec::from_json(&spec.to_json()).unwrap(), spec);
    let LayerSpec::Sequential { layers } = &spec else { panic!("sequential") };
    let described: Vec<String> = layers.iter().map(LayerSpec::describe).collect();
    assert_eq!(described[2], "MultiheadAttention(8, num_heads=4, causal=true)");
    assert!(described[3].starts_with("LayerNorm([8], eps=0.000001"), "{}", described[3]);
    let y = no_grad(|| model.forward(&Tensor::zeros(&[2, 7, 8], DType::F32))).unwrap();
    assert_eq!(y.shape(), &[2, 7, 8]);
    assert_eq!(model.num_parameters(), 80 + 16 + (3 * 64 + 24 + 64 + 8));
}

#[test]
fn bad_sizes_are_errors_naming_the_layer() {
    let rng = &mut Rng::seed(4);
    let err = MultiheadAttention::new(6, 4, false, rng).err().unwrap().to_string();
    assert!(err.contains("MultiheadAttention") && err.contains("num_heads 4"), "{err}");
    let pos = PositionalEmbedding::new(4, 8, rng).unwrap();
    let err = pos.forward(&Tensor::zeros(&[1, 5, 8], DType::F32)).unwrap_err().to_string();
    assert!(err.contains("T ≤ 4"), "{err}");
    let err = LayerNorm::new(&[4]).unwrap().forward(&Tensor::zeros(&[2, 3], DType::F32)).unwrap_err().to_string();
    assert!(err.contains("layer_norm") && err.contains("[4]"), "{err}");
    assert!(LayerSpec::from_json(r#"{"type": "multihead_attention", "embed_dim": 8}"#).is_err());
}
