//! Backend conformance: every op (forward and backward), every optimizer step,
//! the losses and the conv/pool/BatchNorm/LSTM/GRU layers, run on each device
//! under test and compared with a reference computed on the CPU.
//!
//! Ops and optimizers run on the device in f32 and are compared with the CPU in
//! f64, so on a CPU-only machine the suite still checks every f32 kernel against
//! the f64 one. Layers run in f32 on both sides and must agree to rounding.
//! The CPU is always tested; CUDA device 0 when this build and machine have one
//! (otherwise the reason is printed).

use rede::nn::loss::{self, CrossEntropyOptions, Reduction};
use rede::nn::{BatchNorm1d, BatchNorm2d, Conv2d, Gru, Lstm, Module, RnnConfig};
use rede::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use rede::{Conv2dOptions, DType, Device, Result, Rng, Tensor};

/// A named unary op.
type UnaryCase = (&'static str, fn(&Tensor) -> Tensor);
/// A named binary op.
type BinaryCase = (&'static str, fn(&Tensor, &Tensor) -> Result<Tensor>);

/// The devices this run can test.
fn devices() -> Vec<Device> {
    let mut devices = vec![Device::Cpu];
    match Device::Cuda(0).check_available() {
        Ok(()) => devices.push(Device::Cuda(0)),
        Err(e) => eprintln!("backend conformance: skipping CUDA ({e})"),
    }
    devices
}

/// Values in `[lo, hi)`, in f64 on the CPU.
fn values(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, lo, hi, DType::F64, &mut Rng::seed(seed))
}

/// Output and input gradients of `f` at `inputs` (converted to `dtype`, moved to
/// `device`), with the upstream gradient a fixed pseudo-random tensor so every
/// output element matters; all read back as f64.
fn run(
    f: &dyn Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    dtype: DType,
    device: Device,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let leaves: Vec<Tensor> =
        inputs.iter().map(|t| t.to_dtype(dtype).to_device(device).unwrap().detach().requires_grad_()).collect();
    let out = f(&leaves).unwrap();
    assert_eq!(out.device(), device, "the result stays on {device}");
    let upstream = values(out.shape(), -1.0, 1.0, 99).to_dtype(dtype).to_device(device).unwrap();
    if out.requires_grad() {
        out.mul(&upstream).unwrap().sum_all().unwrap().backward().unwrap();
    }
    let grads = leaves.iter().map(|t| t.grad().map_or_else(Vec::new, |g| g.to_vec_f64())).collect();
    (out.to_vec_f64(), grads)
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= tol * (1.0 + w.abs()) || (g.is_nan() && w.is_nan());
        assert!(ok, "{what}: element {i} is {g}, the CPU f64 reference {w}");
    }
}

/// Checks `f` on every device in f32 against the CPU in f64.
fn conform(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let (want, want_grads) = run(&f, inputs, DType::F64, Device::Cpu);
    for device in devices() {
        for dtype in [DType::F32, DType::F64] {
            let (got, grads) = run(&f, inputs, dtype, device);
            let tol = if dtype == DType::F32 { 2e-4 } else { 1e-10 };
            assert_close(&format!("{name} on {device} in {dtype:?}"), &got, &want, tol);
            for (i, (g, w)) in grads.iter().zip(&want_grads).enumerate() {
                assert_close(&format!("{name} on {device} in {dtype:?}, gradient {i}"), g, w, tol);
            }
        }
    }
}

