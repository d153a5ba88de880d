//! rede against PyTorch (float64) on the cases of `fixtures/gen_oracle_conv.py`:
//! a grouped, dilated conv2d layer, max and average pooling, batch norm in training
//! (including the running statistics after the step) and evaluation, an LSTM (2 layers,
//! bidirectional) and a GRU with given initial states — outputs, states and gradients.

use rede::nn::{AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Gru, Lstm, MaxPool2d, Module, RnnConfig, RnnState};
use rede::{Conv2dOptions, Tensor};
use serde_json::Value;

fn fixture() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oracle_conv.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn assert_matches(name: &str, got: &Tensor, expected: &Value) {
    let expected = tensor(expected);
    assert_eq!(got.shape(), expected.shape(), "{name}: shape");
    for (i, (a, b)) in got.to_vec_f64().iter().zip(expected.to_vec_f64()).enumerate() {
        assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{name}[{i}]: rede {a}, torch {b}");
    }
}

fn half_square(y: &Tensor) -> Tensor {
    y.square().sum_all().unwrap().mul_scalar(0.5)
}

#[test]
fn conv2d_layer_with_groups_and_dilation() {
    let case = &fixture()["conv2d"];
    let x = tensor(&case["x"]).requires_grad_();
    let options = Conv2dOptions { stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 };
    let conv = Conv2d::from_tensors(tensor(&case["weight"]), Some(tensor(&case["bias"])), options).unwrap();
    let out = conv.forward(&x).unwrap();
    assert_matches("out", &out, &case["out"]);
    half_square(&out).backward().unwrap();
    assert_matches("grad_x", &x.grad().unwrap(), &case["grad_x"]);
    assert_matches("grad_weight", &conv.weight().grad().unwrap(), &case["grad_weight"]);
    assert_matches("grad_bias", &conv.bias().unwrap().grad().unwrap(), &case["grad_bias"]);
}

#[test]
fn max_and_avg_pooling() {
    let f = fixture();
    let layers: [(&str, Box<dyn Module>); 2] = [
        ("max_pool2d", Box::new(MaxPool2d::with_options([3, 3], [2, 2], [1, 1]))),
        ("avg_pool2d", Box::new(AvgPool2d::with_options([3, 2], [2, 2], [1, 0]))),
    ];
    for (name, layer) in layers {
        let case = &f[name];
        let x = tensor(&case["x"]).requires_grad_();
        let out = layer.forward(&x).unwrap();
        assert_matches(name, &out, &case["out"]);
        half_square(&out).backward().unwrap();
        assert_matches(name, &x.grad().unwrap(), &case["grad_x"]);
    }
}

fn check_batch_norm(case: &Value, mut bn: Box<dyn Module>) {
    let x = tensor(&case["x"]).requires_grad_();
    let out = bn.forward(&x).unwrap();
    assert_matches("train out", &out, &case["out"]);
    half_square(&out).backward().unwrap();
    assert_matches("grad_x", &x.grad().unwrap(), &case["grad_x"]);
    let params = bn.named_parameters();
    assert_matches("grad_weight", &params[0].1.grad().unwrap(), &case["grad_weight"]);
    assert_matches("grad_bias", &params[1].1.grad().unwrap(), &case["grad_bias"]);
    let buffers = bn.named_buffers();
    assert_eq!(buffers[0].0, "running_mean");
    assert_matches("running_mean", &buffers[0].1, &case["running_mean"]);
    assert_matches("running_var", &buffers[1].1, &case["running_var"]);
    bn.set_training(false);
    assert_matches("eval out", &bn.forward(&tensor(&case["x_eval"])).unwrap(), &case["out_eval"]);
}

#[test]
fn batch_norm_in_training_and_evaluation() {
    let f = fixture();
    let state = |case: &Value| {
        let c = case["weight"]["shape"][0].as_u64().unwrap() as usize;
        (
            Some(tensor(&case["weight"])),
            Some(tensor(&case["bias"])),
            Tensor::zeros(&[c], rede::DType::F64),
            Tensor::ones(&[c], rede::DType::F64),
        )
    };
    let (w, b, m, v) = state(&f["batch_norm2d"]);
    check_batch_norm(&f["batch_norm2d"], Box::new(BatchNorm2d::from_tensors(w, b, m, v, 1e-5, 0.1).unwrap()));
    let (w, b, m, v) = state(&f["batch_norm1d"]);
    check_batch_norm(&f["batch_norm1d"], Box::new(BatchNorm1d::from_tensors(w, b, m, v, 1e-5, 0.1).unwrap()));
}

/// Loads PyTorch's parameters in its order and checks outputs, states and every gradient.
fn check_recurrent(case: &Value, build: impl Fn(Vec<Tensor>) -> (Box<dyn Module>, RecurrentFn)) {
    // JSON objects come back sorted by key, so the order is stored separately.
    let names: Vec<String> =
        case["parameter_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    let params: Vec<Tensor> = names.iter().map(|n| tensor(&case["parameters"][n])).collect();
    let (module, run) = build(params);
    let rede_names: Vec<String> = module.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(rede_names, names, "parameter names and order follow PyTorch");
    let x = tensor(&case["x"]).requires_grad_();
    let initial = RnnState { h: tensor(&case["h0"]), c: case.get("c0").map(tensor) };
    let (out, state) = run(&x, &initial);
    assert_matches("out", &out, &case["out"]);
    assert_matches("h_n", &state.h, &case["h_n"]);
    let mut loss = half_square(&out).add(&state.h.sum_all().unwrap()).unwrap();
    if let Some(c) = &state.c {
        assert_matches("c_n", c, &case["c_n"]);
        loss = loss.add(&c.sum_all().unwrap()).unwrap();
    }
    loss.backward().unwrap();
    assert_matches("grad_x", &x.grad().unwrap(), &case["grad_x"]);
    for (name, p) in module.named_parameters() {
        assert_matches(&name, &p.grad().unwrap(), &case["grads"][&name]);
    }
}

type RecurrentFn = Box<dyn Fn(&Tensor, &RnnState) -> (Tensor, RnnState)>;

#[test]
fn lstm_two_layers_bidirectional() {
    check_recurrent(&fixture()["lstm"], |params| {
        let config = RnnConfig::new(3, 4).layers(2).bidirectional(true);
        let lstm = std::sync::Arc::new(Lstm::from_tensors(config, params).unwrap());
        let run = lstm.clone();
        (Box::new(ArcModule(lstm)), Box::new(move |x, s| run.forward_with_state(x, Some(s)).unwrap()))
    });
}

#[test]
fn gru_one_layer() {
    check_recurrent(&fixture()["gru"], |params| {
        let gru = std::sync::Arc::new(Gru::from_tensors(RnnConfig::new(3, 5), params).unwrap());
        let run = gru.clone();
        (Box::new(ArcModule(gru)), Box::new(move |x, s| run.forward_with_state(x, Some(s)).unwrap()))
    });
}

/// Shares one layer between the checker's module view and its stateful runner.
struct ArcModule<M>(std::sync::Arc<M>);

impl<M: Module> Module for ArcModule<M> {
    fn forward(&self, x: &Tensor) -> rede::Result<Tensor> {
        self.0.forward(x)
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.0.named_parameters()
    }
    fn spec(&self) -> Option<rede::nn::LayerSpec> {
        self.0.spec()
    }
}
