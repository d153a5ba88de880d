//! Every differentiable op against central finite differences, in f64: unary
//! ops, broadcasting binary ops, reductions, matrix products, shape changes,
//! indexing, selection and softmax, on contiguous and non-contiguous inputs.

use rede::{gradcheck, DType, GradcheckOptions, Result, Rng, Tensor};

/// Fails the test with gradcheck's report unless backprop matches finite differences.
fn check(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    check_with(name, inputs, GradcheckOptions::default(), f);
}

fn check_with(name: &str, inputs: &[Tensor], options: GradcheckOptions, f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let report = gradcheck(f, inputs, options).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(report.passed, "{name}: {report}");
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn uniform(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, lo, hi, DType::F64, &mut Rng::seed(seed))
}

/// Values with |x| in [0.2, 1.5] and random signs: clear of the kink at 0.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let magnitude = uniform(shape, 0.2, 1.5, seed);
    let sign = uniform(shape, -1.0, 1.0, seed + 1000).sign();
    magnitude.mul(&sign).unwrap()
}

fn f64s(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

/// A unary op checked on a contiguous [2, 3] input and on a transposed (non-contiguous) view.
fn check_unary(name: &str, x: Tensor, op: impl Fn(&Tensor) -> Tensor) {
    check(name, std::slice::from_ref(&x), |t| Ok(op(&t[0])));
    let name_t = format!("{name} of a transposed view");
    check(&name_t, &[x.reshape(&[3, 2]).unwrap()], |t| Ok(op(&t[0].t()?)));
}

#[test]
fn unary_ops_with_smooth_derivatives() {
    check_unary("neg", randn(&[2, 3], 1), Tensor::neg);
    check_unary("exp", randn(&[2, 3], 2), Tensor::exp);
    check_unary("log", uniform(&[2, 3], 0.3, 3.0, 3), Tensor::log);
    check_unary("sqrt", uniform(&[2, 3], 0.3, 3.0, 4), Tensor::sqrt);
    check_unary("recip", away_from_zero(&[2, 3], 5), Tensor::recip);
    check_unary("square", randn(&[2, 3], 6), Tensor::square);
    check_unary("powf 2.5", uniform(&[2, 3], 0.3, 2.0, 7), |x| x.powf(2.5));
    check_unary("powf -1.5", uniform(&[2, 3], 0.3, 2.0, 8), |x| x.powf(-1.5));
    check_unary("sigmoid", randn(&[2, 3], 9), Tensor::sigmoid);
    check_unary("tanh", randn(&[2, 3], 10), Tensor::tanh);
    check_unary("gelu", randn(&[2, 3], 11).mul_scalar(2.0), Tensor::gelu);
    check_unary("softplus", randn(&[2, 3], 12).mul_scalar(3.0), Tensor::softplus);
    check_unary("affine", randn(&[2, 3], 13), |x| x.affine(-1.5, 0.25));
    check_unary("add_scalar", randn(&[2, 3], 14), |x| x.add_scalar(2.0));
    check_unary("sub_scalar", randn(&[2, 3], 15), |x| x.sub_scalar(2.0));
    check_unary("mul_scalar", randn(&[2, 3], 16), |x| x.mul_scalar(-3.0));
    check_unary("div_scalar", randn(&[2, 3], 17), |x| x.div_scalar(4.0));
}

#[test]
fn unary_ops_with_kinks_away_from_them() {
    check_unary("relu", away_from_zero(&[2, 3], 20), Tensor::relu);
    check_unary("leaky_relu", away_from_zero(&[2, 3], 21), |x| x.leaky_relu(0.1));
    check_unary("abs", away_from_zero(&[2, 3], 22), Tensor::abs);
    // sign is piecewise constant: as a factor it must act like a constant.
    check_unary("x·sign(x)", away_from_zero(&[2, 3], 23), |x| x.mul(&x.sign()).unwrap());
    // Inside, below and above [-0.5, 0.5], never within 0.05 of a bound.
    let x = f64s(&[-1.2, -0.7, -0.3, 0.1, 0.35, 0.9], &[2, 3]);
    check_unary("clamp", x, |x| x.clamp(-0.5, 0.5));
}

#[test]
fn binary_ops_broadcast_their_gradients_back() {
    let shapes: [(&[usize], &[usize]); 5] =
        [(&[2, 3, 4], &[3, 1]), (&[2, 3, 4], &[4]), (&[2, 3, 4], &[]), (&[3, 1], &[1, 4]), (&[4], &[2, 3, 4])];
    for (i, (sa, sb)) in shapes.into_iter().enumerate() {
        let seed = 100 + 10 * i as u64;
        let (a, b) = (randn(sa, seed), randn(sb, seed + 1));
        let ctx = |op: &str| format!("{op} {sa:?} with {sb:?}");
        check(&ctx("add"), &[a.clone(), b.clone()], |t| t[0].add(&t[1]));
        check(&ctx("sub"), &[a.clone(), b.clone()], |t| t[0].sub(&t[1]));
        check(&ctx("mul"), &[a.clone(), b.clone()], |t| t[0].mul(&t[1]));
        check(&ctx("maximum"), &[a.clone(), b.clone()], |t| t[0].maximum(&t[1]));
        check(&ctx("minimum"), &[a.clone(), b.clone()], |t| t[0].minimum(&t[1]));
        let positive_b = uniform(sb, 0.5, 2.0, seed + 2);
        check(&ctx("div"), &[a.clone(), positive_b.clone()], |t| t[0].div(&t[1]));
        let positive_a = uniform(sa, 0.5, 2.0, seed + 3);
        check(&ctx("pow"), &[positive_a, b.clone()], |t| t[0].pow(&t[1]));
    }
}

#[test]
fn binary_ops_on_non_contiguous_operands() {
    let (a, b) = (randn(&[4, 3], 150), randn(&[5, 4], 151));
    check("mul of a transposed and a sliced view", &[a, b], |t| t[0].t()?.mul(&t[1].narrow(0, 1, 3)?));
}

#[test]
fn reductions_over_one_and_several_axes() {
    let x = randn(&[2, 3, 4], 200);
    let axis_sets: [&[isize]; 6] = [&[], &[0], &[1], &[-1], &[0, 2], &[1, 2]];
    for axes in axis_sets {
        for keepdim in [false, true] {
            let ctx = |op: &str| format!("{op} over {axes:?} keepdim={keepdim}");
            let xs = std::slice::from_ref(&x);
            check(&ctx("sum"), xs, |t| t[0].sum(axes, keepdim));
            check(&ctx("mean"), xs, |t| t[0].mean(axes, keepdim));
            check(&ctx("max"), xs, |t| t[0].max(axes, keepdim));
            check(&ctx("min"), xs, |t| t[0].min(axes, keepdim));
            check(&ctx("var"), xs, |t| t[0].var(axes, keepdim));
            check(&ctx("logsumexp"), xs, |t| t[0].logsumexp(axes, keepdim));
        }
    }
    let xs = std::slice::from_ref(&x);
    check("sum_all", xs, |t| t[0].sum_all());
    check("mean_all", xs, |t| t[0].mean_all());
    check("sum_to_shape", xs, |t| t[0].sum_to_shape(&[3, 1]));
    check("max of a permuted view", xs, |t| t[0].permute(&[2, 0, 1])?.max(&[0, 2], false));
}

#[test]
fn matrix_products_of_every_rank() {
    let cases: [(&[usize], &[usize]); 9] = [
        (&[3, 4], &[4, 5]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[2, 1, 3, 4], &[5, 4, 2]),
        (&[3, 4], &[2, 4, 5]),
        (&[4], &[4, 5]),
        (&[3, 4], &[4]),
        (&[4], &[4]),
        (&[4], &[2, 4, 3]),
        (&[2, 3, 4], &[4]),
    ];
    for (i, (sa, sb)) in cases.into_iter().enumerate() {
        let inputs = [randn(sa, 300 + i as u64), randn(sb, 400 + i as u64)];
        check(&format!("matmul {sa:?} x {sb:?}"), &inputs, |t| t[0].matmul(&t[1]));
    }
    let (a, b) = (randn(&[4, 3], 310), randn(&[6, 5], 311));
    check("matmul of a transposed by a sliced operand", &[a, b], |t| t[0].t()?.matmul(&t[1].narrow(0, 2, 4)?));
}

#[test]
fn views_and_shape_changes() {
    let x = randn(&[2, 3, 4], 500);
    let xs = std::slice::from_ref(&x);
    check("transpose", xs, |t| t[0].transpose(0, 2));
    check("permute", xs, |t| t[0].permute(&[2, 0, 1]));
    check("reshape", xs, |t| t[0].reshape(&[6, 4]));
    check("reshape of a non-contiguous view", xs, |t| t[0].transpose(1, 2)?.reshape(&[8, 3]));
    check("flatten", xs, |t| t[0].flatten(1, 2));
    check("flatten of a permuted view", xs, |t| t[0].permute(&[1, 0, 2])?.flatten(0, 1));
    check("unsqueeze then squeeze", xs, |t| t[0].unsqueeze(1)?.exp().squeeze(1));
    check("squeeze", &[randn(&[3, 1, 2], 501)], |t| t[0].squeeze(1));
    check("broadcast_to", &[randn(&[3, 1], 502)], |t| t[0].broadcast_to(&[2, 3, 4]));
    check("expand", &[randn(&[1, 4], 503)], |t| t[0].expand(&[3, 4]));
    check("narrow", xs, |t| t[0].narrow(2, 1, 2));
    check("slice", xs, |t| t[0].slice(1, 1, 3));
    check("slice of a transposed view", xs, |t| t[0].transpose(0, 1)?.slice(0, 0, 2));
    check("contiguous of a transposed view", xs, |t| Ok(t[0].transpose(0, 2)?.contiguous().square()));
}

#[test]
fn joining_tensors() {
    let inputs = [randn(&[2, 3], 600), randn(&[2, 1], 601), randn(&[4, 2], 602)];
    check("cat along dim 1 with a transposed part", &inputs, |t| {
        Tensor::cat(&[&t[0], &t[1], &t[2].t()?.narrow(1, 0, 2)?], 1)
    });
    check("cat along dim 0", &[randn(&[2, 3], 603), randn(&[1, 3], 604)], |t| Tensor::cat(&[&t[0], &t[1]], 0));
    let pair = [randn(&[2, 3], 605), randn(&[2, 3], 606)];
    check("stack at 0", &pair, |t| Tensor::stack(&[&t[0], &t[1]], 0));
    check("stack at -1", &pair, |t| Tensor::stack(&[&t[0], &t[1], &t[0]], -1));
}

#[test]
fn indexing_sums_repeated_picks() {
    let x = randn(&[4, 3], 700);
    let xs = std::slice::from_ref(&x);
    let repeated = f64s(&[2.0, 0.0, 2.0, 2.0], &[4]);
    check("index_select dim 0 with repeats", xs, |t| t[0].index_select(0, &repeated));
    let columns = f64s(&[1.0, 1.0], &[2]);
    check("index_select dim -1 with repeats", xs, |t| t[0].index_select(-1, &columns));
    // A class per row (cross-entropy style), one row picked twice over.
    let classes = f64s(&[2.0, 0.0, 1.0, 2.0], &[4, 1]);
    check("gather a class per row", xs, |t| t[0].gather(1, &classes));
    let repeats = f64s(&[0.0, 0.0, 2.0, 1.0, 1.0, 1.0], &[2, 3]);
    check("gather with repeats", xs, |t| t[0].gather(1, &repeats));
    let rows = f64s(&[3.0, 3.0, 0.0], &[1, 3]);
    check("gather along dim 0", xs, |t| t[0].gather(0, &rows));
    check("gather from a transposed view", xs, |t| t[0].t()?.gather(1, &f64s(&[3.0, 0.0, 3.0], &[3, 1])));
}

#[test]
fn selection_by_mask() {
    let mask = f64s(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3]);
    let inputs = [randn(&[2, 3], 800), randn(&[3], 801)];
    check("where_cond with a broadcast branch", &inputs, |t| Tensor::where_cond(&mask, &t[0], &t[1]));
    let row_mask = f64s(&[0.0, 1.0], &[2, 1]);
    check("where_cond with a broadcast mask", &inputs, |t| Tensor::where_cond(&row_mask, &t[0], &t[1]));
    check("masked_fill", &inputs[..1], |t| t[0].masked_fill(&mask, -2.0)?.exp().sum(&[1], false));
}

