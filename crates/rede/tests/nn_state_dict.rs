//! `#[derive(Module)]` and weights-only persistence: names as PyTorch writes
//! them, train/eval mode reaching every field, and state dicts that save, load
//! strictly or not, and report what did not match.

use rede::io::save_model;
use rede::nn::{BatchNorm1d, Dropout, Linear, Module, StateDict};
use rede::{no_grad, DType, Result, Rng, Tensor};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Module)]
#[module(forward = residual)]
struct Block {
    linear: Linear,
    dropout: Dropout,
}

impl Block {
    fn new(width: usize, rng: &mut Rng) -> Result<Block> {
        Ok(Block { linear: Linear::new(width, width, rng)?, dropout: Dropout::new(0.5, rng)? })
    }

    fn residual(&self, x: &Tensor) -> Result<Tensor> {
        x.add(&self.dropout.forward(&self.linear.forward(x)?.relu())?)
    }
}

#[derive(Module)]
#[module(forward = run)]
struct Net {
    blocks: Vec<Block>,
    norm: BatchNorm1d,
    head: Option<Linear>,
    scale: Tensor,
    #[module(buffer)]
    shift: Tensor,
    extra: Box<dyn Module>,
    #[module(training)]
    training: bool,
    #[module(skip)]
    width: usize,
}

impl Net {
    fn new(seed: u64) -> Result<Net> {
        let rng = &mut Rng::seed(seed);
        let width = 4;
        Ok(Net {
            blocks: vec![Block::new(width, rng)?, Block::new(width, rng)?],
            norm: BatchNorm1d::new(width)?,
            head: Some(Linear::new(width, 2, rng)?),
            scale: Tensor::rand_normal(&[2], 1.0, 0.1, DType::F32, rng).requires_grad_(),
            shift: Tensor::rand_normal(&[2], 0.0, 1.0, DType::F32, rng),
            extra: Box::new(Linear::new(2, 2, rng)?),
            training: true,
            width,
        })
    }

    fn run(&self, x: &Tensor) -> Result<Tensor> {
        assert_eq!(x.shape()[1], self.width);
        let mut h = self.norm.forward(x)?;
        for block in &self.blocks {
            h = block.forward(&h)?;
        }
        let head = self.head.as_ref().expect("a head");
        self.extra.forward(&head.forward(&h)?.mul(&self.scale)?.add(&self.shift)?)
    }
}

