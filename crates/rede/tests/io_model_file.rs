//! Model files: save → load gives the same predictions; damaged or foreign files are refused.

use rede::io::{load_model, save_model};
use rede::nn::{mlp, Activation, Module};
use rede::{no_grad, DType, Rng, Tensor};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rede-io-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn saved_model(dir: &std::path::Path) -> (PathBuf, Box<dyn Module>) {
    let model = mlp(&[3, 8, 2], Activation::Tanh, &mut Rng::seed(9)).unwrap();
    let path = dir.join("m.safetensors");
    let meta = BTreeMap::from([("classes".to_string(), "[\"a\",\"b\"]".to_string())]);
    save_model(&path, &model, &meta).unwrap();
    (path, Box::new(model))
}

#[test]
fn round_trip_predicts_identically_and_keeps_metadata() {
    let dir = temp_dir("roundtrip");
    let (path, model) = saved_model(&dir);
    let loaded = load_model(&path).unwrap();
    let x = Tensor::rand_normal(&[5, 3], 0.0, 1.0, DType::F32, &mut Rng::seed(1));
    let (a, b) = no_grad(|| (model.forward(&x).unwrap().to_vec_f32(), loaded.module.forward(&x).unwrap().to_vec_f32()));
    assert_eq!(a, b);
    assert_eq!(loaded.metadata["classes"], "[\"a\",\"b\"]");
    assert_eq!(loaded.metadata["rede.version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(Some(loaded.spec), model.spec());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn truncated_and_garbage_files_are_errors_naming_the_file() {
    let dir = temp_dir("damaged");
    let (path, _) = saved_model(&dir);
    let bytes = std::fs::read(&path).unwrap();
    for (name, content) in [
        ("truncated.safetensors", bytes[..bytes.len() - 10].to_vec()),
        ("header-only.safetensors", bytes[..20].to_vec()),
        ("garbage.safetensors", b"this is not a model".to_vec()),
        ("empty.safetensors", Vec::new()),
        ("huge-header.safetensors", [u64::MAX.to_le_bytes().as_slice(), b"{}"].concat()),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        let err = load_model(&p).err().unwrap_or_else(|| panic!("{name} loaded")).to_string();
        assert!(err.contains(name), "{name}: {err}");
    }
    let missing = load_model(&dir.join("nope.safetensors")).err().unwrap().to_string();
    assert!(missing.contains("nope.safetensors"), "{missing}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Rewrites the metadata of a saved model file (keeping its tensors) through `edit`.
fn with_metadata(path: &std::path::Path, edit: impl Fn(&mut BTreeMap<String, String>)) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let mut meta: BTreeMap<String, String> = serde_json::from_value(header["__metadata__"].clone()).unwrap();
    edit(&mut meta);
    header["__metadata__"] = serde_json::to_value(meta).unwrap();
    let mut new_header = serde_json::to_vec(&header).unwrap();
    while new_header.len() % 8 != 0 {
        new_header.push(b' ');
    }
    [(new_header.len() as u64).to_le_bytes().as_slice(), &new_header, &bytes[8 + n..]].concat()
}

#[test]
fn other_format_versions_and_foreign_files_are_refused() {
    let dir = temp_dir("version");
    let (path, _) = saved_model(&dir);
    let future = dir.join("future.safetensors");
    std::fs::write(&future, with_metadata(&path, |m| drop(m.insert("rede.format".into(), "99".into())))).unwrap();
    let err = load_model(&future).err().unwrap().to_string();
    assert!(err.contains("format 99") && err.contains("future.safetensors"), "{err}");
    let foreign = dir.join("foreign.safetensors");
    std::fs::write(&foreign, with_metadata(&path, |m| drop(m.remove("rede.format")))).unwrap();
    assert!(load_model(&foreign).err().unwrap().to_string().contains("not a rede model file"));
    let wrong_arch = dir.join("arch.safetensors");
    // As many parameters as the file stores (4·4 + 4 + 4·6 + 6 = 50), in other shapes.
    let spec = mlp(&[4, 4, 6], Activation::Tanh, &mut Rng::seed(1)).unwrap().spec().unwrap();
    let spec = serde_json::to_string(&spec).unwrap();
    std::fs::write(&wrong_arch, with_metadata(&path, |m| drop(m.insert("rede.spec".into(), spec.clone())))).unwrap();
    assert!(load_model(&wrong_arch).err().unwrap().to_string().contains("shape"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_save_leaves_the_old_file() {
    let dir = temp_dir("atomic");
    let (path, _) = saved_model(&dir);
    let before = std::fs::read(&path).unwrap();
    let model = mlp(&[3, 8, 2], Activation::Tanh, &mut Rng::seed(2)).unwrap();
    assert!(save_model(&dir.join("no-such-dir").join("m.safetensors"), &model, &BTreeMap::new()).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The model file at `path` with its architecture replaced by `spec` (JSON), tensors kept.
fn with_spec(dir: &std::path::Path, path: &std::path::Path, name: &str, spec: &str) -> PathBuf {
    let damaged = dir.join(name);
    std::fs::write(&damaged, with_metadata(path, |m| drop(m.insert("rede.spec".into(), spec.into())))).unwrap();
    damaged
}

#[test]
fn a_header_asking_for_more_than_the_file_stores_is_refused_before_anything_is_built() {
    let dir = temp_dir("limits");
    let (path, _) = saved_model(&dir);
    let cases = [
        // 2^32 parameters: an allocation of 16 GiB if the layer were built first.
        (r#"{"type":"linear","in_features":2,"out_features":2147483648}"#, "over the limit"),
        (r#"{"type":"linear","in_features":288230376151711744,"out_features":2}"#, "in_features = 288230376151711744"),
        (r#"{"type":"lstm","input_size":3,"hidden_size":2,"num_layers":1000000000}"#, "over the limit"),
        (r#"{"type":"batch_norm1d","num_features":10000000000,"affine":false}"#, "num_features = 10000000000"),
        // Sizes that fit, but not these tensors: 3·9 + 9 + 9·2 + 2 = 56 parameters, the file stores 50.
        (
            r#"{"type":"sequential","layers":[{"type":"linear","in_features":3,"out_features":9},
            {"type":"tanh"},{"type":"linear","in_features":9,"out_features":2}]}"#,
            "56 parameters and 0 buffer values but the file stores 50",
        ),
    ];
    for (i, (spec, expected)) in cases.iter().enumerate() {
        let name = format!("damaged-{i}.safetensors");
        let err = load_model(&with_spec(&dir, &path, &name, spec)).err().unwrap().to_string();
        assert!(err.contains(&name) && err.contains("rede.spec") && err.contains(expected), "{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn non_finite_weights_are_refused() {
    let dir = temp_dir("nan");
    let (path, _) = saved_model(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let data = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for (name, value) in [("nan.safetensors", f32::NAN), ("inf.safetensors", f32::NEG_INFINITY)] {
        bytes[data + 4..data + 8].copy_from_slice(&value.to_le_bytes()); // the second value of the first tensor
        let p = dir.join(name);
        std::fs::write(&p, &bytes).unwrap();
        let err = load_model(&p).err().unwrap().to_string();
        assert!(err.contains(name) && err.contains("value 1 is not finite"), "{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A small net with batch normalization whose running statistics have moved
/// away from their initial values (mean 0, variance 1) by training-mode passes.
fn batch_norm_model_after_training() -> Box<dyn Module> {
    let spec: rede::nn::LayerSpec = serde_json::from_str(
        r#"{"type":"sequential","layers":[{"type":"linear","in_features":3,"out_features":4},
        {"type":"batch_norm1d","num_features":4},{"type":"relu"},{"type":"linear","in_features":4,"out_features":2}]}"#,
    )
    .unwrap();
    let mut model = spec.build(&mut Rng::seed(4)).unwrap();
    for seed in 0..3 {
        let x = Tensor::rand_normal(&[16, 3], 2.0, 3.0, DType::F32, &mut Rng::seed(seed));
        no_grad(|| model.forward(&x).unwrap());
    }
    model.set_training(false);
    model
}

#[test]
fn batch_norm_running_statistics_survive_save_and_load() {
    let dir = temp_dir("buffers");
    let model = batch_norm_model_after_training();
    let path = dir.join("bn.safetensors");
    save_model(&path, model.as_ref(), &BTreeMap::new()).unwrap();
    let mut loaded = load_model(&path).unwrap().module;
    loaded.set_training(false);
    let values =
        |m: &dyn Module| m.named_buffers().iter().map(|(n, t)| (n.clone(), t.to_vec_f32())).collect::<Vec<_>>();
    let saved = values(model.as_ref());
    assert!(saved[0].1.iter().any(|&m| m.abs() > 0.1), "running mean never moved: {saved:?}");
    assert_eq!(values(loaded.as_ref()), saved);
    let x = Tensor::rand_normal(&[5, 3], 0.0, 1.0, DType::F32, &mut Rng::seed(7));
    let (a, b) = no_grad(|| (model.forward(&x).unwrap().to_vec_f32(), loaded.forward(&x).unwrap().to_vec_f32()));
    assert_eq!(a, b);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn files_without_buffers_from_earlier_versions_still_load() {
    let dir = temp_dir("old-buffers");
    let model = batch_norm_model_after_training();
    // The layout rede wrote before buffers were saved: parameters only.
    let meta = [
        ("rede.format".to_string(), rede::io::FORMAT_VERSION.to_string()),
        ("rede.spec".to_string(), serde_json::to_string(&model.spec().unwrap()).unwrap()),
    ];
    let path = dir.join("old.safetensors");
    std::fs::write(&path, file_of(&meta, model.named_parameters())).unwrap();
    let loaded = load_model(&path).unwrap().module;
    let means: Vec<Vec<f32>> = loaded.named_buffers().iter().map(|(_, t)| t.to_vec_f32()).collect();
    assert_eq!(means[0], vec![0.0; 4], "initial running mean kept");
    assert_eq!(means[1], vec![1.0; 4], "initial running variance kept");

    // Some buffers but not all: neither layout, so a damaged file, named.
    let mut partial = model.named_parameters();
    partial.push(model.named_buffers().remove(0));
    let path = dir.join("partial.safetensors");
    std::fs::write(&path, file_of(&meta, partial)).unwrap();
    let err = load_model(&path).err().unwrap().to_string();
    assert!(err.contains("partial.safetensors") && err.contains("but the file stores"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A safetensors file of f32 `tensors` with header `meta`.
fn file_of(meta: &[(String, String); 2], tensors: Vec<(String, Tensor)>) -> Vec<u8> {
    let data: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .into_iter()
        .map(|(n, t)| (n, t.to_vec_f32().iter().flat_map(|v| v.to_le_bytes()).collect(), t.shape().to_vec()))
        .collect();
    let views = data.iter().map(|(n, bytes, shape)| {
        (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes).unwrap())
    });
    safetensors::serialize(views, Some(meta.iter().cloned().collect())).unwrap()
}