#[test]
fn softmax_and_log_softmax() {
    let x = randn(&[3, 4], 900).mul_scalar(3.0);
    let xs = std::slice::from_ref(&x);
    check("softmax last axis", xs, |t| t[0].softmax(-1));
    check("softmax axis 0", xs, |t| t[0].softmax(0));
    check("log_softmax last axis", xs, |t| t[0].log_softmax(-1));
    check("log_softmax of a transposed view", xs, |t| t[0].t()?.log_softmax(1));
}

#[test]
fn dtype_conversion_passes_gradients_through() {
    // f32 rounding makes a tiny step meaningless; the function is linear, so a large one is exact.
    let options = GradcheckOptions { eps: 1e-2, ..GradcheckOptions::default() };
    check_with("to_dtype f32 and back", &[randn(&[2, 3], 1000)], options, |t| {
        Ok(t[0].to_dtype(DType::F32).mul_scalar(3.0).to_dtype(DType::F64))
    });
    let x = randn(&[2, 3], 1001).requires_grad_();
    x.to_dtype(DType::F32).sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().dtype(), DType::F64, "a gradient has its leaf's element type");
}

#[test]
fn node_reused_by_several_consumers() {
    check("tanh reused four times", &[randn(&[3, 2], 1100)], |t| {
        let h = t[0].t()?.tanh();
        h.mul(&h)?.add(&h.sum(&[0], true)?)?.sub(&h.exp())
    });
    let x = Tensor::from_vec(vec![3.0f64], &[1]).unwrap().requires_grad_();
    x.mul(&x).unwrap().add(&x).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f64(), vec![7.0], "d(x² + x)/dx at 3");
}

#[test]
fn small_mlp_expression() {
    let inputs = [randn(&[4, 3], 1200), randn(&[5, 3], 1201), randn(&[5], 1202)];
    check("tanh(x·wᵀ + b) then log_softmax", &inputs, |t| {
        let h = t[0].matmul(&t[1].t()?)?.add(&t[2])?.tanh();
        h.log_softmax(-1)?.sum(&[1], false)
    });
}
