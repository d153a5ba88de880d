//! Hostile sizes and deep graphs: errors or success, never a panic, an abort or a stack overflow.

use rede::nn::{LayerSpec, ModelSpec};
use rede::{Conv2dOptions, DType, Rng, Tensor};

/// Runs `f` on a thread with a 256 KiB stack (smaller than rayon's and the test harness's),
/// so recursion proportional to a graph's depth overflows it.
fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().expect("the thread panicked");
}

#[test]
fn a_chain_of_100000_ops_backpropagates_and_is_freed_on_a_small_stack() {
    on_a_small_stack(|| {
        let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap().requires_grad_();
        let mut y = x.clone();
        for i in 0..100_000 {
            y = if i % 2 == 0 { y.mul_scalar(1.0) } else { y.add_scalar(0.5) };
        }
        y.sum_all().unwrap().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec_f64(), vec![1.0, 1.0]);
        assert_eq!(y.to_vec_f64(), vec![25_001.0, 25_002.0]);
        drop(y); // the whole chain is freed here
    });
}

#[test]
fn a_5000_layer_sequential_trains_and_is_freed_on_a_small_stack() {
    on_a_small_stack(|| {
        let layers: Vec<LayerSpec> = (0..5000)
            .map(|i| match i % 3 {
                0 => LayerSpec::Linear { in_features: 4, out_features: 4, bias: true, init: None },
                1 => LayerSpec::BatchNorm1d { num_features: 4, eps: 1e-5, momentum: 0.1, affine: true },
                _ => LayerSpec::Tanh,
            })
            .collect();
        let model = LayerSpec::Sequential { layers }.build(&mut Rng::seed(0)).unwrap();
        let x = Tensor::rand_normal(&[8, 4], 0.0, 1.0, DType::F32, &mut Rng::seed(1));
        let loss = model.forward(&x).unwrap().square().sum_all().unwrap();
        loss.backward().unwrap();
        assert!(model.parameters().iter().all(|p| p.grad().is_some()));
        drop(loss);
        drop(model);
    });
}

#[test]
fn a_stride_past_the_padded_input_convolves_the_first_window() {
    // 8×8 input 1..=64, kernel 3 of ones, padding 1, stride 60: one output, the window at
    // rows and columns −1..=1, which holds x[0][0], x[0][1], x[1][0], x[1][1] = 1, 2, 9, 10.
    let x = Tensor::from_vec((1..=64).map(f64::from).collect::<Vec<_>>(), &[1, 1, 8, 8]).unwrap().requires_grad_();
    let w = Tensor::ones(&[1, 1, 3, 3], DType::F64).requires_grad_();
    let y = x.conv2d(&w, None, Conv2dOptions::default().padding(1).stride(60)).unwrap();
    assert_eq!((y.shape(), y.to_vec_f64()), (&[1, 1, 1, 1][..], vec![22.0]));
    y.sum_all().unwrap().backward().unwrap();
    let gx = x.grad().unwrap().to_vec_f64();
    assert_eq!((gx[0], gx[1], gx[8], gx[9], gx.iter().sum::<f64>()), (1.0, 1.0, 1.0, 1.0, 4.0));
    assert_eq!(w.grad().unwrap().to_vec_f64(), vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 9.0, 10.0]);
}

#[test]
fn architecture_sizes_over_the_limits_are_errors_naming_the_layer_and_field() {
    let cases = [
        ("type = \"linear\"\nin_features = 2\nout_features = 2147483648", "holds 6442450944 parameters"),
        ("type = \"linear\"\nin_features = 2\nout_features = 2147483649", "out_features = 2147483649"),
        ("type = \"batch_norm2d\"\nnum_features = 100000000000", "num_features = 100000000000"),
        ("type = \"conv2d\"\nin_channels = 4294967296\nout_channels = 1\nkernel_size = 1", "in_channels = 4294967296"),
        ("type = \"conv2d\"\nin_channels = 1\nout_channels = 1\nkernel_size = 3\npadding = 4294967296", "padding"),
        ("type = \"gru\"\ninput_size = 8\nhidden_size = 8\nnum_layers = 1000000000", "over the limit"),
        ("type = \"embedding\"\nnum_embeddings = 9223372036854775807\nembedding_dim = 9", "num_embeddings"),
    ];
    for (layer, expected) in cases {
        let text = format!("[[layers]]\ntype = \"relu\"\n\n[[layers]]\n{layer}\n");
        let err = ModelSpec::from_toml(&text, "big.toml").unwrap_err().to_string();
        assert!(err.starts_with("big.toml: ") && err.contains(expected), "{err}");
    }
}

#[test]
fn a_padding_within_the_limits_but_too_large_to_run_is_an_error() {
    let text =
        "[[layers]]\ntype = \"conv2d\"\nin_channels = 1\nout_channels = 1\nkernel_size = 3\npadding = 2147483648\n";
    let model = ModelSpec::from_toml(text, "pad.toml").unwrap().to_layer_spec().build(&mut Rng::seed(0)).unwrap();
    let err = model.forward(&Tensor::zeros(&[1, 1, 8, 8], DType::F32)).unwrap_err().to_string();
    assert!(err.contains("more than 2^31 elements"), "{err}");
}
