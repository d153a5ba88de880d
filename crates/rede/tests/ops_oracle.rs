//! Forward values and input gradients against PyTorch (float64), read from
//! `fixtures/oracle_ops.json` (written by `fixtures/gen_oracle_ops.py`). Each
//! case's name selects the same expression written with rede's ops below.

use rede::{DType, Result, Tensor};
use serde_json::Value;

mod oracle_common;
use oracle_common::{assert_matches, f64s, output_gradient, tensor};

const FIXTURE: &str = include_str!("fixtures/oracle_ops.json");

/// The expression named `name`, as the generator writes it in PyTorch.
fn apply(name: &str, x: &[Tensor]) -> Result<Tensor> {
    let mask = || f64s(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3]);
    Ok(match name {
        "neg" => x[0].neg(),
        "exp" => x[0].exp(),
        "log" => x[0].log(),
        "sqrt" => x[0].sqrt(),
        "abs" => x[0].abs(),
        "x_sign_x" => x[0].mul(&x[0].sign())?,
        "recip" => x[0].recip(),
        "square" => x[0].square(),
        "powf_2_5" => x[0].powf(2.5),
        "relu" => x[0].relu(),
        "leaky_relu_0_1" => x[0].leaky_relu(0.1),
        "sigmoid" => x[0].sigmoid(),
        "tanh" => x[0].tanh(),
        "gelu" => x[0].gelu(),
        "softplus" => x[0].softplus(),
        "clamp" => x[0].clamp(-0.5, 0.5),
        "affine" => x[0].affine(-1.5, 0.25),
        "div_scalar" => x[0].div_scalar(4.0),
        "add_234_31" => x[0].add(&x[1])?,
        "sub_234_4" => x[0].sub(&x[1])?,
        "mul_23_scalar" => x[0].mul(&x[1])?,
        "div_31_14" => x[0].div(&x[1])?,
        "pow_23_3" | "pow_zero_base" => x[0].pow(&x[1])?,
        "maximum_234_31" => x[0].maximum(&x[1])?,
        "minimum_34_4" => x[0].minimum(&x[1])?,
        "sum_0" => x[0].sum(&[0], false)?,
        "sum_02_keep" => x[0].sum(&[0, 2], true)?,
        "mean_1" => x[0].mean(&[1], false)?,
        "mean_all" => x[0].mean_all()?,
        "max_2" => x[0].max(&[2], false)?,
        "max_01_keep" => x[0].max(&[0, 1], true)?,
        "min_1" => x[0].min(&[1], false)?,
        "var_2" => x[0].var(&[2], false)?,
        "var_02_keep" => x[0].var(&[0, 2], true)?,
        "var_all" => x[0].var(&[], false)?,
        "logsumexp_1" => x[0].logsumexp(&[1], false)?,
        "logsumexp_02_keep" => x[0].logsumexp(&[0, 2], true)?,
        "matmul_2d" | "matmul_batched" | "matmul_broadcast" | "matmul_vec_mat" | "matmul_mat_vec" | "matmul_dot" => {
            x[0].matmul(&x[1])?
        }
        "matmul_transposed" => x[0].t()?.matmul(&x[1].t()?)?,
        "transpose_02" => x[0].transpose(0, 2)?,
        "permute_201" => x[0].permute(&[2, 0, 1])?,
        "reshape_noncontiguous" => x[0].transpose(1, 2)?.reshape(&[8, 3])?,
        "flatten_12" => x[0].flatten(1, 2)?,
        "unsqueeze_exp_squeeze" => x[0].unsqueeze(1)?.exp().squeeze(1)?,
        "broadcast_to" => x[0].broadcast_to(&[2, 3, 4])?,
        "narrow_2_1_2" => x[0].narrow(2, 1, 2)?,
        "slice_of_transposed" => x[0].transpose(0, 1)?.slice(0, 0, 2)?,
        "cat_1" => Tensor::cat(&[&x[0], &x[1], &x[2].t()?.slice(1, 0, 2)?], 1)?,
        "stack_last" => Tensor::stack(&[&x[0], &x[1], &x[0]], -1)?,
        "index_select_repeated" => x[0].index_select(0, &f64s(&[2.0, 0.0, 2.0, 2.0], &[4]))?,
        "gather_class_per_row" => x[0].gather(1, &f64s(&[2.0, 0.0, 1.0, 2.0], &[4, 1]))?,
        "gather_repeated" => x[0].gather(1, &f64s(&[0.0, 0.0, 2.0, 1.0, 1.0, 1.0], &[2, 3]))?,
        "where_cond" => Tensor::where_cond(&mask(), &x[0], &x[1])?,
        "masked_fill" => x[0].masked_fill(&mask(), -2.0)?.exp(),
        "softmax_last" => x[0].softmax(-1)?,
        "log_softmax_0" => x[0].log_softmax(0)?,
        "to_dtype_f32" => x[0].to_dtype(DType::F32).mul_scalar(3.0).to_dtype(DType::F64),
        "contiguous_of_transposed" => x[0].t()?.contiguous().square(),
        "mlp_cross_entropy" => mlp_cross_entropy(x)?,
        "softmax_huge_logits" => x[0].softmax(1)?,
        "log_softmax_huge_logits" => x[0].log_softmax(1)?,
        "broadcast_chain" => {
            let (a, b, c, d) = (&x[0], &x[1], &x[2], &x[3]);
            a.mul(b)?.add(c)?.tanh().div(d)?.sub(&a.sub(c)?.sum(&[-1], true)?)?
        }
        "var_of_expression" => x[0].exp().mul(&x[0])?.var(&[1], false)?,
        "logsumexp_neg_inf" => x[0].logsumexp(&[1], false)?,
        "relu_nan" => x[0].relu(),
        "leaky_relu_nan" => x[0].leaky_relu(0.1),
        "clamp_nan" => x[0].clamp(-0.5, 0.5),
        "maximum_nan" => x[0].maximum(&x[1])?,
        "minimum_nan" => x[0].minimum(&x[1])?,
        "max_nan" => x[0].max(&[1], false)?,
        "argmax_nan" => x[0].argmax(1)?,
        "argmin_nan" => x[0].argmin(1)?,
        "max_pool_2x2_nan" => x[0].max_pool2d([2, 2], [2, 2], [0, 0])?,
        "max_pool_3x3_nan" => x[0].max_pool2d([3, 3], [1, 1], [0, 0])?,
        "powf_0_at_0" => x[0].powf(0.0),
        other => panic!("the fixture has a case `{other}` that this test does not know"),
    })
}

