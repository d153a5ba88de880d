//! Optimizer state save/restore, configuration errors, and L-BFGS on Rosenbrock.

mod optim_common;

use optim_common::{build, Problem};
use rede::optim::*;
use rede::{DType, Tensor};

/// A fresh optimizer of each kind, with every state buffer in use.
fn every_kind(params: Vec<Tensor>) -> Vec<(&'static str, Box<dyn Optimizer>)> {
    ["sgd_momentum_dampening_wd", "rmsprop_all", "adam_wd_amsgrad", "adamw_amsgrad", "adagrad_all"]
        .into_iter()
        .map(|name| (name, build(name, params.clone()).unwrap()))
        .collect()
}

#[test]
fn restored_state_continues_the_exact_trajectory() {
    for dtype in [DType::F64, DType::F32] {
        let kinds = every_kind(Problem::new(dtype).params()).len();
        for k in 0..kinds {
            let straight = Problem::new(dtype);
            let (name, mut opt) = every_kind(straight.params()).swap_remove(k);
            for _ in 0..5 {
                straight.step(opt.as_mut()).unwrap();
            }

            let first = Problem::new(dtype);
            let (_, mut opt) = every_kind(first.params()).swap_remove(k);
            for _ in 0..3 {
                first.step(opt.as_mut()).unwrap();
            }
            // Through JSON, as a checkpoint file would be.
            let saved: OptimizerState =
                serde_json::from_str(&serde_json::to_string(&opt.state_dict()).unwrap()).unwrap();
            assert_eq!(saved, opt.state_dict());

            let resumed = Problem::new(dtype);
            resumed.w.assign(&first.w).unwrap();
            resumed.b.assign(&first.b).unwrap();
            let (_, mut opt) = every_kind(resumed.params()).swap_remove(k);
            opt.set_learning_rate(123.0);
            opt.load_state_dict(&saved).unwrap();
            assert_eq!(opt.learning_rate(), saved.learning_rate, "the learning rate is restored too");
            for _ in 0..2 {
                resumed.step(opt.as_mut()).unwrap();
            }
            assert_eq!(resumed.values(), straight.values(), "{name} ({dtype:?}) diverged after restore");
        }
    }
}

#[test]
fn a_fresh_optimizer_without_the_state_diverges() {
    // Guards the test above: losing the state does change the trajectory.
    let straight = Problem::new(DType::F64);
    let mut opt = build("adam_wd_amsgrad", straight.params()).unwrap();
    for _ in 0..5 {
        straight.step(opt.as_mut()).unwrap();
    }
    let restarted = Problem::new(DType::F64);
    let mut opt = build("adam_wd_amsgrad", restarted.params()).unwrap();
    for _ in 0..3 {
        restarted.step(opt.as_mut()).unwrap();
    }
    let mut opt = build("adam_wd_amsgrad", restarted.params()).unwrap();
    for _ in 0..2 {
        restarted.step(opt.as_mut()).unwrap();
    }
    assert_ne!(restarted.values(), straight.values());
}

#[test]
fn mismatched_state_is_an_error() {
    let problem = Problem::new(DType::F64);
    let mut adam = build("adam", problem.params()).unwrap();
    problem.step(adam.as_mut()).unwrap();
    let state = adam.state_dict();

    let mut sgd = build("sgd", problem.params()).unwrap();
    assert!(sgd.load_state_dict(&state).is_err(), "another kind");
    let mut amsgrad = build("adam_wd_amsgrad", problem.params()).unwrap();
    assert!(amsgrad.load_state_dict(&state).is_err(), "other buffers");
    let mut fewer = Adam::new(vec![problem.w.clone()], AdamConfig::default()).unwrap();
    assert!(fewer.load_state_dict(&state).is_err(), "fewer parameters");
    let other_shape = Tensor::zeros(&[3, 2], DType::F64).requires_grad_();
    let mut reshaped = Adam::new(vec![other_shape, problem.b.clone()], AdamConfig::default()).unwrap();
    assert!(reshaped.load_state_dict(&state).is_err(), "other shape");
    let mut short = state.clone();
    short.params[0].buffers[0].values.pop();
    assert!(adam.load_state_dict(&short).is_err(), "short buffer");
    adam.load_state_dict(&state).unwrap();
}

