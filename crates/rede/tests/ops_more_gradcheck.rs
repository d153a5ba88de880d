//! The newer differentiable ops against central finite differences in f64:
//! activations, math functions, normalizations, reductions, sorting,
//! rearranging, selection, einsum, transposed convolution, pooling with indices,
//! attention, and the probability losses.

use rede::nn::loss;
use rede::{gradcheck, ConvTranspose2dOptions, DType, GradcheckOptions, MaxPool2dOptions, Result, Rng, Tensor};

fn check(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let report = gradcheck(f, inputs, GradcheckOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(report.passed, "{name}: {report}");
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn uniform(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, lo, hi, DType::F64, &mut Rng::seed(seed))
}

#[test]
fn elementwise_functions_and_activations() {
    type Unary = fn(&Tensor) -> Result<Tensor>;
    let ops: [(&str, Unary); 13] = [
        ("sin", |x| Ok(x.sin())),
        ("cos", |x| Ok(x.cos())),
        ("expm1", |x| Ok(x.expm1())),
        ("erf", |x| Ok(x.erf())),
        ("silu", Tensor::silu),
        ("elu", |x| x.elu(0.7)),
        ("selu", Tensor::selu),
        ("mish", Tensor::mish),
        ("hardtanh", |x| x.hardtanh(-2.5, 2.5)),
        ("log_sigmoid", |x| Ok(x.log_sigmoid())),
        ("softsign", Tensor::softsign),
        ("floor has a zero gradient", |x| Ok(x.floor())),
        ("round has a zero gradient", |x| x.round().add(&x.mul_scalar(0.5))),
    ];
    for (i, (name, op)) in ops.into_iter().enumerate() {
        // Away from 0, where ELU-like kinks are, and from the rounding steps.
        let x = randn(&[2, 3], i as u64).mul_scalar(1.7).add_scalar(0.13);
        check(name, &[x.t().unwrap()], |t| op(&t[0]));
    }
    check("log1p", &[uniform(&[2, 3], -0.5, 2.0, 20)], |t| Ok(t[0].log1p()));
    check("rsqrt", &[uniform(&[2, 3], 0.3, 3.0, 21)], |t| Ok(t[0].rsqrt()));
}

#[test]
fn normalizations() {
    let (x, w, b) = (randn(&[2, 3, 4], 1), randn(&[4], 2), randn(&[4], 3));
    check("layer_norm", &[x.clone(), w, b], |t| t[0].layer_norm(&[4], Some(&t[1]), Some(&t[2]), 1e-5));
    check("layer_norm over 2 dims", &[x], |t| t[0].layer_norm(&[3, 4], None, None, 1e-5));
    let (x, w, b) = (randn(&[2, 6, 2], 4), randn(&[6], 5), randn(&[6], 6));
    check("group_norm", &[x, w, b], |t| t[0].group_norm(3, Some(&t[1]), Some(&t[2]), 1e-5));
}

#[test]
fn reductions() {
    let x = randn(&[3, 5], 7);
    check("prod", std::slice::from_ref(&x), |t| t[0].prod(1, false));
    check("prod_all", &[randn(&[2, 3], 8)], |t| t[0].prod_all());
    check("prod with zeros", &[Tensor::from_vec(vec![0.0, 2.0, 0.5, 0.0, -1.0, 3.0], &[2, 3]).unwrap()], |t| {
        t[0].prod(0, true)
    });
    check("std", std::slice::from_ref(&x), |t| t[0].std(&[0], true));
    check("norm 2", std::slice::from_ref(&x), |t| t[0].norm(2.0, &[1], false));
    check("norm 3", std::slice::from_ref(&x), |t| t[0].norm(3.0, &[], false));
    check("norm inf", std::slice::from_ref(&x), |t| t[0].norm(f64::INFINITY, &[0], false));
    check("cumsum", &[randn(&[2, 3, 4], 9)], |t| t[0].cumsum(1));
}

#[test]
fn sorting_and_rearranging() {
    let x = randn(&[3, 4], 10);
    check("sort", std::slice::from_ref(&x), |t| Ok(t[0].sort(1, false)?.0));
    check("topk", std::slice::from_ref(&x), |t| Ok(t[0].topk(2, 0, true)?.0));
    check("flip", std::slice::from_ref(&x), |t| t[0].flip(&[0, 1]));
    check("roll", std::slice::from_ref(&x), |t| t[0].roll(&[2], &[1]));
    check("repeat", std::slice::from_ref(&x), |t| t[0].repeat(&[2, 1, 2]));
    check("pad", std::slice::from_ref(&x), |t| t[0].pad(&[1, 0, 2, 1], -1.0));
    check("split", std::slice::from_ref(&x), |t| Ok(t[0].split(3, 1)?[1].clone()));
    check("chunk", std::slice::from_ref(&x), |t| Ok(t[0].chunk(2, 0)?[0].clone()));
    let index = Tensor::from_vec(vec![3.0, 0.0, 1.0, 2.0, 2.0, 3.0], &[3, 2]).unwrap();
    check("scatter", &[x.clone(), randn(&[3, 2], 11)], move |t| t[0].scatter(1, &index, &t[1]));
    let mask = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[4]).unwrap();
    check("masked_select", &[x], move |t| t[0].masked_select(&mask));
}

