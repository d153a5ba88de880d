//! rede's losses and an MLP against PyTorch: values and gradients from
//! `fixtures/oracle_nn.json`, written by `fixtures/gen_oracle_nn.py`.

use rede::nn::loss::{self, CrossEntropyOptions, Reduction};
use rede::nn::{Linear, Module, Relu, Sequential};
use rede::{DType, Tensor};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/oracle_nn.json")).expect("fixture is valid JSON")
}

fn case(name: &str) -> Value {
    fixture()["cases"][name].clone()
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

fn reduction(v: &Value) -> Reduction {
    match v.as_str().unwrap() {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        _ => Reduction::None,
    }
}

fn check_cross_entropy(name: &str, dtype: DType, tol: f64) {
    let c = case(name);
    let logits = tensor(&c["logits"], dtype).requires_grad_();
    let options = CrossEntropyOptions {
        weight: c.get("weight").map(|w| tensor(w, dtype)),
        label_smoothing: c["label_smoothing"].as_f64().unwrap(),
        reduction: reduction(&c["reduction"]),
        ignore_index: c.get("ignore_index").and_then(Value::as_i64),
    };
    let loss = loss::cross_entropy_with(&logits, &tensor(&c["targets"], dtype), &options).unwrap();
    assert_eq!(loss.dtype(), dtype);
    loss.backward_with(&tensor(&c["grad_output"], dtype)).unwrap();
    assert_close(&loss, &c["loss"], tol, &format!("{name} loss"));
    assert_close(&logits.grad().unwrap(), &c["grad_logits"], tol, &format!("{name} grad"));
}

#[test]
fn cross_entropy_matches_pytorch() {
    for name in [
        "cross_entropy",
        "cross_entropy_weighted",
        "cross_entropy_smoothed",
        "cross_entropy_weighted_smoothed",
        "cross_entropy_sum",
        "cross_entropy_none",
        "cross_entropy_huge",
        "cross_entropy_ignore",
        "cross_entropy_ignore_none",
        "cross_entropy_probs",
        "cross_entropy_probs_sum",
    ] {
        check_cross_entropy(name, DType::F64, 1e-12);
        check_cross_entropy(name, DType::F32, 1e-5);
    }
}

#[test]
fn cross_entropy_is_finite_for_huge_logits() {
    let c = case("cross_entropy_huge");
    for dtype in [DType::F32, DType::F64] {
        let logits = tensor(&c["logits"], dtype).requires_grad_();
        let l = loss::cross_entropy(&logits, &tensor(&c["targets"], dtype)).unwrap();
        l.backward().unwrap();
        assert!(l.item().unwrap().is_finite());
        assert!(logits.grad().unwrap().to_vec_f64().iter().all(|g| g.is_finite()));
    }
}

#[test]
fn nll_matches_pytorch() {
    for name in ["nll", "nll_weighted"] {
        let c = case(name);
        let log_probs = tensor(&c["log_probs"], DType::F64).requires_grad_();
        let weight = c.get("weight").map(|w| tensor(w, DType::F64));
        let l = loss::nll_loss_with(&log_probs, &tensor(&c["targets"], DType::F64), weight.as_ref(), Reduction::Mean)
            .unwrap();
        l.backward().unwrap();
        assert_close(&l, &c["loss"], 1e-12, name);
        assert_close(&log_probs.grad().unwrap(), &c["grad"], 1e-12, name);
    }
}

type PairLoss = fn(&Tensor, &Tensor) -> rede::Result<Tensor>;

#[test]
fn elementwise_losses_match_pytorch() {
    let cases: [(&str, PairLoss); 8] = [
        ("kl_div_batchmean", |p, t| loss::kl_div(p, t, false)),
        ("kl_div_log_target", |p, t| loss::kl_div(p, t, true)),
        ("bce", loss::binary_cross_entropy),
        ("bce_with_logits", loss::binary_cross_entropy_with_logits),
        ("mse", loss::mse_loss),
        ("l1", loss::l1_loss),
        ("huber", |p, t| loss::huber_loss(p, t, 1.0)),
        ("huber_half", |p, t| loss::huber_loss(p, t, 0.5)),
    ];
    for (name, f) in cases {
        let c = case(name);
        for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
            let p = tensor(&c["prediction"], dtype).requires_grad_();
            let t = tensor(&c["target"], dtype).requires_grad_();
            let l = f(&p, &t).unwrap();
            l.backward().unwrap();
            assert_close(&l, &c["loss"], tol, name);
            assert_close(&p.grad().unwrap(), &c["grad_prediction"], tol, &format!("{name} d/dprediction"));
            assert_close(&t.grad().unwrap(), &c["grad_target"], tol, &format!("{name} d/dtarget"));
        }
    }
}

#[test]
fn linear_relu_linear_matches_pytorch() {
    let c = case("mlp");
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
        let t = |k: &str| tensor(&c[k], dtype);
        let model = Sequential::new()
            .with(Linear::from_tensors(t("w1"), Some(t("b1"))).unwrap())
            .with(Relu)
            .with(Linear::from_tensors(t("w2"), Some(t("b2"))).unwrap());
        let x = t("x").requires_grad_();
        let out = model.forward(&x).unwrap();
        assert_close(&out, &c["output"], tol, "mlp output");
        out.backward_with(&t("grad_output")).unwrap();
        assert_close(&x.grad().unwrap(), &c["grad_x"], tol, "mlp d/dx");
        let expected = ["grad_w1", "grad_b1", "grad_w2", "grad_b2"];
        for ((name, p), key) in model.named_parameters().iter().zip(expected) {
            assert_close(&p.grad().unwrap(), &c[key], tol, name);
        }
    }
}
