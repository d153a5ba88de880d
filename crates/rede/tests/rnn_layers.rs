//! Recurrent layers: gradcheck (f64) through time with respect to the input, the parameters
//! and the initial states, for every cell type, stacked and bidirectional; shapes and errors.

use rede::nn::{Gru, LastStep, Lstm, Module, Rnn, RnnConfig, RnnState};
use rede::{gradcheck, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

/// Gradchecks outputs and final states with respect to x, h0, (c0) and every parameter.
fn check_cell(name: &str, config: RnnConfig, lstm: bool, params: Vec<Tensor>, run: RunFn) {
    let slots = config.num_layers * if config.bidirectional { 2 } else { 1 };
    let mut inputs = vec![randn(&[2, 3, config.input_size], 1), randn(&[slots, 2, config.hidden_size], 2)];
    inputs.push(if lstm { randn(&[slots, 2, config.hidden_size], 3) } else { Tensor::zeros(&[1], DType::F64) });
    let fixed = inputs.len();
    inputs.extend(params);
    let f = |t: &[Tensor]| {
        let state = RnnState { h: t[1].clone(), c: lstm.then(|| t[2].clone()) };
        let (out, s) = run(config, t[fixed..].to_vec(), &t[0], &state)?;
        let mut parts = vec![out.flatten(0, -1)?, s.h.flatten(0, -1)?];
        parts.extend(s.c.map(|c| c.flatten(0, -1)).transpose()?);
        Tensor::cat(&parts.iter().collect::<Vec<_>>(), 0)
    };
    let r = gradcheck(f, &inputs, GradcheckOptions::default()).unwrap();
    assert!(r.passed, "{name} {config:?}: {r}");
}

type RunFn = fn(RnnConfig, Vec<Tensor>, &Tensor, &RnnState) -> rede::Result<(Tensor, RnnState)>;

#[test]
fn every_cell_passes_gradcheck_stacked_and_bidirectional() {
    let configs =
        [RnnConfig::new(2, 3), RnnConfig::new(2, 3).layers(2).bidirectional(true), RnnConfig::new(3, 2).bias(false)];
    let mut rng = Rng::seed(5);
    for config in configs {
        let p = Rnn::with_dtype(config, DType::F64, &mut rng).unwrap().parameters();
        check_cell("Rnn", config, false, p, |c, p, x, s| Rnn::from_tensors(c, p)?.forward_with_state(x, Some(s)));
        let p = Lstm::with_dtype(config, DType::F64, &mut rng).unwrap().parameters();
        check_cell("Lstm", config, true, p, |c, p, x, s| Lstm::from_tensors(c, p)?.forward_with_state(x, Some(s)));
        let p = Gru::with_dtype(config, DType::F64, &mut rng).unwrap().parameters();
        check_cell("Gru", config, false, p, |c, p, x, s| Gru::from_tensors(c, p)?.forward_with_state(x, Some(s)));
    }
}

#[test]
fn shapes_names_and_init_follow_pytorch() {
    let mut rng = Rng::seed(6);
    let config = RnnConfig::new(5, 4).layers(2).bidirectional(true);
    let lstm = Lstm::new(config, &mut rng).unwrap();
    let named = lstm.named_parameters();
    assert_eq!(named.len(), 16);
    assert_eq!((named[0].0.as_str(), named[0].1.shape()), ("weight_ih_l0", &[16usize, 5][..]));
    assert_eq!((named[4].0.as_str(), named[8].1.shape()), ("weight_ih_l0_reverse", &[16usize, 8][..]));
    assert!(lstm.parameters().iter().all(|p| p.to_vec_f32().iter().all(|w| w.abs() <= 0.5)));
    let x = Tensor::rand_normal(&[3, 7, 5], 0.0, 1.0, DType::F32, &mut rng);
    let (out, state) = lstm.forward_with_state(&x, None).unwrap();
    assert_eq!(out.shape(), &[3, 7, 8]);
    assert_eq!(state.h.shape(), &[4, 3, 4]);
    assert_eq!(state.c.unwrap().shape(), &[4, 3, 4]);
    // The last forward-direction output of the top layer is its final state.
    let last = out.narrow(1, 6, 1).unwrap().narrow(2, 0, 4).unwrap().to_vec_f32();
    assert_eq!(last, state.h.narrow(0, 2, 1).unwrap().to_vec_f32());
    assert_eq!(LastStep.forward(&out).unwrap().shape(), &[3, 8]);
    let gru = Gru::new(RnnConfig::new(5, 4), &mut rng).unwrap();
    assert!(gru.forward_with_state(&x, None).unwrap().1.c.is_none());
}

#[test]
fn bad_inputs_are_errors_naming_the_layer() {
    let mut rng = Rng::seed(7);
    let rnn = Rnn::new(RnnConfig::new(4, 3), &mut rng).unwrap();
    let e = rnn.forward(&Tensor::zeros(&[2, 5, 3], DType::F32)).unwrap_err().to_string();
    assert!(e.contains("Rnn") && e.contains("[2, 5, 3]"), "{e}");
    let bad_state = RnnState { h: Tensor::zeros(&[2, 2, 3], DType::F32), c: None };
    assert!(rnn.forward_with_state(&Tensor::zeros(&[2, 5, 4], DType::F32), Some(&bad_state)).is_err());
    assert!(Lstm::from_tensors(RnnConfig::new(4, 3), vec![]).is_err());
    assert!(LastStep.forward(&Tensor::zeros(&[2, 3], DType::F32)).is_err());
}

/// A layer's `forward_with_state`, fused or composed.
type Forward<'a> = dyn Fn(&Tensor, Option<&RnnState>) -> rede::Result<(Tensor, RnnState)> + 'a;

/// Everything a run produces: outputs, final states, and the gradients of a fixed
/// weighted sum of them with respect to x, h0, c0 and every parameter.
fn outputs_and_gradients(
    run: &Forward<'_>,
    params: &[Tensor],
    initial: Option<&RnnState>,
    x: &Tensor,
) -> Vec<(String, Vec<f64>)> {
    params
        .iter()
        .chain([x])
        .chain(initial.map(|s| &s.h))
        .chain(initial.and_then(|s| s.c.as_ref()))
        .for_each(Tensor::zero_grad);
    let (out, state) = run(x, initial).unwrap();
    let finals: Vec<Tensor> = [Some(out), Some(state.h), state.c].into_iter().flatten().collect();
    let mut objective = Tensor::zeros(&[], x.dtype());
    for (i, t) in finals.iter().enumerate() {
        let w = Tensor::rand_uniform(t.shape(), -1.0, 1.0, x.dtype(), &mut Rng::seed(40 + i as u64));
        objective = objective.add(&t.mul(&w).unwrap().sum_all().unwrap()).unwrap();
    }
    objective.backward().unwrap();
    let mut all: Vec<(String, Vec<f64>)> =
        finals.iter().enumerate().map(|(i, t)| (format!("final {i}"), t.to_vec_f64())).collect();
    let leaves = [x].into_iter().chain(initial.map(|s| &s.h)).chain(initial.and_then(|s| s.c.as_ref())).chain(params);
    all.extend(leaves.enumerate().map(|(i, t)| (format!("grad {i}"), t.grad().unwrap().to_vec_f64())));
    all
}

fn assert_all_close(fused: &[(String, Vec<f64>)], reference: &[(String, Vec<f64>)], tol: f64, what: &str) {
    assert_eq!(fused.len(), reference.len(), "{what}: number of results");
    for ((name, a), (_, e)) in fused.iter().zip(reference) {
        assert_eq!(a.len(), e.len(), "{what} {name}: length");
        for (i, (a, e)) in a.iter().zip(e).enumerate() {
            assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{what} {name}[{i}]: fused {a}, composed {e}");
        }
    }
}

/// The fused kernels against the composed reference, for one kind of layer:
/// f64 must agree to rounding, f32 (fast gate functions) to a few ulp.
fn check_fused<L: Module>(
    kind: &str,
    build: impl Fn(RnnConfig, DType) -> L,
    fused: impl Fn(&L, &Tensor, Option<&RnnState>) -> rede::Result<(Tensor, RnnState)>,
    composed: impl Fn(&L, &Tensor, Option<&RnnState>) -> rede::Result<(Tensor, RnnState)>,
    lstm: bool,
) {
    // Batches of 37 are split into bands of rows that threads run on their own
    // (at least 16 rows each): uneven bands, each from its own initial state.
    // Bands of 50 (batch 200) run each step's products in chunks of 25 rows.
    // A hidden size of 21 runs the gate kernels' 16-value chunks and their tail.
    let configs = [
        (RnnConfig::new(3, 5), 3),
        (RnnConfig::new(3, 5), 200),
        (RnnConfig::new(4, 3).layers(2).bidirectional(true), 3),
        (RnnConfig::new(4, 3).layers(2).bidirectional(true), 37),
        (RnnConfig::new(2, 4).bias(false), 3),
        (RnnConfig::new(3, 21), 4),
    ];
    for (config, batch) in configs {
        for with_state in [false, true] {
            let slots = config.num_layers * if config.bidirectional { 2 } else { 1 };
            let l64 = build(config, DType::F64);
            let x = randn(&[batch, 6, config.input_size], 11).requires_grad_();
            let state = RnnState {
                h: randn(&[slots, batch, config.hidden_size], 12).requires_grad_(),
                c: lstm.then(|| randn(&[slots, batch, config.hidden_size], 13).requires_grad_()),
            };
            let initial = with_state.then_some(&state);
            let params = l64.parameters();
            let what = format!("{kind} {config:?} batch {batch} initial state {with_state}");
            let reference = outputs_and_gradients(&|x, s| composed(&l64, x, s), &params, initial, &x);
            let f64_fused = outputs_and_gradients(&|x, s| fused(&l64, x, s), &params, initial, &x);
            assert_all_close(&f64_fused, &reference, 1e-12, &format!("{what}, f64"));

            let l32 = build(config, DType::F32);
            let params32 = l32.parameters();
            params32.iter().zip(&params).for_each(|(p, q)| p.assign(q).unwrap());
            let to32 = |t: &Tensor| t.to_dtype(DType::F32).detach().requires_grad_();
            let state32 = RnnState { h: to32(&state.h), c: state.c.as_ref().map(to32) };
            let f32_fused =
                outputs_and_gradients(&|x, s| fused(&l32, x, s), &params32, with_state.then_some(&state32), &to32(&x));
            assert_all_close(&f32_fused, &reference, 2e-5, &format!("{what}, f32"));
        }
    }
}

#[test]
fn fused_layers_match_the_composed_reference() {
    // Four threads, so that the larger batch is split into bands on any machine.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    pool.install(fused_layers_match_the_composed_reference_on_this_pool);
}

fn fused_layers_match_the_composed_reference_on_this_pool() {
    let mut rng = Rng::seed(9);
    let mut next = || rng.below(1 << 30) as u64;
    let seeds = [next(), next(), next()];
    check_fused(
        "Lstm",
        |c, d| Lstm::with_dtype(c, d, &mut Rng::seed(seeds[0])).unwrap(),
        |l, x, s| l.forward_with_state(x, s),
        |l, x, s| l.forward_with_state_composed(x, s),
        true,
    );
    check_fused(
        "Gru",
        |c, d| Gru::with_dtype(c, d, &mut Rng::seed(seeds[1])).unwrap(),
        |l, x, s| l.forward_with_state(x, s),
        |l, x, s| l.forward_with_state_composed(x, s),
        false,
    );
    check_fused(
        "Rnn",
        |c, d| Rnn::with_dtype(c, d, &mut Rng::seed(seeds[2])).unwrap(),
        |l, x, s| l.forward_with_state(x, s),
        |l, x, s| l.forward_with_state_composed(x, s),
        false,
    );
}

/// From zero initial states the first step adds nothing to `W_hh`'s gradient,
/// so the fused backward skips those rows there; in a one-step sequence that
/// step is the only one, and the rows must still be written. The buffer the
/// kernel sums into is recycled: one holding NaN is handed back first, of the
/// sum's size (`[H + I + 1, 4·H]`).
#[test]
fn a_one_step_lstm_from_zero_states_writes_every_weight_gradient() {
    let config = RnnConfig::new(3, 21);
    let lstm = Lstm::with_dtype(config, DType::F64, &mut Rng::seed(3)).unwrap();
    let x = randn(&[4, 1, 3], 7);
    for _ in 0..2 {
        drop(Tensor::full(&[(21 + 3 + 1) * 4 * 21], f64::NAN, DType::F64));
        lstm.parameters().iter().for_each(Tensor::zero_grad);
        let (out, _) = lstm.forward_with_state(&x, None).unwrap();
        out.sum_all().unwrap().backward().unwrap();
        for (name, p) in lstm.named_parameters() {
            let g = p.grad().unwrap().to_vec_f64();
            let bad = g.iter().filter(|v| !v.is_finite()).count();
            assert_eq!(bad, 0, "{name}: {bad} of {} values not finite", g.len());
            if name.starts_with("weight_hh") {
                assert!(g.iter().all(|&v| v == 0.0), "{name} must be zero from zero states");
            }
        }
    }
}
