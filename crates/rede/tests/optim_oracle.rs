//! Optimizers, clipping and L-BFGS against PyTorch (fixtures/oracle_optim.json).

mod optim_common;

use optim_common::{build, floats, max_diff, oracle, Problem};
use rede::optim::{clip_grad_norm, clip_grad_value, Lbfgs, LbfgsConfig, LineSearch};
use rede::{DType, Tensor};

#[test]
fn first_three_updates_match_pytorch_for_every_optimizer_variant() {
    let oracle = oracle();
    let cases = oracle["optimizers"].as_object().unwrap();
    assert!(cases.len() >= 17, "fixture lost cases");
    for (name, trajectory) in cases {
        let problem = Problem::new(DType::F64);
        let mut opt = build(name, problem.params()).unwrap_or_else(|| panic!("no optimizer for case {name}"));
        for (step, expected) in trajectory.as_array().unwrap().iter().enumerate() {
            problem.step(opt.as_mut()).unwrap();
            let want = [floats(&expected["w"]), floats(&expected["b"])].concat();
            let diff = max_diff(&problem.values(), &want);
            assert!(diff < 1e-9, "{name} step {}: off by {diff:e}", step + 1);
        }
    }
}

#[test]
fn f32_parameters_follow_the_f64_trajectory() {
    let oracle = oracle();
    for name in ["adam_wd_amsgrad", "rmsprop_all", "sgd_nesterov"] {
        let problem = Problem::new(DType::F32);
        let mut opt = build(name, problem.params()).unwrap();
        for expected in oracle["optimizers"][name].as_array().unwrap() {
            problem.step(opt.as_mut()).unwrap();
            let want = [floats(&expected["w"]), floats(&expected["b"])].concat();
            let diff = max_diff(&problem.values(), &want);
            assert!(diff < 1e-5, "{name} in f32: off by {diff:e}");
        }
        assert_eq!(problem.w.dtype(), DType::F32);
    }
}

#[test]
fn clipping_matches_pytorch() {
    let oracle = oracle();
    for (name, expected) in oracle["clipping"].as_object().unwrap() {
        let problem = Problem::new(DType::F64);
        problem.backward().unwrap();
        let params = problem.params();
        if let Some(max_norm) = name.strip_prefix("norm_") {
            let max_norm = if max_norm == "big" { 1e6 } else { max_norm.parse().unwrap() };
            let total = clip_grad_norm(&params, max_norm).unwrap();
            assert!((total - expected["total_norm"].as_f64().unwrap()).abs() < 1e-12, "{name}: norm {total}");
        } else {
            clip_grad_value(&params, 0.5).unwrap();
        }
        let got = [problem.w.grad().unwrap().to_vec_f64(), problem.b.grad().unwrap().to_vec_f64()].concat();
        let want = [floats(&expected["w_grad"]), floats(&expected["b_grad"])].concat();
        assert!(max_diff(&got, &want) < 1e-12, "{name}: {got:?} vs {want:?}");
    }
}

#[test]
fn clipping_skips_parameters_without_gradients_and_rejects_bad_limits() {
    let problem = Problem::new(DType::F32);
    problem.backward().unwrap();
    let idle = Tensor::zeros(&[3], DType::F32).requires_grad_();
    let params = [problem.params(), vec![idle.clone()]].concat();
    let total = clip_grad_norm(&params, 1.0).unwrap();
    assert!(total > 1.0);
    assert!(idle.grad().is_none());
    let norm: f64 = [problem.w.grad().unwrap().to_vec_f64(), problem.b.grad().unwrap().to_vec_f64()]
        .concat()
        .iter()
        .map(|g| g * g)
        .sum::<f64>()
        .sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "clipped norm {norm}");
    assert!(clip_grad_norm(&params, -1.0).is_err());
    assert!(clip_grad_value(&params, f64::NAN).is_err());
}

/// x ↦ 0.5·xᵀAx − bᵀx from the fixture, with its parameter x.
struct Quadratic {
    a: Tensor,
    b: Tensor,
    x: Tensor,
}

impl Quadratic {
    fn new() -> Quadratic {
        let q = &oracle()["quadratic"];
        let a = Tensor::from_vec(floats(&q["a"]), &[4, 4]).unwrap();
        let b = Tensor::from_vec(floats(&q["b"]), &[4]).unwrap();
        Quadratic { a, b, x: Tensor::from_vec(floats(&q["x0"]), &[4]).unwrap().requires_grad_() }
    }

    fn closure(&self) -> rede::Result<f64> {
        self.x.zero_grad();
        let quad = self.x.mul(&self.a.matmul(&self.x)?)?.sum_all()?.mul_scalar(0.5);
        let loss = quad.sub(&self.b.mul(&self.x)?.sum_all()?)?;
        loss.backward()?;
        loss.item()
    }
}

#[test]
fn lbfgs_matches_pytorch_on_a_quadratic() {
    let oracle = oracle();
    let cases = [
        ("fixed", LbfgsConfig::default().lr(0.5).max_iter(3).history_size(2)),
        ("strong_wolfe", LbfgsConfig::default().max_iter(3).history_size(2).line_search(LineSearch::StrongWolfe)),
        ("strong_wolfe_long", LbfgsConfig::default().line_search(LineSearch::StrongWolfe)),
    ];
    for (name, config) in cases {
        let q = Quadratic::new();
        let mut opt = Lbfgs::new(vec![q.x.clone()], config).unwrap();
        for (i, expected) in oracle["lbfgs"][name].as_array().unwrap().iter().enumerate() {
            let loss = opt.step(|| q.closure()).unwrap();
            let diff = max_diff(&q.x.to_vec_f64(), &floats(&expected["x"]));
            assert!(diff < 1e-9, "{name} step {}: x off by {diff:e}", i + 1);
            assert!((loss - expected["loss"].as_f64().unwrap()).abs() < 1e-9, "{name} step {}: loss {loss}", i + 1);
            assert_eq!(opt.func_evals(), expected["func_evals"].as_u64().unwrap(), "{name} step {}", i + 1);
        }
    }
}