#[test]
fn einsum_contractions() {
    check("einsum matmul", &[randn(&[2, 3], 12), randn(&[3, 4], 13)], |t| Tensor::einsum("ij,jk->ik", &[&t[0], &t[1]]));
    check("einsum batched", &[randn(&[2, 3, 4], 14), randn(&[2, 5, 4], 15)], |t| {
        Tensor::einsum("bij,bkj->bki", &[&t[0], &t[1]])
    });
    check("einsum chain", &[randn(&[2, 3], 16), randn(&[3], 17), randn(&[2], 18)], |t| {
        Tensor::einsum("ij,j,i->", &[&t[0], &t[1], &t[2]])
    });
}

#[test]
fn transposed_convolution_pooling_and_attention() {
    let o = ConvTranspose2dOptions { stride: [2, 1], padding: [1, 0], output_padding: [1, 0], ..Default::default() };
    check("conv_transpose2d", &[randn(&[1, 2, 3, 2], 19), randn(&[2, 3, 2, 2], 20), randn(&[3], 21)], move |t| {
        t[0].conv_transpose2d(&t[1], Some(&t[2]), o)
    });
    let pool = MaxPool2dOptions { kernel: [2, 2], stride: [1, 2], padding: [1, 1], dilation: [2, 1], ceil_mode: true };
    check("max_pool2d_with_indices", &[randn(&[1, 2, 5, 4], 22)], move |t| Ok(t[0].max_pool2d_with_indices(pool)?.0));
    check("attention", &[randn(&[2, 3, 4], 23), randn(&[2, 3, 4], 24), randn(&[2, 3, 2], 25)], |t| {
        t[0].scaled_dot_product_attention(&t[1], &t[2], None, true)
    });
}

#[test]
fn probability_losses() {
    let logits = randn(&[4, 3], 26);
    let probs = uniform(&[4, 3], 0.1, 1.0, 27);
    check("cross-entropy on probabilities", &[logits.clone(), probs.clone()], |t| {
        loss::cross_entropy(&t[0], &t[1].div(&t[1].sum(&[1], true)?)?)
    });
    check("kl_div", &[logits.log_softmax(1).unwrap(), probs.clone()], |t| loss::kl_div(&t[0], &t[1], false));
    check("binary_cross_entropy", &[uniform(&[3, 2], 0.1, 0.9, 28), uniform(&[3, 2], 0.0, 1.0, 29)], |t| {
        loss::binary_cross_entropy(&t[0], &t[1])
    });
}
