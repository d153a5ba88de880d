//! Losses: gradcheck in f64 for every loss and option, the fused cross-entropy
//! against its composed form, penalties, and bad targets.

use rede::nn::loss::{self, CrossEntropyOptions, Reduction};
use rede::nn::{mlp, Activation, Module};
use rede::{gradcheck, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn classes(values: &[f64]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap()
}

fn assert_gradcheck(f: impl Fn(&[Tensor]) -> rede::Result<Tensor>, inputs: &[Tensor], what: &str) {
    let report = gradcheck(f, inputs, GradcheckOptions::default()).unwrap();
    assert!(report.passed, "{what}: {report}");
}

fn weight() -> Tensor {
    Tensor::from_vec(vec![0.5f64, 2.0, 1.0, 0.1], &[4]).unwrap()
}

#[test]
fn cross_entropy_gradcheck_with_every_option() {
    let logits = [randn(&[5, 4], 1).mul_scalar(2.0)];
    let targets = classes(&[0.0, 3.0, 1.0, 1.0, 2.0]);
    let options = [
        ("plain", CrossEntropyOptions::default()),
        ("weights", CrossEntropyOptions { weight: Some(weight()), ..Default::default() }),
        ("smoothing", CrossEntropyOptions { label_smoothing: 0.15, ..Default::default() }),
        (
            "both",
            CrossEntropyOptions {
                weight: Some(weight()),
                label_smoothing: 0.3,
                reduction: Reduction::Mean,
                ignore_index: None,
            },
        ),
        ("sum", CrossEntropyOptions { weight: Some(weight()), reduction: Reduction::Sum, ..Default::default() }),
        ("none", CrossEntropyOptions { label_smoothing: 0.1, reduction: Reduction::None, ..Default::default() }),
    ];
    for (name, o) in &options {
        assert_gradcheck(|t| loss::cross_entropy_with(&t[0], &targets, o), &logits, name);
    }
}

/// The composed oracle: −Σ_i w[y_i]·log_softmax(x)[i, y_i] / Σ_i w[y_i].
fn composed_cross_entropy(logits: &Tensor, targets: &Tensor, weight: &Tensor) -> Tensor {
    let n = targets.numel();
    let picked = logits.log_softmax(-1).unwrap().gather(1, &targets.reshape(&[n, 1]).unwrap()).unwrap();
    let w = weight.index_select(0, targets).unwrap();
    picked.reshape(&[n]).unwrap().mul(&w).unwrap().sum_all().unwrap().neg().div(&w.sum_all().unwrap()).unwrap()
}

#[test]
fn fused_cross_entropy_matches_the_composed_graph_with_one_node() {
    let x = randn(&[6, 4], 2).mul_scalar(3.0);
    let targets = classes(&[1.0, 0.0, 3.0, 3.0, 2.0, 1.0]);
    for w in [Tensor::ones(&[4], DType::F64), weight()] {
        let (fused_x, composed_x) = (x.requires_grad_(), x.requires_grad_());
        let options = CrossEntropyOptions { weight: Some(w.clone()), ..Default::default() };
        let fused = loss::cross_entropy_with(&fused_x, &targets, &options).unwrap();
        let composed = composed_cross_entropy(&composed_x, &targets, &w);
        assert!((fused.item().unwrap() - composed.item().unwrap()).abs() < 1e-12);
        fused.backward().unwrap();
        composed.backward().unwrap();
        for (a, b) in fused_x.grad().unwrap().to_vec_f64().iter().zip(composed_x.grad().unwrap().to_vec_f64()) {
            assert!((a - b).abs() < 1e-12, "fused {a}, composed {b}");
        }
        let dot = fused.to_dot();
        assert_eq!(dot.matches("shape=box").count(), 1, "one recorded op: {dot}");
        assert!(dot.contains("cross_entropy"));
    }
}

#[test]
fn plain_cross_entropy_gradient_is_softmax_minus_onehot_over_n() {
    let x = randn(&[3, 4], 3).requires_grad_();
    let targets = classes(&[2.0, 0.0, 3.0]);
    loss::cross_entropy(&x, &targets).unwrap().backward().unwrap();
    let p = x.softmax(-1).unwrap().to_vec_f64();
    let g = x.grad().unwrap().to_vec_f64();
    for (i, &y) in [2usize, 0, 3].iter().enumerate() {
        for k in 0..4 {
            let onehot = if k == y { 1.0 } else { 0.0 };
            assert!((g[i * 4 + k] - (p[i * 4 + k] - onehot) / 3.0).abs() < 1e-15);
        }
    }
}

#[test]
fn nll_gradcheck_with_and_without_weights() {
    let log_probs = [randn(&[5, 4], 4)];
    let targets = classes(&[0.0, 3.0, 1.0, 1.0, 2.0]);
    let w = weight();
    assert_gradcheck(|t| loss::nll_loss(&t[0], &targets), &log_probs, "nll");
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        assert_gradcheck(|t| loss::nll_loss_with(&t[0], &targets, Some(&w), reduction), &log_probs, "nll weighted");
    }
    // log_softmax then nll is cross-entropy.
    let x = randn(&[5, 4], 5);
    let nll = loss::nll_loss(&x.log_softmax(-1).unwrap(), &targets).unwrap().item().unwrap();
    let ce = loss::cross_entropy(&x, &targets).unwrap().item().unwrap();
    assert!((nll - ce).abs() < 1e-12);
}