/// Mean cross-entropy of a 2-layer MLP: log_softmax, gather the true class, mean.
fn mlp_cross_entropy(x: &[Tensor]) -> Result<Tensor> {
    let (input, w1, b1, w2, b2) = (&x[0], &x[1], &x[2], &x[3], &x[4]);
    let labels = f64s(&[0.0, 2.0, 1.0, 2.0], &[4, 1]);
    let h = input.matmul(&w1.t()?)?.add(b1)?.tanh();
    let logits = h.matmul(&w2.t()?)?.add(b2)?;
    Ok(logits.log_softmax(1)?.gather(1, &labels)?.mean_all()?.neg())
}

fn run_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let inputs: Vec<Tensor> = case["inputs"].as_array().unwrap().iter().map(|v| tensor(v).requires_grad_()).collect();
    let out = apply(name, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_matches(&out, &tensor(&case["output"]), &format!("{name} output"));
    let differentiable = case["grads"].as_array().unwrap().iter().any(|g| !g.is_null());
    assert_eq!(out.requires_grad(), differentiable, "{name}: whether the output has a gradient");
    if differentiable {
        out.backward_with(&output_gradient(out.shape())).unwrap_or_else(|e| panic!("{name}: backward: {e}"));
    }
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
    assert!(cases.len() >= 81, "the fixture lost cases: {}", cases.len());
    for case in cases {
        run_case(case);
    }
}

#[test]
fn huge_logits_stay_finite() {
    let doc: Value = serde_json::from_str(FIXTURE).unwrap();
    let case = doc["cases"].as_array().unwrap().iter().find(|c| c["name"] == "log_softmax_huge_logits").unwrap();
    let x = tensor(&case["inputs"][0]);
    assert!(x.log_softmax(1).unwrap().to_vec_f64().iter().all(|v| v.is_finite()));
    assert!(x.to_dtype(DType::F32).softmax(1).unwrap().to_vec_f32().iter().all(|v| v.is_finite()));
}
