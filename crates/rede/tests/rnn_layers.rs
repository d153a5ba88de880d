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
