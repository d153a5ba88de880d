//! Learning-rate schedules against torch.optim.lr_scheduler and scikit-learn
//! (fixtures/oracle_optim.json).

mod optim_common;

use optim_common::{floats, oracle};
use rede::optim::*;

/// The rates a schedule gives for epochs 1..=n, stepping it with `metrics`.
fn run(s: &mut dyn LrScheduler, n: usize, metrics: Option<&[f64]>) -> Vec<f64> {
    (0..n).map(|e| s.step(e, metrics.map(|m| m[e]))).collect()
}

fn assert_close(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (e, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-12 * w.abs().max(1e-3), "{name}, epoch {}: {g} vs {w}", e + 1);
    }
}

#[test]
fn closed_form_schedules_match_pytorch() {
    let o = &oracle()["schedules"];
    let want = |k: &str| floats(&o[k]);
    let mut step = StepDecay::new(0.1, 3, 0.5).unwrap();
    assert_close("step_lr", &run(&mut step, 10, None), &want("step_lr"));
    let mut exp = Exponential::new(0.1, 0.9).unwrap();
    assert_close("exponential", &run(&mut exp, 8, None), &want("exponential"));
    let mut cos = CosineAnnealing::new(0.1, 5, 0.001).unwrap();
    assert_close("cosine", &run(&mut cos, 8, None), &want("cosine"));
    for s in [&step as &dyn LrScheduler, &exp, &cos] {
        assert_eq!(s.initial_lr(), 0.1);
    }
}

#[test]
fn linear_warmup_ramps_like_linear_lr_then_hands_over() {
    let o = &oracle()["schedules"];
    let mut warm = LinearWarmup::new(3, Box::new(Constant::new(0.1).unwrap()));
    assert!((warm.initial_lr() - 0.1 / 4.0).abs() < 1e-15);
    assert_close("linear_warmup_3", &run(&mut warm, 6, None), &floats(&o["linear_warmup_3"]));

    // After the warm-up, epoch 3 + k gets the inner schedule's epoch k.
    let mut warm_step = LinearWarmup::new(2, Box::new(StepDecay::new(0.2, 2, 0.5).unwrap()));
    let mut plain = StepDecay::new(0.2, 2, 0.5).unwrap();
    let got = run(&mut warm_step, 7, None);
    let inner = [vec![0.2], run(&mut plain, 5, None)].concat();
    assert_close("warmup then step", &got[1..], &inner);
    assert!((got[0] - 0.2 * 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn inverse_scaling_counts_samples_like_scikit_learn() {
    let o = &oracle()["schedules"];
    let mut inv = InverseScaling::new(0.1, 0.5, 50).unwrap();
    assert_eq!(inv.initial_lr(), 0.1);
    assert_close("invscaling", &run(&mut inv, 6, None), &floats(&o["invscaling"]));
}

#[test]
fn reduce_on_plateau_matches_pytorch() {
    let o = &oracle()["schedules"];
    let metrics = floats(&o["plateau_metrics"]);
    let n = metrics.len();
    let mut rel = ReduceOnPlateau::new(0.1).unwrap().factor(0.5).unwrap().patience(2);
    rel = rel.threshold(0.01, ImprovementRule::Relative).unwrap().cooldown(1).min_lr(0.02).unwrap();
    assert_close("plateau_rel", &run(&mut rel, n, Some(&metrics)), &floats(&o["plateau_rel"]));
    let abs = ReduceOnPlateau::new(0.1).unwrap().factor(0.5).unwrap().patience(1);
    let mut abs = abs.threshold(0.05, ImprovementRule::Absolute).unwrap();
    assert_close("plateau_abs", &run(&mut abs, n, Some(&metrics)), &floats(&o["plateau_abs"]));
    // An epoch without a metric changes nothing.
    let before = abs.clone();
    assert_eq!(abs.step(n, None), 0.00078125);
    assert_eq!(abs, before);
}

#[test]
fn sklearn_adaptive_matches_scikit_learn() {
    let o = &oracle()["schedules"];
    let losses = floats(&o["adaptive_losses"]);
    for (key, tol, n_iter_no_change) in [("adaptive_tol_1e-3_n10", 1e-3, 10), ("adaptive_tol_1e-4_n2", 1e-4, 2)] {
        let want = floats(&o[key]);
        let mut s = ReduceOnPlateau::sklearn_adaptive(0.1, tol).unwrap().patience(n_iter_no_change);
        let got: Vec<f64> = (0..want.len()).map(|e| s.step(e, Some(losses[e]))).collect();
        // Bit-exact: scikit-learn divides by 5.
        assert_eq!(got, want, "{key}");
        if want.len() < losses.len() {
            // scikit-learn stopped here: the rate was already at most 1e-6.
            assert!(!s.exhausted());
            let last = s.step(want.len(), Some(losses[want.len()]));
            assert!(s.exhausted(), "{key}");
            assert_eq!(last, *want.last().unwrap());
        }
    }
}

#[test]
fn bad_schedule_settings_are_errors() {
    assert!(StepDecay::new(0.1, 0, 0.5).is_err());
    assert!(StepDecay::new(-0.1, 1, 0.5).is_err());
    assert!(Exponential::new(0.1, -1.0).is_err());
    assert!(CosineAnnealing::new(0.1, 0, 0.0).is_err());
    assert!(InverseScaling::new(0.1, 0.5, 0).is_err());
    assert!(Constant::new(f64::NAN).is_err());
    assert!(ReduceOnPlateau::new(0.1).unwrap().factor(1.0).is_err());
    assert!(ReduceOnPlateau::sklearn_adaptive(0.1, -1.0).is_err());
}