#[test]
fn elementwise_losses_gradcheck_for_both_arguments() {
    // Differences kept away from the kinks of l1 (0) and huber (±delta).
    let p = randn(&[3, 4], 6);
    let t = p.add(&randn(&[3, 4], 7).sign().mul_scalar(0.3)).unwrap();
    let bce_targets = Tensor::rand_uniform(&[3, 4], 0.0, 1.0, DType::F64, &mut Rng::seed(8));
    for r in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        assert_gradcheck(|x| loss::mse_loss_with(&x[0], &x[1], r), &[p.clone(), t.clone()], "mse");
        assert_gradcheck(|x| loss::l1_loss_with(&x[0], &x[1], r), &[p.clone(), t.clone()], "l1");
        assert_gradcheck(|x| loss::huber_loss_with(&x[0], &x[1], 0.2, r), &[p.clone(), t.clone()], "huber linear");
        assert_gradcheck(|x| loss::huber_loss_with(&x[0], &x[1], 1.0, r), &[p.clone(), t.clone()], "huber quad");
        let bce_inputs = [p.mul_scalar(3.0), bce_targets.clone()];
        assert_gradcheck(|x| loss::binary_cross_entropy_with_logits_with(&x[0], &x[1], r), &bce_inputs, "bce");
    }
}

#[test]
fn bce_with_logits_is_stable_and_exact_at_zero() {
    let x = Tensor::from_vec(vec![0.0f32, 100.0, -100.0, 1e4], &[4]).unwrap().requires_grad_();
    let y = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 1.0], &[4]).unwrap();
    let l = loss::binary_cross_entropy_with_logits_with(&x, &y, Reduction::None).unwrap();
    let v = l.to_vec_f64();
    assert!((v[0] - 2f64.ln()).abs() < 1e-6 && (v[1] - 100.0).abs() < 1e-4 && (v[2] - 100.0).abs() < 1e-4);
    assert!(v[3].abs() < 1e-6);
    l.sum_all().unwrap().backward().unwrap();
    // d/dx = σ(x) − y: −0.5 at x = 0 (a max/abs composition would get the kink wrong).
    assert_eq!(x.grad().unwrap().to_vec_f32(), vec![-0.5, 1.0, -1.0, 0.0]);
}

#[test]
fn penalties_sum_weights_only() {
    let model = mlp(&[3, 4, 2], Activation::Relu, &mut Rng::seed(1)).unwrap();
    let weights: Vec<f64> = model
        .named_parameters()
        .into_iter()
        .filter(|(n, _)| n.ends_with("weight"))
        .flat_map(|(_, w)| w.to_vec_f64())
        .collect();
    // Nonzero biases make sure they are excluded.
    for (name, p) in model.named_parameters() {
        if name.ends_with("bias") {
            p.assign(&p.ones_like()).unwrap();
        }
    }
    let l1 = loss::l1_penalty(&model).unwrap();
    let l2 = loss::l2_penalty(&model).unwrap();
    assert!((l1.item().unwrap() - weights.iter().map(|w| w.abs()).sum::<f64>()).abs() < 1e-4);
    assert!((l2.item().unwrap() - weights.iter().map(|w| w * w).sum::<f64>()).abs() < 1e-4);
    l2.backward().unwrap();
    for (name, p) in model.named_parameters() {
        match p.grad() {
            Some(g) if name.ends_with("weight") => {
                for (gi, wi) in g.to_vec_f64().iter().zip(p.to_vec_f64()) {
                    assert!((gi - 2.0 * wi).abs() < 1e-6);
                }
            }
            None if name.ends_with("bias") => {}
            other => panic!("{name}: unexpected gradient {other:?}"),
        }
    }
}

#[test]
fn bad_targets_and_options_are_errors() {
    let logits = randn(&[3, 5], 9);
    let err = loss::cross_entropy(&logits, &classes(&[0.0, 5.0, 1.0])).unwrap_err().to_string();
    assert!(err.contains("cross_entropy") && err.contains("index 5") && err.contains("5 classes"), "{err}");
    assert!(loss::cross_entropy(&logits, &classes(&[0.0, -1.0, 1.0])).is_err());
    assert!(loss::cross_entropy(&logits, &classes(&[0.0, 1.5, 1.0])).is_err());
    assert!(loss::cross_entropy(&logits, &classes(&[0.0, 1.0])).is_err(), "wrong number of targets");
    assert!(loss::cross_entropy(&randn(&[15], 1), &classes(&[0.0])).is_err(), "logits not [N, C]");
    let err = loss::nll_loss(&logits, &classes(&[7.0, 0.0, 0.0])).unwrap_err().to_string();
    assert!(err.contains("nll_loss") && err.contains("index 7"), "{err}");
    let bad_weight = CrossEntropyOptions { weight: Some(weight()), ..Default::default() };
    assert!(loss::cross_entropy_with(&logits, &classes(&[0.0, 1.0, 2.0]), &bad_weight).is_err());
    let bad_smoothing = CrossEntropyOptions { label_smoothing: 1.5, ..Default::default() };
    assert!(loss::cross_entropy_with(&logits, &classes(&[0.0, 1.0, 2.0]), &bad_smoothing).is_err());
    assert!(loss::mse_loss(&randn(&[3], 1), &randn(&[3, 1], 2)).is_err(), "no silent broadcasting");
    assert!(loss::huber_loss(&randn(&[3], 1), &randn(&[3], 2), 0.0).is_err());
    assert!(loss::binary_cross_entropy_with_logits(&randn(&[3], 1), &randn(&[4], 2)).is_err());
}
