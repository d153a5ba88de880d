//! Forward values and input gradients of the activation, math, normalization,
//! reduction, sorting, rearranging, selection, einsum, transposed-convolution,
//! pooling and attention ops against PyTorch (float64), read from
//! `fixtures/oracle_ops_more.json` (written by `fixtures/gen_oracle_ops_more.py`).
//! Each case's name selects the same expression written with rede's ops below.

use rede::nn::{Linear, Module, MultiheadAttention};
use rede::{ConvTranspose2dOptions, MaxPool2dOptions, Result, Tensor};
use serde_json::Value;

mod oracle_common;
use oracle_common::{assert_matches, f64s, output_gradient, tensor};

const FIXTURE: &str = include_str!("fixtures/oracle_ops_more.json");

/// Values and indices flattened and joined, as the generator's `with_indices`.
fn with_indices((values, indices): (Tensor, Tensor)) -> Result<Tensor> {
    Tensor::cat(&[&values.flatten(0, -1)?, &indices.flatten(0, -1)?], 0)
}

/// Pieces flattened, each scaled by its position + 1, and joined (the generator's `pieces`).
fn pieces(parts: Vec<Tensor>) -> Result<Tensor> {
    let scaled = parts
        .iter()
        .enumerate()
        .map(|(i, p)| Ok(p.flatten(0, -1)?.mul_scalar(i as f64 + 1.0)))
        .collect::<Result<Vec<_>>>()?;
    Tensor::cat(&scaled.iter().collect::<Vec<_>>(), 0)
}

