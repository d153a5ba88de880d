//! The fused recurrent layers against PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU`:
//! outputs, final states and every gradient (input, initial states, parameters)
//! from `fixtures/oracle_rnn.json`, written by `fixtures/gen_oracle_rnn.py`.
//! Stacked, bidirectional, with and without biases and initial states; in f64
//! (tight) and f32 (the kernels' fast gate functions).

use rede::nn::{Gru, Lstm, Module, Rnn, RnnConfig, RnnState};
use rede::{DType, Tensor};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/oracle_rnn.json")).expect("fixture is valid JSON")
}

/// A `{"shape": [...], "data": [...]}` entry as a tensor of `dtype`.
fn tensor(v: &Value, dtype: DType) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    Tensor::from_vec(data, &shape).unwrap().to_dtype(dtype)
}

fn assert_close(actual: &Tensor, expected: &Value, tol: f64, what: &str) {
    let expected = tensor(expected, DType::F64);
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    for (i, (a, e)) in actual.to_vec_f64().iter().zip(expected.to_vec_f64()).enumerate() {
        assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{what}[{i}]: rede {a}, PyTorch {e}");
    }
}

/// A layer of any of the three kinds.
enum Layer {
    Lstm(Lstm),
    Gru(Gru),
    Rnn(Rnn),
}

impl Layer {
    /// The layer of the case's kind over the case's parameters.
    fn of(c: &Value, params: Vec<Tensor>) -> Layer {
        let n = |k: &str| c[k].as_u64().unwrap() as usize;
        let config = RnnConfig::new(n("input_size"), n("hidden_size"))
            .layers(n("num_layers"))
            .bidirectional(c["bidirectional"].as_bool().unwrap())
            .bias(c["bias"].as_bool().unwrap());
        match c["kind"].as_str().unwrap() {
            "LSTM" => Layer::Lstm(Lstm::from_tensors(config, params).unwrap()),
            "GRU" => Layer::Gru(Gru::from_tensors(config, params).unwrap()),
            _ => Layer::Rnn(Rnn::from_tensors(config, params).unwrap()),
        }
    }

    fn run(&self, x: &Tensor, s: Option<&RnnState>) -> rede::Result<(Tensor, RnnState)> {
        match self {
            Layer::Lstm(l) => l.forward_with_state(x, s),
            Layer::Gru(l) => l.forward_with_state(x, s),
            Layer::Rnn(l) => l.forward_with_state(x, s),
        }
    }

    fn parameters(&self) -> Vec<Tensor> {
        match self {
            Layer::Lstm(l) => l.parameters(),
            Layer::Gru(l) => l.parameters(),
            Layer::Rnn(l) => l.parameters(),
        }
    }
}

fn check(name: &str, c: &Value, dtype: DType, tol: f64) {
    let leaf = |k: &str| tensor(&c[k], dtype).requires_grad_();
    let params = c["parameters"].as_array().unwrap().iter().map(|p| tensor(p, dtype)).collect();
    let names: Vec<&str> = c["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    let layer = Layer::of(c, params);
    let lstm = c["kind"] == "LSTM";
    let (x, h0, c0) = (leaf("x"), leaf("h0"), leaf("c0"));
    let initial = c["initial"].as_bool().unwrap().then(|| RnnState { h: h0.clone(), c: lstm.then(|| c0.clone()) });
    let (out, state) = layer.run(&x, initial.as_ref()).unwrap();
    let mut objective = out.mul(&tensor(&c["seed_output"], dtype)).unwrap().sum_all().unwrap();
    objective = objective.add(&state.h.mul(&tensor(&c["seed_h_n"], dtype)).unwrap().sum_all().unwrap()).unwrap();
    if let Some(cell) = &state.c {
        objective = objective.add(&cell.mul(&tensor(&c["seed_c_n"], dtype)).unwrap().sum_all().unwrap()).unwrap();
        assert_close(cell, &c["c_n"], tol, &format!("{name} c_n"));
    }
    objective.backward().unwrap();
    assert_close(&out, &c["output"], tol, &format!("{name} output"));
    assert_close(&state.h, &c["h_n"], tol, &format!("{name} h_n"));
    assert_close(&x.grad().unwrap(), &c["grad_x"], tol, &format!("{name} grad x"));
    if initial.is_some() {
        assert_close(&h0.grad().unwrap(), &c["grad_h0"], tol, &format!("{name} grad h0"));
        if lstm {
            assert_close(&c0.grad().unwrap(), &c["grad_c0"], tol, &format!("{name} grad c0"));
        }
    }
    let expected = c["grad_parameters"].as_array().unwrap();
    for ((p, expected), pname) in layer.parameters().iter().zip(expected).zip(&names) {
        assert_close(&p.grad().unwrap(), expected, tol, &format!("{name} grad {pname}"));
    }
}

#[test]
fn every_case_matches_pytorch_in_f64() {
    for (name, c) in fixture()["cases"].as_object().unwrap() {
        check(name, c, DType::F64, 1e-10);
    }
}

#[test]
fn every_case_matches_pytorch_in_f32() {
    for (name, c) in fixture()["cases"].as_object().unwrap() {
        check(name, c, DType::F32, 2e-5);
    }
}