#[test]
fn elementwise_ops() {
    let x = values(&[3, 4], -2.0, 2.0, 1);
    let pos = values(&[3, 4], 0.3, 3.0, 2);
    let unary: [UnaryCase; 13] = [
        ("neg", Tensor::neg),
        ("exp", Tensor::exp),
        ("abs", Tensor::abs),
        ("square", Tensor::square),
        ("relu", Tensor::relu),
        ("sigmoid", Tensor::sigmoid),
        ("tanh", Tensor::tanh),
        ("gelu", Tensor::gelu),
        ("softplus", Tensor::softplus),
        ("sign", Tensor::sign),
        ("leaky_relu", |t| t.leaky_relu(0.1)),
        ("clamp", |t| t.clamp(-0.5, 0.7)),
        ("affine", |t| t.affine(1.5, -0.25)),
    ];
    for (name, op) in unary {
        conform(name, std::slice::from_ref(&x), |t| Ok(op(&t[0])));
    }
    let positive: [UnaryCase; 4] =
        [("log", Tensor::log), ("sqrt", Tensor::sqrt), ("recip", Tensor::recip), ("powf", |t| t.powf(1.7))];
    for (name, op) in positive {
        conform(name, std::slice::from_ref(&pos), |t| Ok(op(&t[0])));
    }
}

#[test]
fn broadcasting_binary_ops_comparisons_and_selection() {
    let a = values(&[2, 3, 4], -2.0, 2.0, 3);
    let b = values(&[3, 1], 0.5, 2.0, 4);
    let binary: [BinaryCase; 7] = [
        ("add", Tensor::add),
        ("sub", Tensor::sub),
        ("mul", Tensor::mul),
        ("div", Tensor::div),
        ("maximum", Tensor::maximum),
        ("minimum", Tensor::minimum),
        ("pow", |x, y| x.abs().add_scalar(0.1).pow(y)),
    ];
    for (name, op) in binary {
        conform(name, &[a.clone(), b.clone()], |t| op(&t[0], &t[1]));
    }
    conform("compare and where", &[a.clone(), b.clone()], |t| {
        Tensor::where_cond(&t[0].gt(&t[1])?, &t[0], &t[1].mul_scalar(3.0))
    });
    conform("masked_fill", std::slice::from_ref(&a), |t| t[0].masked_fill(&t[0].lt_scalar(0.0), 0.5));
}

#[test]
fn reductions_and_softmax() {
    let x = values(&[2, 3, 5], -3.0, 3.0, 5);
    conform("sum", std::slice::from_ref(&x), |t| t[0].sum(&[1], false));
    conform("sum of leading axes", std::slice::from_ref(&x), |t| t[0].sum(&[0, 1], false));
    conform("mean", std::slice::from_ref(&x), |t| t[0].mean(&[0, 2], true));
    conform("max", std::slice::from_ref(&x), |t| t[0].max(&[2], false));
    conform("min", std::slice::from_ref(&x), |t| t[0].min(&[1], true));
    conform("var", std::slice::from_ref(&x), |t| t[0].var(&[2], false));
    conform("logsumexp", std::slice::from_ref(&x), |t| t[0].logsumexp(&[2], false));
    conform("softmax", std::slice::from_ref(&x), |t| t[0].softmax(-1));
    conform("log_softmax", std::slice::from_ref(&x), |t| t[0].log_softmax(1));
    conform("argmax", std::slice::from_ref(&x), |t| t[0].argmax(-1)?.add(&t[0].sum(&[2], false)?));
}

#[test]
fn matrix_products_and_linear() {
    let a = values(&[2, 3, 4], -1.0, 1.0, 6);
    let b = values(&[4, 5], -1.0, 1.0, 7);
    conform("matmul 2-d", &[a.reshape(&[6, 4]).unwrap(), b.clone()], |t| t[0].matmul(&t[1]));
    conform("batched matmul with broadcast", &[a.clone(), b.clone()], |t| t[0].matmul(&t[1]));
    conform("matmul of transposed views", &[a.clone(), b.clone()], |t| t[1].t()?.matmul(&t[0].transpose(-1, -2)?));
    let w = values(&[5, 4], -1.0, 1.0, 8);
    let bias = values(&[5], -1.0, 1.0, 9);
    conform("linear", &[a.clone(), w.clone(), bias], |t| t[0].linear(&t[1], Some(&t[2])));
    conform("linear without bias", &[a, w], |t| t[0].linear(&t[1], None));
}