fn names(named: Vec<(String, Tensor)>) -> Vec<String> {
    named.into_iter().map(|(n, _)| n).collect()
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rede-state-dict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn input() -> Tensor {
    Tensor::rand_normal(&[5, 4], 0.0, 1.0, DType::F32, &mut Rng::seed(99))
}

#[test]
fn derived_names_nest_like_pytorch() {
    let net = Net::new(0).unwrap();
    let expected = [
        "blocks.0.linear.weight",
        "blocks.0.linear.bias",
        "blocks.1.linear.weight",
        "blocks.1.linear.bias",
        "norm.weight",
        "norm.bias",
        "head.weight",
        "head.bias",
        "scale",
        "extra.weight",
        "extra.bias",
    ];
    assert_eq!(names(net.named_parameters()), expected);
    assert_eq!(names(net.named_buffers()), ["norm.running_mean", "norm.running_var", "shift"]);
    let mut headless = Net::new(0).unwrap();
    headless.head = None;
    assert!(!names(headless.named_parameters()).iter().any(|n| n.starts_with("head")));
    assert_eq!(net.num_parameters(), 2 * 20 + 8 + 10 + 2 + 6);
}

#[test]
fn train_and_eval_mode_reach_every_field() {
    let mut net = Net::new(0).unwrap();
    let x = input();
    // Training: dropout masks differ between calls. Evaluation: deterministic, and the flag follows.
    let (a, b) = no_grad(|| (net.forward(&x).unwrap().to_vec_f32(), net.forward(&x).unwrap().to_vec_f32()));
    assert_ne!(a, b);
    net.set_training(false);
    assert!(!net.training && !net.blocks[1].dropout.is_training());
    let (a, b) = no_grad(|| (net.forward(&x).unwrap().to_vec_f32(), net.forward(&x).unwrap().to_vec_f32()));
    assert_eq!(a, b);
    net.set_training(true);
    assert!(net.training && net.blocks[0].dropout.is_training());
}

#[test]
fn a_state_dict_file_restores_a_fresh_instance() {
    let mut trained = Net::new(1).unwrap();
    // Move the running statistics away from their initial values, then evaluate.
    no_grad(|| trained.forward(&input().mul_scalar(3.0).add_scalar(1.0))).unwrap();
    trained.set_training(false);
    let path = temp_file("net.safetensors");
    trained.state_dict().save(&path).unwrap();

    let mut fresh = Net::new(2).unwrap();
    fresh.set_training(false);
    let x = input();
    assert_ne!(
        no_grad(|| fresh.forward(&x)).unwrap().to_vec_f32(),
        no_grad(|| trained.forward(&x)).unwrap().to_vec_f32()
    );
    let loaded = StateDict::load(&path).unwrap();
    assert_eq!(loaded.len(), 14);
    let report = fresh.load_state_dict(&loaded, true).unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        no_grad(|| fresh.forward(&x)).unwrap().to_vec_f32(),
        no_grad(|| trained.forward(&x)).unwrap().to_vec_f32()
    );
    assert_eq!(fresh.norm.running_mean().to_vec_f32(), trained.norm.running_mean().to_vec_f32());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn strict_loading_refuses_any_mismatch_and_copies_nothing() {
    let source = Net::new(3).unwrap();
    let mut state = source.state_dict();
    state.remove("head.bias");
    state.insert("head.gain", Tensor::ones(&[2], DType::F32));
    state.insert("scale", Tensor::ones(&[3], DType::F32));
    let target = Net::new(4).unwrap();
    let before = target.state_dict().get("blocks.0.linear.weight").unwrap().to_vec_f32();
    let err = target.load_state_dict(&state, true).unwrap_err().to_string();
    for part in ["nothing was loaded", "missing head.bias", "unexpected head.gain", "scale has shape [3]"] {
        assert!(err.contains(part), "{part} not in: {err}");
    }
    assert_eq!(target.state_dict().get("blocks.0.linear.weight").unwrap().to_vec_f32(), before);

    // Not strict: what fits is copied, the rest is reported and left alone.
    let report = target.load_state_dict(&state, false).unwrap();
    assert_eq!(report.missing, ["head.bias"]);
    assert_eq!(report.unexpected, ["head.gain"]);
    assert_eq!((report.mismatched[0].name.as_str(), &report.mismatched[0].found[..]), ("scale", &[3][..]));
    let copied = target.state_dict();
    let original = source.state_dict();
    let same = |name: &str| copied.get(name).unwrap().to_vec_f32() == original.get(name).unwrap().to_vec_f32();
    assert!(same("blocks.0.linear.weight") && same("norm.running_var") && same("head.weight"));
    assert!(!same("scale")); // head.bias starts at zero in both, so it says nothing here
}

#[test]
fn state_dicts_convert_element_types_and_read_model_files() {
    let rng = &mut Rng::seed(5);
    let f32_layer = Linear::new(3, 2, rng).unwrap();
    let f64_layer =
        Linear::with_init(3, 2, true, rede::nn::Initializer::GlorotUniform, DType::F64, &mut Rng::seed(6)).unwrap();
    f64_layer.load_state_dict(&f32_layer.state_dict(), true).unwrap();
    assert_eq!(f64_layer.weight().dtype(), DType::F64);
    assert_eq!(f64_layer.weight().to_vec_f32(), f32_layer.weight().to_vec_f32());
    // A model file holds the same names, so its weights load into a hand-built layer.
    let path = temp_file("linear-model.safetensors");
    save_model(&path, &f32_layer, &BTreeMap::new()).unwrap();
    let fresh = Linear::new(3, 2, &mut Rng::seed(7)).unwrap();
    fresh.load_state_dict(&StateDict::load(&path).unwrap(), true).unwrap();
    assert_eq!(fresh.bias().unwrap().to_vec_f32(), f32_layer.bias().unwrap().to_vec_f32());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn save_model_on_a_user_module_is_an_error_pointing_to_state_dict() {
    let path = temp_file("custom.safetensors");
    let err = save_model(&path, &Net::new(0).unwrap(), &BTreeMap::new()).unwrap_err().to_string();
    assert!(err.contains("no LayerSpec") && err.contains("state_dict"), "{err}");
    assert!(!path.exists());
}

#[test]
fn unreadable_files_are_errors_naming_them() {
    let path = temp_file("garbage.safetensors");
    std::fs::write(&path, b"not a safetensors file").unwrap();
    let err = StateDict::load(&path).unwrap_err().to_string();
    assert!(err.contains("garbage.safetensors") && err.contains("not a valid safetensors file"), "{err}");
    assert!(StateDict::load(temp_file("absent.safetensors")).is_err());
    std::fs::remove_file(path).unwrap();
}
