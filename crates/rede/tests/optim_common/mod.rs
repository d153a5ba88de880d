//! Shared by the optim_* tests: the oracle fixture and the tiny regression problem.
#![allow(dead_code)]

use rede::optim::*;
use rede::{DType, Result, Tensor};
use serde_json::Value;

/// The fixture written by fixtures/gen_oracle_optim.py.
pub fn oracle() -> Value {
    serde_json::from_str(include_str!("../fixtures/oracle_optim.json")).expect("valid fixture")
}

/// A JSON array of numbers (nested arrays flattened).
pub fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not a number array: {other}"),
    }
}

/// The fixture's problem: loss = sum((x·wᵀ + b − y)²) with parameters w [2, 3], b [2].
pub struct Problem {
    pub w: Tensor,
    pub b: Tensor,
    x: Tensor,
    y: Tensor,
}

impl Problem {
    pub fn new(dtype: DType) -> Problem {
        let p = &oracle()["problem"];
        let t = |v: &Value, shape: &[usize]| Tensor::from_vec(floats(v), shape).unwrap().to_dtype(dtype);
        let w = t(&p["w0"], &[2, 3]).requires_grad_();
        let b = t(&p["b0"], &[2]).requires_grad_();
        w.set_label("fc.weight");
        b.set_label("fc.bias");
        Problem { w, b, x: t(&p["x"], &[4, 3]), y: t(&p["y"], &[4, 2]) }
    }

    pub fn params(&self) -> Vec<Tensor> {
        vec![self.w.clone(), self.b.clone()]
    }

    pub fn loss(&self) -> Result<Tensor> {
        self.x.matmul(&self.w.t()?)?.add(&self.b)?.sub(&self.y)?.square().sum_all()
    }

    /// zero_grad, loss, backward.
    pub fn backward(&self) -> Result<f64> {
        self.w.zero_grad();
        self.b.zero_grad();
        let loss = self.loss()?;
        loss.backward()?;
        loss.item()
    }

    /// One training step with `opt`.
    pub fn step(&self, opt: &mut dyn Optimizer) -> Result<()> {
        self.backward()?;
        opt.step()
    }

    /// w and b, flattened and concatenated.
    pub fn values(&self) -> Vec<f64> {
        [self.w.to_vec_f64(), self.b.to_vec_f64()].concat()
    }
}

/// The optimizer of each fixture case (configs mirror gen_oracle_optim.py); None for an unknown name.
pub fn build(name: &str, params: Vec<Tensor>) -> Option<Box<dyn Optimizer>> {
    let sgd = SgdConfig::default().lr(0.01);
    let rms = RmsPropConfig::default().lr(0.01);
    let adam = AdamConfig::default().lr(0.01);
    let adamw = AdamWConfig::default().lr(0.01);
    let adagrad = AdagradConfig::default().lr(0.1);
    let opt: Box<dyn Optimizer> = match name {
        "sgd" => Box::new(Sgd::new(params, sgd).unwrap()),
        "sgd_momentum_dampening_wd" => {
            Box::new(Sgd::new(params, sgd.momentum(0.9).dampening(0.1).weight_decay(0.05)).unwrap())
        }
        "sgd_nesterov" => Box::new(Sgd::new(params, sgd.momentum(0.9).nesterov(true)).unwrap()),
        "sgd_l1" => Box::new(Sgd::new(params, sgd.l1(0.1)).unwrap()),
        "sgd_wd_weights_only" => Box::new(Sgd::new(params, sgd.weight_decay(0.1).decay_biases(false)).unwrap()),
        "rmsprop" => Box::new(RmsProp::new(params, rms).unwrap()),
        "rmsprop_centered" => Box::new(RmsProp::new(params, rms.centered(true)).unwrap()),
        "rmsprop_momentum_wd" => Box::new(RmsProp::new(params, rms.momentum(0.5).weight_decay(0.1)).unwrap()),
        "rmsprop_all" => {
            let cfg = rms.alpha(0.9).momentum(0.5).centered(true).weight_decay(0.1).l1(0.05);
            Box::new(RmsProp::new(params, cfg).unwrap())
        }
        "adam" => Box::new(Adam::new(params, adam).unwrap()),
        "adam_wd_amsgrad" => {
            Box::new(Adam::new(params, adam.betas((0.8, 0.99)).weight_decay(0.1).amsgrad(true)).unwrap())
        }
        "adam_l1" => Box::new(Adam::new(params, adam.l1(0.05)).unwrap()),
        "adamw" => Box::new(AdamW::new(params, adamw).unwrap()),
        "adamw_amsgrad" => Box::new(AdamW::new(params, adamw.weight_decay(0.1).amsgrad(true)).unwrap()),
        "adamw_weights_only" => Box::new(AdamW::new(params, adamw.weight_decay(0.5).decay_biases(false)).unwrap()),
        "adagrad" => Box::new(Adagrad::new(params, adagrad).unwrap()),
        "adagrad_all" => {
            let cfg = adagrad.lr_decay(0.01).weight_decay(0.1).initial_accumulator_value(0.1).eps(1e-10);
            Box::new(Adagrad::new(params, cfg).unwrap())
        }
        _ => return None,
    };
    Some(opt)
}

/// Largest absolute difference.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}