#[test]
fn movement_indexing_and_conversion() {
    let x = values(&[3, 4, 2], -1.0, 1.0, 10);
    let idx = Tensor::from_vec(vec![2.0f64, 0.0, 2.0], &[3]).unwrap();
    conform("index_select", std::slice::from_ref(&x), |t| t[0].index_select(1, &idx));
    let g = Tensor::from_vec(vec![1.0f64, 0.0, 3.0, 3.0, 2.0, 1.0], &[3, 2, 1]).unwrap();
    conform("gather", std::slice::from_ref(&x), |t| t[0].gather(1, &g));
    conform("cat", &[x.clone(), x.clone()], |t| Tensor::cat(&[&t[0], &t[1].mul_scalar(2.0)], 1));
    conform("narrow and contiguous", std::slice::from_ref(&x), |t| Ok(t[0].narrow(1, 1, 2)?.contiguous()));
    conform("permute, reshape", std::slice::from_ref(&x), |t| t[0].permute(&[2, 0, 1])?.contiguous().reshape(&[2, 12]));
    conform("stack", &[x.clone(), x.clone()], |t| Tensor::stack(&[&t[0], &t[1]], 0));
    conform("to_dtype round trip", std::slice::from_ref(&x), |t| Ok(t[0].to_dtype(DType::F64).to_dtype(t[0].dtype())));
}

#[test]
fn convolution_and_pooling() {
    let x = values(&[2, 4, 7, 6], -1.0, 1.0, 11);
    let w = values(&[6, 2, 3, 3], -0.5, 0.5, 12);
    let b = values(&[6], -0.5, 0.5, 13);
    let options = Conv2dOptions { stride: [2, 1], padding: [1, 1], groups: 2, ..Default::default() };
    conform("conv2d", &[x.clone(), w, b], |t| t[0].conv2d(&t[1], Some(&t[2]), options));
    conform("max_pool2d", std::slice::from_ref(&x), |t| t[0].max_pool2d([2, 2], [2, 2], [0, 0]));
    conform("max_pool2d padded", std::slice::from_ref(&x), |t| t[0].max_pool2d([3, 3], [2, 2], [1, 1]));
    conform("avg_pool2d", std::slice::from_ref(&x), |t| t[0].avg_pool2d([3, 2], [2, 2], [1, 0]));
    conform("adaptive_avg_pool2d", std::slice::from_ref(&x), |t| t[0].adaptive_avg_pool2d(3, 2));
}

#[test]
fn losses() {
    let logits = values(&[5, 4], -3.0, 3.0, 14);
    let classes = Tensor::from_vec(vec![0.0f64, 3.0, 1.0, 1.0, 2.0], &[5]).unwrap();
    let weight = Tensor::from_vec(vec![1.0f64, 2.0, 0.5, 1.5], &[4]).unwrap();
    conform("cross_entropy", std::slice::from_ref(&logits), |t| loss::cross_entropy(&t[0], &classes));
    conform("cross_entropy weighted and smoothed", std::slice::from_ref(&logits), |t| {
        let options = CrossEntropyOptions {
            weight: Some(weight.to_dtype(t[0].dtype()).to_device(t[0].device())?),
            label_smoothing: 0.1,
            reduction: Reduction::Mean,
            ignore_index: None,
        };
        loss::cross_entropy_with(&t[0], &classes, &options)
    });
    conform("nll_loss", std::slice::from_ref(&logits), |t| loss::nll_loss(&t[0].log_softmax(1)?, &classes));
    let target = values(&[5, 4], 0.0, 1.0, 15);
    conform("bce with logits", &[logits.clone(), target.clone()], |t| {
        loss::binary_cross_entropy_with_logits(&t[0], &t[1])
    });
    conform("mse", &[logits.clone(), target.clone()], |t| loss::mse_loss(&t[0], &t[1]));
    conform("l1", &[logits.clone(), target.clone()], |t| loss::l1_loss(&t[0], &t[1]));
    conform("huber", &[logits, target], |t| loss::huber_loss(&t[0], &t[1], 0.7));
}