#[test]
fn state_survives_a_json_file() {
    let problem = Problem::new(DType::F32);
    let mut opt = build("rmsprop_all", problem.params()).unwrap();
    for _ in 0..2 {
        problem.step(opt.as_mut()).unwrap();
    }
    let path = std::env::temp_dir().join(format!("rede_optim_state_{}.json", std::process::id()));
    opt.state_dict().save_json(&path).unwrap();
    let loaded = OptimizerState::load_json(&path).unwrap();
    std::fs::write(&path, "{ \"kind\": ").unwrap();
    let err = OptimizerState::load_json(&path).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded, opt.state_dict());
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn parameters_without_gradients_are_skipped() {
    let problem = Problem::new(DType::F64);
    let idle = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).unwrap().requires_grad_();
    let params = [problem.params(), vec![idle.clone()]].concat();
    let mut opt = Adam::new(params, AdamConfig::default().lr(0.1).weight_decay(0.5)).unwrap();
    let w0 = problem.w.to_vec_f64();
    problem.step(&mut opt).unwrap();
    assert_ne!(problem.w.to_vec_f64(), w0);
    assert_eq!(idle.to_vec_f64(), vec![1.0, -2.0]);
    assert_eq!(opt.state_dict().params[2].step, 0);
    assert_eq!(opt.state_dict().params[0].step, 1);
}

#[test]
fn bad_configs_are_errors() {
    let p = || Problem::new(DType::F64).params();
    assert!(Sgd::new(p(), SgdConfig::default().lr(-0.1)).is_err());
    assert!(Sgd::new(p(), SgdConfig::default().nesterov(true)).is_err(), "nesterov without momentum");
    assert!(Sgd::new(p(), SgdConfig::default().momentum(0.9).dampening(0.1).nesterov(true)).is_err());
    assert!(Adam::new(p(), AdamConfig::default().betas((1.0, 0.999))).is_err());
    assert!(Adam::new(p(), AdamConfig::default().betas((0.9, 1.5))).is_err());
    assert!(Adam::new(p(), AdamConfig::default().eps(0.0)).is_err());
    assert!(AdamW::new(p(), AdamWConfig::default().weight_decay(-1.0)).is_err());
    assert!(AdamW::new(p(), AdamWConfig::default().lr(f64::NAN)).is_err());
    assert!(RmsProp::new(p(), RmsPropConfig::default().alpha(1.0)).is_err());
    assert!(RmsProp::new(p(), RmsPropConfig::default().l1(-0.1)).is_err());
    assert!(Adagrad::new(p(), AdagradConfig::default().lr_decay(-0.1)).is_err());
    assert!(Lbfgs::new(p(), LbfgsConfig::default().lr(0.0)).is_err());
    assert!(Lbfgs::new(p(), LbfgsConfig::default().history_size(0)).is_err());
    let strided = Tensor::zeros(&[2, 3], DType::F64).t().unwrap().requires_grad_();
    assert!(Adam::new(vec![strided], AdamConfig::default()).is_err(), "non-contiguous parameter");
}

#[test]
fn mismatched_gradient_is_an_error_not_a_panic() {
    let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).unwrap().requires_grad_();
    w.set_grad(Some(Tensor::ones(&[3], DType::F64)));
    let mut opt = Sgd::new(vec![w.clone()], SgdConfig::default()).unwrap();
    assert!(opt.step().is_err());
    w.set_grad(Some(Tensor::ones(&[2], DType::F32)));
    assert!(opt.step().is_err());
    // A gradient sharing the parameter's buffer is copied, not deadlocked on.
    w.set_grad(Some(w.detach()));
    opt.step().unwrap();
    assert_eq!(w.to_vec_f64(), vec![1.0 - 1e-3, -2.0 + 2e-3]);
}

fn rosenbrock(p: &Tensor) -> rede::Result<f64> {
    p.zero_grad();
    let (x, y) = (p.narrow(0, 0, 1)?, p.narrow(0, 1, 1)?);
    let loss = x.neg().add_scalar(1.0).square().add(&y.sub(&x.square())?.square().mul_scalar(100.0))?.sum_all()?;
    loss.backward()?;
    loss.item()
}