/// The expression named `name`, as the generator writes it in PyTorch.
fn apply(name: &str, x: &[Tensor]) -> Result<Tensor> {
    Ok(match name {
        "sin" => x[0].sin(),
        "cos" => x[0].cos(),
        "log1p" => x[0].log1p(),
        "expm1" => x[0].expm1(),
        "erf" => x[0].erf(),
        "rsqrt" => x[0].rsqrt(),
        "floor" => x[0].floor(),
        "round_halves" => x[0].round(),
        "silu" => x[0].silu()?,
        "elu" => x[0].elu(1.0)?,
        "elu_half" => x[0].elu(0.5)?,
        "selu" => x[0].selu()?,
        "mish" => x[0].mish()?,
        "hardtanh" => x[0].hardtanh(-1.0, 0.5)?,
        "log_sigmoid" => x[0].log_sigmoid(),
        "softsign" => x[0].softsign()?,
        "layer_norm" => x[0].layer_norm(&[4], Some(&x[1]), Some(&x[2]), 1e-5)?,
        "layer_norm_2d" => x[0].layer_norm(&[3, 4], None, None, 1e-5)?,
        "group_norm" => x[0].group_norm(2, Some(&x[1]), Some(&x[2]), 1e-5)?,
        "prod_1" => x[0].prod(1, false)?,
        "prod_with_zero" => x[0].prod(1, true)?,
        "std_1" => x[0].std(&[1], false)?,
        "norm_2" | "norm_zero_row" => x[0].norm(2.0, &[1], false)?,
        "norm_1" => x[0].norm(1.0, &[1], false)?,
        "norm_3_all" => x[0].norm(3.0, &[], false)?,
        "norm_inf" => x[0].norm(f64::INFINITY, &[0], false)?,
        "cumsum_1" => x[0].cumsum(1)?,
        "sort_descending" => with_indices(x[0].sort(1, true)?)?,
        "sort_nan" => with_indices(x[0].sort(1, false)?)?,
        "sort_nan_descending" => with_indices(x[0].sort(1, true)?)?,
        "topk_0" => with_indices(x[0].topk(2, 0, true)?)?,
        "topk_smallest" => with_indices(x[0].topk(3, 1, false)?)?,
        "flip_02" => x[0].flip(&[0, 2])?,
        "roll" => x[0].roll(&[1, -3], &[0, 1])?,
        "repeat" => x[0].repeat(&[2, 1, 3])?,
        "pad" => x[0].pad(&[1, 2, 0, 1], 0.5)?,
        "split" => pieces(x[0].split(2, 1)?)?,
        "chunk" => pieces(x[0].chunk(3, 0)?)?,
        "scatter" => {
            let index = f64s(&[0.0, 1.0, 2.0, 4.0, 3.0, 0.0, 1.0, 2.0, 3.0], &[3, 3]);
            x[0].scatter(1, &index, &x[1])?
        }
        "masked_select" => x[0].masked_select(&f64s(&[1.0, 0.0, 1.0], &[3]))?,
        "einsum_matmul" => Tensor::einsum("ij,jk->ik", &[&x[0], &x[1]])?,
        "einsum_batched" => Tensor::einsum("bij,bkj->bik", &[&x[0], &x[1]])?,
        "einsum_transpose" => Tensor::einsum("ij->ji", &[&x[0]])?,
        "einsum_dot" => Tensor::einsum("i,i->", &[&x[0], &x[1]])?,
        "einsum_sum_axes" => Tensor::einsum("ijk->j", &[&x[0]])?,
        "einsum_chain" => Tensor::einsum("ij,jk,kl->il", &[&x[0], &x[1], &x[2]])?,
        "einsum_implicit_outer" => Tensor::einsum("i,j", &[&x[0], &x[1]])?,
        "conv_transpose2d" => {
            let o = ConvTranspose2dOptions {
                stride: [2, 2],
                padding: [1, 1],
                output_padding: [1, 1],
                ..Default::default()
            };
            x[0].conv_transpose2d(&x[1], Some(&x[2]), o)?
        }
        "conv_transpose2d_groups" => {
            let o = ConvTranspose2dOptions { stride: [1, 2], dilation: [2, 2], groups: 2, ..Default::default() };
            x[0].conv_transpose2d(&x[1], None, o)?
        }
        "max_pool2d_indices" => {
            let o =
                MaxPool2dOptions { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 2], ceil_mode: true };
            with_indices(x[0].max_pool2d_with_indices(o)?)?
        }
        "max_pool2d_ceil" => with_indices(
            x[0].max_pool2d_with_indices(MaxPool2dOptions { ceil_mode: true, ..MaxPool2dOptions::new([2, 2]) })?,
        )?,
        "attention_causal" => x[0].scaled_dot_product_attention(&x[1], &x[2], None, true)?,
        "attention_mask" => x[0].scaled_dot_product_attention(&x[1], &x[2], Some(&x[3]), false)?,
        "multihead_attention_causal" => {
            let out_proj = Linear::from_tensors(x[3].clone(), Some(x[4].clone()))?;
            MultiheadAttention::from_tensors(x[1].clone(), Some(x[2].clone()), out_proj, 2, true)?.forward(&x[0])?
        }
        other => panic!("the fixture has a case `{other}` that this test does not know"),
    })
}

fn run_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let inputs: Vec<Tensor> = case["inputs"].as_array().unwrap().iter().map(|v| tensor(v).requires_grad_()).collect();
    let out = apply(name, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_matches(&out, &tensor(&case["output"]), &format!("{name} output"));
    out.backward_with(&output_gradient(out.shape())).unwrap_or_else(|e| panic!("{name}: backward: {e}"));
    for (i, (x, expected)) in inputs.iter().zip(case["grads"].as_array().unwrap()).enumerate() {
        let expected = if expected.is_null() { x.zeros_like() } else { tensor(expected) };
        let grad = x.grad().unwrap_or_else(|| x.zeros_like());
        assert_matches(&grad, &expected, &format!("{name} gradient of input {i}"));
    }
}

#[test]
fn every_op_matches_pytorch_values_and_gradients() {
    let doc: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 55, "the fixture lost cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap().to_string();
        if let Err(e) = std::panic::catch_unwind(|| run_case(case)) {
            let msg = e.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{name} panicked"));
            failures.push(msg);
        }
    }
    assert!(failures.is_empty(), "{} cases differ from PyTorch:\n{}", failures.len(), failures.join("\n"));
}