/// Three steps of `make`'s optimizer on two parameters with a fixed quadratic loss.
fn optimizer_steps(make: &dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>, dtype: DType, device: Device) -> Vec<Vec<f64>> {
    let w = values(&[3, 4], -1.0, 1.0, 16).to_dtype(dtype).to_device(device).unwrap().requires_grad_();
    let b = values(&[4], -1.0, 1.0, 17).to_dtype(dtype).to_device(device).unwrap().requires_grad_();
    w.set_label("fc.weight");
    b.set_label("fc.bias");
    let x = values(&[5, 3], -1.0, 1.0, 18).to_dtype(dtype).to_device(device).unwrap();
    let mut opt = make(vec![w.clone(), b.clone()]);
    for _ in 0..3 {
        opt.zero_grad();
        let y = x.matmul(&w).unwrap().add(&b).unwrap();
        y.square().mean_all().unwrap().backward().unwrap();
        opt.step().unwrap();
    }
    assert_eq!((w.device(), b.device()), (device, device), "parameters stay on {device}");
    vec![w.to_vec_f64(), b.to_vec_f64()]
}

#[test]
fn optimizer_steps_match_the_cpu() {
    type Make = Box<dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>>;
    let optimizers: Vec<(&str, Make)> = vec![
        ("sgd", Box::new(|p| Box::new(Sgd::new(p, SgdConfig { lr: 0.1, ..Default::default() }).unwrap()))),
        (
            "sgd nesterov with decay",
            Box::new(|p| {
                let c = SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01, ..Default::default() };
                Box::new(Sgd::new(p, c).unwrap())
            }),
        ),
        ("adam", Box::new(|p| Box::new(Adam::new(p, AdamConfig { lr: 0.05, ..Default::default() }).unwrap()))),
        (
            "adam amsgrad with l1",
            Box::new(|p| {
                Box::new(Adam::new(p, AdamConfig { lr: 0.05, amsgrad: true, l1: 0.01, ..Default::default() }).unwrap())
            }),
        ),
        ("adamw", Box::new(|p| Box::new(AdamW::new(p, AdamWConfig { lr: 0.05, ..Default::default() }).unwrap()))),
        (
            "rmsprop centered with momentum",
            Box::new(|p| {
                let c = RmsPropConfig { lr: 0.01, centered: true, momentum: 0.5, ..Default::default() };
                Box::new(RmsProp::new(p, c).unwrap())
            }),
        ),
        ("adagrad", Box::new(|p| Box::new(Adagrad::new(p, AdagradConfig { lr: 0.1, ..Default::default() }).unwrap()))),
    ];
    for (name, make) in &optimizers {
        let want = optimizer_steps(make.as_ref(), DType::F64, Device::Cpu);
        for device in devices() {
            for dtype in [DType::F32, DType::F64] {
                let got = optimizer_steps(make.as_ref(), dtype, device);
                let tol = if dtype == DType::F32 { 1e-4 } else { 1e-12 };
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_close(&format!("{name} on {device} in {dtype:?}, parameter {i}"), g, w, tol);
                }
            }
        }
    }
}

/// Output, input gradient and parameter gradients of a freshly built module
/// (seeded, so every build is the same) on `device`.
fn module_run(build: &dyn Fn() -> Box<dyn Module>, x: &Tensor, device: Device) -> Vec<Vec<f64>> {
    let module = build();
    module.to_device(device).unwrap();
    assert!(module.parameters().iter().all(|p| p.device() == device));
    let x = x.to_device(device).unwrap().detach().requires_grad_();
    let out = module.forward(&x).unwrap();
    assert_eq!(out.device(), device);
    out.square().sum_all().unwrap().backward().unwrap();
    let mut all = vec![out.to_vec_f64(), x.grad().unwrap().to_vec_f64()];
    all.extend(module.parameters().iter().map(|p| p.grad().unwrap().to_vec_f64()));
    all.extend(module.named_buffers().iter().map(|(_, b)| b.to_vec_f64()));
    all
}