#[test]
fn lbfgs_minimizes_rosenbrock() {
    for line_search in [LineSearch::StrongWolfe, LineSearch::Fixed] {
        let p = Tensor::from_vec(vec![-1.5f64, 2.0], &[2]).unwrap().requires_grad_();
        let lr = if line_search == LineSearch::Fixed { 0.1 } else { 1.0 };
        let config = LbfgsConfig::default().lr(lr).max_iter(100).line_search(line_search);
        let mut opt = Lbfgs::new(vec![p.clone()], config).unwrap();
        for _ in 0..50 {
            opt.step(|| rosenbrock(&p)).unwrap();
        }
        let v = p.to_vec_f64();
        assert!((v[0] - 1.0).abs() < 1e-4 && (v[1] - 1.0).abs() < 1e-4, "{line_search:?}: ended at {v:?}");
    }
}

#[test]
fn lbfgs_resumes_from_saved_state_and_needs_a_closure() {
    let run = |split: bool| {
        let p = Tensor::from_vec(vec![-1.5f64, 2.0], &[2]).unwrap().requires_grad_();
        let config = LbfgsConfig::default().max_iter(5).line_search(LineSearch::StrongWolfe);
        let mut opt = Lbfgs::new(vec![p.clone()], config).unwrap();
        for i in 0..4 {
            if split && i == 2 {
                let state = opt.state_dict();
                opt = Lbfgs::new(vec![p.clone()], config).unwrap();
                opt.load_state_dict(&state).unwrap();
            }
            opt.step_with(&mut || rosenbrock(&p)).unwrap();
        }
        assert!(Optimizer::step(&mut opt).is_err());
        p.to_vec_f64()
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn f32_parameters_follow_the_f64_trajectory() {
    // State buffers take the parameter's type (f32 moments for f32 weights, as
    // in PyTorch); the rounding must stay at f32 precision, not drift.
    let kinds = every_kind(Problem::new(DType::F64).params()).len();
    let plain = ["adam", "adamw", "sgd_nesterov", "rmsprop"];
    for k in 0..kinds + plain.len() {
        let (wide, narrow) = (Problem::new(DType::F64), Problem::new(DType::F32));
        let pick = |p: &Problem| match k.checked_sub(kinds) {
            None => every_kind(p.params()).swap_remove(k),
            Some(i) => (plain[i], build(plain[i], p.params()).unwrap()),
        };
        let ((name, mut wide_opt), (_, mut narrow_opt)) = (pick(&wide), pick(&narrow));
        for _ in 0..20 {
            wide.step(wide_opt.as_mut()).unwrap();
            narrow.step(narrow_opt.as_mut()).unwrap();
        }
        let (a, b) = (wide.values(), narrow.values());
        let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let diff = optim_common::max_diff(&a, &b);
        assert!(diff < 1e-4 * scale, "{name}: f32 run is {diff} away from the f64 run");
        assert!(b.iter().zip(&Problem::new(DType::F32).values()).any(|(x, y)| x != y), "{name} did not move");
    }
}

#[test]
fn adam_moments_never_linger_as_subnormals() {
    // A gradient of one at the first step and zero after it: the first moment
    // decays by β₁ each step and would pass through f32's subnormal range
    // (slow arithmetic) from about step 820 to 980.
    let w = Tensor::zeros(&[4], DType::F32).requires_grad_();
    let mut opt = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
    for step in 0..900 {
        let g = if step == 0 { 1.0 } else { 0.0 };
        w.set_grad(Some(Tensor::full(&[4], g, DType::F32)));
        opt.step().unwrap();
    }
    for buffer in &opt.state_dict().params[0].buffers {
        for &v in &buffer.values {
            let v = v as f32;
            assert!(v == 0.0 || v.is_normal(), "{} holds the subnormal {v:e}", buffer.name);
        }
    }
    let first = &opt.state_dict().params[0].buffers[0];
    assert_eq!(first.values, vec![0.0; 4], "the decayed first moment is stored as zero");
}