fn conform_module(name: &str, x: &Tensor, build: impl Fn() -> Box<dyn Module>) {
    let want = module_run(&build, x, Device::Cpu);
    for device in devices() {
        let got = module_run(&build, x, device);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_close(&format!("{name} on {device}, tensor {i}"), g, w, 1e-5);
        }
    }
}

#[test]
fn layers_match_the_cpu() {
    let image = values(&[2, 3, 6, 6], -1.0, 1.0, 19).to_dtype(DType::F32);
    conform_module("conv2d layer", &image, || {
        Box::new(Conv2d::new(3, 4, [3, 3], Conv2dOptions::default(), &mut Rng::seed(1)).unwrap())
    });
    conform_module("batch_norm2d", &image, || Box::new(BatchNorm2d::new(3).unwrap()));
    let table = values(&[5, 3], -1.0, 1.0, 20).to_dtype(DType::F32);
    conform_module("batch_norm1d", &table, || Box::new(BatchNorm1d::new(3).unwrap()));
    let sequence = values(&[2, 4, 3], -1.0, 1.0, 21).to_dtype(DType::F32);
    let config = RnnConfig::new(3, 5).layers(2).bidirectional(true);
    conform_module("lstm", &sequence, || Box::new(Lstm::new(config, &mut Rng::seed(2)).unwrap()));
    conform_module("gru", &sequence, || Box::new(Gru::new(config, &mut Rng::seed(3)).unwrap()));
}

#[test]
fn moving_between_devices_keeps_values_and_gradients_flow_back() {
    let x = values(&[2, 3], -1.0, 1.0, 22).requires_grad_();
    for device in devices() {
        let moved = x.to_device(device).unwrap();
        assert_eq!(moved.device(), device);
        assert_eq!(moved.to_vec_f64(), x.to_vec_f64());
        x.zero_grad();
        moved.mul_scalar(3.0).sum_all().unwrap().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec_f64(), vec![3.0; 6], "the gradient reaches the CPU leaf");
    }
}

#[test]
fn a_device_this_build_cannot_use_is_a_clear_error() {
    if devices().contains(&Device::Cuda(0)) {
        return;
    }
    let x = Tensor::zeros(&[2], DType::F32);
    let err = x.to_device(Device::Cuda(0)).unwrap_err().to_string();
    assert!(err.starts_with("cuda:0: "), "{err}");
    assert_eq!(Device::cuda_if_available(0), Device::Cpu);
    let layer = BatchNorm1d::new(2).unwrap();
    assert!(layer.to_device(Device::Cuda(0)).is_err());
    assert!(layer.parameters().iter().all(|p| p.device() == Device::Cpu), "a failed move changes nothing");
}

#[test]
fn mixing_devices_in_one_op_names_the_op_and_both_devices() {
    let Some(&gpu) = devices().iter().find(|d| d.is_cuda()) else { return };
    let host = values(&[2, 3], -1.0, 1.0, 23);
    let device = host.to_device(gpu).unwrap();
    let err = host.add(&device).unwrap_err().to_string();
    assert_eq!(err, format!("add: tensors on cpu and {gpu}"));
    let err = host.matmul(&device.t().unwrap()).unwrap_err().to_string();
    assert_eq!(err, format!("matmul: tensors on cpu and {gpu}"));
    let scalar = Tensor::scalar(2.0, DType::F64);
    assert_eq!(device.mul(&scalar).unwrap().device(), gpu, "a host scalar joins any device, as in PyTorch");
}

#[test]
fn writing_host_values_checks_count_and_layout() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    x.write_from_host(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert_eq!(x.to_vec_f64(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "values converted to the tensor's type");
    let err = x.write_from_host(&[1.0f32; 5]).unwrap_err().to_string();
    assert!(err.contains("5 elements cannot have shape [2, 3]"), "{err}");
    let err = x.t().unwrap().write_from_host(&[0.0f32; 6]).unwrap_err().to_string();
    assert!(err.contains("not contiguous"), "{err}");
    assert_eq!(x.to_vec_f64(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "a refused write changes nothing");
}
