//! Forward values against naive reference loops: matrix products on awkward
//! shapes and strided operands, reductions and broadcasting; which ops are
//! views of the same buffer; and the errors bad arguments produce.

use rede::{DType, Rng, Tensor};

/// Row-major strides of a shape.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The coordinates of flat index `flat` in `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut coords = vec![0; shape.len()];
    for (c, &d) in coords.iter_mut().zip(shape).rev() {
        *c = flat % d;
        flat /= d;
    }
    coords
}

/// Naive triple loop over row-major `[m, k]` and `[k, n]`.
fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{what}: element {i} is {a}, expected {e}");
    }
}

fn uniform(shape: &[usize], dtype: DType, rng: &mut Rng) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, dtype, rng)
}

/// `[rows, cols]` as a non-contiguous operand: the transpose of a `[cols, rows]` tensor,
/// or a window of a larger one, or a plain contiguous tensor.
fn operand(rows: usize, cols: usize, kind: usize, dtype: DType, rng: &mut Rng) -> Tensor {
    match kind {
        0 => uniform(&[rows, cols], dtype, rng),
        1 => uniform(&[cols, rows], dtype, rng).t().unwrap(),
        _ => uniform(&[rows + 3, cols + 2], dtype, rng).narrow(0, 2, rows).unwrap().narrow(1, 1, cols).unwrap(),
    }
}

#[test]
fn matmul_matches_naive_loops_on_awkward_shapes() {
    let dims = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (1, 63, 65), (63, 65, 1), (65, 63, 64), (64, 65, 63)];
    let mut rng = Rng::seed(1);
    for dtype in [DType::F32, DType::F64] {
        let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
        for (m, k, n) in dims {
            for (ka, kb) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (2, 1)] {
                let a = operand(m, k, ka, dtype, &mut rng);
                let b = operand(k, n, kb, dtype, &mut rng);
                let c = a.matmul(&b).unwrap();
                assert_eq!(c.shape(), &[m, n]);
                let expected = naive_matmul(&a.to_vec_f64(), &b.to_vec_f64(), m, k, n);
                let what = format!("{dtype:?} [{m},{k}]x[{k},{n}] operand kinds {ka},{kb}");
                assert_close(&c.to_vec_f64(), &expected, tol * (k as f64).max(1.0), &what);
            }
        }
    }
}

#[test]
fn batched_matmul_broadcasts_batch_dims() {
    let mut rng = Rng::seed(2);
    let a = uniform(&[2, 1, 3, 4], DType::F64, &mut rng);
    let b = uniform(&[5, 4, 2], DType::F64, &mut rng);
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.shape(), &[2, 5, 3, 2]);
    let (av, bv, cv) = (a.to_vec_f64(), b.to_vec_f64(), c.to_vec_f64());
    for i in 0..2 {
        for j in 0..5 {
            let expected = naive_matmul(&av[i * 12..(i + 1) * 12], &bv[j * 8..(j + 1) * 8], 3, 4, 2);
            let start = (i * 5 + j) * 6;
            assert_close(&cv[start..start + 6], &expected, 1e-12, &format!("batch ({i}, {j})"));
        }
    }
}

#[test]
fn matmul_vector_cases_drop_the_vector_dim() {
    let mut rng = Rng::seed(3);
    let (v, m) = (uniform(&[4], DType::F64, &mut rng), uniform(&[4, 3], DType::F64, &mut rng));
    let vm = v.matmul(&m).unwrap();
    assert_eq!(vm.shape(), &[3]);
    assert_close(&vm.to_vec_f64(), &naive_matmul(&v.to_vec_f64(), &m.to_vec_f64(), 1, 4, 3), 1e-12, "vector x matrix");
    let mv = m.t().unwrap().matmul(&v).unwrap();
    assert_eq!(mv.shape(), &[3]);
    assert_close(&mv.to_vec_f64(), &vm.to_vec_f64(), 1e-12, "matrixᵀ x vector");
    let dot = v.matmul(&v).unwrap();
    assert_eq!(dot.shape(), &[] as &[usize]);
    let expected: f64 = v.to_vec_f64().iter().map(|x| x * x).sum();
    assert!((dot.item().unwrap() - expected).abs() < 1e-12);
}

/// Naive reduction of `x` (row-major `shape`) over `axes`, keeping them as size 1.
fn naive_reduce(x: &[f64], shape: &[usize], axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let out_shape: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect();
    let out_strides = strides(&out_shape);
    let mut out = vec![init; out_shape.iter().product()];
    for (flat, &v) in x.iter().enumerate() {
        let coords = unravel(flat, shape);
        let at: usize = coords.iter().zip(&out_shape).zip(&out_strides).map(|((&c, &d), &s)| (c % d) * s).sum();
        out[at] = f(out[at], v);
    }
    out
}

#[test]
fn reductions_match_naive_loops() {
    let shape = [3, 4, 5];
    let x = Tensor::rand_normal(&shape, 0.0, 1.0, DType::F64, &mut Rng::seed(4));
    let xv = x.to_vec_f64();
    for axes in [vec![0], vec![1], vec![2], vec![0, 2], vec![0, 1, 2]] {
        let iaxes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        let count: usize = axes.iter().map(|&a| shape[a]).product();
        let sum = naive_reduce(&xv, &shape, &axes, 0.0, |a, b| a + b);
        let what = |op: &str| format!("{op} over {axes:?}");
        assert_close(&x.sum(&iaxes, true).unwrap().to_vec_f64(), &sum, 1e-12, &what("sum"));
        let mean: Vec<f64> = sum.iter().map(|s| s / count as f64).collect();
        assert_close(&x.mean(&iaxes, false).unwrap().to_vec_f64(), &mean, 1e-12, &what("mean"));
        let max = naive_reduce(&xv, &shape, &axes, f64::NEG_INFINITY, f64::max);
        assert_close(&x.max(&iaxes, false).unwrap().to_vec_f64(), &max, 0.0, &what("max"));
        let min = naive_reduce(&xv, &shape, &axes, f64::INFINITY, f64::min);
        assert_close(&x.min(&iaxes, true).unwrap().to_vec_f64(), &min, 0.0, &what("min"));
        let sq = naive_reduce(&xv.iter().map(|v| v * v).collect::<Vec<_>>(), &shape, &axes, 0.0, |a, b| a + b);
        let var: Vec<f64> =
            sq.iter().zip(&mean).map(|(s, m)| (s - count as f64 * m * m) / (count as f64 - 1.0)).collect();
        assert_close(&x.var(&iaxes, false).unwrap().to_vec_f64(), &var, 1e-10, &what("var"));
        let lse = naive_reduce(&xv.iter().map(|v| v.exp()).collect::<Vec<_>>(), &shape, &axes, 0.0, |a, b| a + b);
        let lse: Vec<f64> = lse.iter().map(|s| s.ln()).collect();
        assert_close(&x.logsumexp(&iaxes, false).unwrap().to_vec_f64(), &lse, 1e-12, &what("logsumexp"));
    }
    let argmax = x.argmax(1).unwrap();
    assert_eq!(argmax.shape(), &[3, 5]);
    for (flat, &i) in argmax.to_vec_f64().iter().enumerate() {
        let (r, c) = (flat / 5, flat % 5);
        let column: Vec<f64> = (0..4).map(|j| xv[r * 20 + j * 5 + c]).collect();
        assert!(column.iter().all(|&v| v <= column[i as usize]), "argmax of row {r} column {c}");
    }
    let kept = x.argmax_keepdim(1).unwrap();
    assert_eq!(kept.shape(), &[3, 1, 5]);
    assert_eq!(kept.to_vec_f64(), argmax.to_vec_f64());
    let argmin = x.argmin_keepdim(-1).unwrap();
    assert_eq!(argmin.shape(), &[3, 4, 1]);
    assert_eq!(argmin.to_vec_f64(), x.neg().argmax(-1).unwrap().to_vec_f64());
}

#[test]
fn reductions_of_strided_views_and_empty_groups() {
    let x = Tensor::rand_normal(&[4, 6], 0.0, 1.0, DType::F32, &mut Rng::seed(5));
    let view = x.t().unwrap().narrow(0, 1, 4).unwrap();
    let packed = Tensor::from_vec(view.to_vec_f32(), &[4, 4]).unwrap();
    assert_eq!(view.sum(&[1], false).unwrap().to_vec_f32(), packed.sum(&[1], false).unwrap().to_vec_f32());
    assert_eq!(view.max(&[0], false).unwrap().to_vec_f32(), packed.max(&[0], false).unwrap().to_vec_f32());
    let empty = Tensor::zeros(&[0, 3], DType::F32);
    assert_eq!(empty.sum(&[0], false).unwrap().to_vec_f32(), vec![0.0; 3]);
    assert!(empty.max(&[0], false).is_err(), "max of an empty axis has no value");
}

#[test]
fn max_shares_the_gradient_between_ties() {
    let x = Tensor::from_vec(vec![1.0f64, 3.0, 3.0, 2.0], &[1, 4]).unwrap().requires_grad_();
    x.max(&[1], false).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f64(), vec![0.0, 0.5, 0.5, 0.0]);
}

/// A random shape of rank 0..=4 with sizes in 1..=3.
fn random_shape(rng: &mut Rng) -> Vec<usize> {
    (0..rng.below(5)).map(|_| 1 + rng.below(3)).collect()
}

/// `shape` with each dimension possibly replaced by 1 and leading dimensions possibly dropped,
/// so it broadcasts to `shape`.
fn broadcastable_to(shape: &[usize], rng: &mut Rng) -> Vec<usize> {
    let drop = rng.below(shape.len() + 1);
    shape[drop..].iter().map(|&d| if rng.below(2) == 0 { 1 } else { d }).collect()
}

/// Index into a tensor of `shape` broadcast to `out_shape`, for output coordinates `coords`.
fn broadcast_index(coords: &[usize], shape: &[usize]) -> usize {
    let lead = coords.len() - shape.len();
    coords[lead..].iter().zip(shape).zip(strides(shape)).map(|((&c, &d), s)| if d == 1 { 0 } else { c * s }).sum()
}

#[test]
fn broadcasting_matches_index_arithmetic_on_random_shapes() {
    let mut rng = Rng::seed(6);
    for case in 0..200 {
        let out_shape = random_shape(&mut rng);
        let (sa, sb) = (broadcastable_to(&out_shape, &mut rng), broadcastable_to(&out_shape, &mut rng));
        let a = Tensor::rand_normal(&sa, 0.0, 1.0, DType::F64, &mut rng);
        let b = Tensor::rand_normal(&sb, 0.0, 1.0, DType::F64, &mut rng);
        let (av, bv) = (a.to_vec_f64(), b.to_vec_f64());
        let sum = a.add(&b).unwrap();
        let product = b.mul(&a).unwrap();
        // Each operand dim is 1 or the target's, so the larger of the two is the result's.
        let rank = sa.len().max(sb.len());
        let pick = |s: &[usize], i: usize| if i + s.len() >= rank { s[i + s.len() - rank] } else { 1 };
        let expected_shape: Vec<usize> = (0..rank).map(|i| pick(&sa, i).max(pick(&sb, i))).collect();
        assert_eq!(sum.shape(), &expected_shape[..], "case {case}: {sa:?} + {sb:?}");
        for (flat, (&s, &p)) in sum.to_vec_f64().iter().zip(&product.to_vec_f64()).enumerate() {
            let coords = unravel(flat, &expected_shape);
            let (x, y) = (av[broadcast_index(&coords, &sa)], bv[broadcast_index(&coords, &sb)]);
            assert_eq!(s, x + y, "case {case}: {sa:?} + {sb:?} at {coords:?}");
            assert_eq!(p, y * x, "case {case}: {sb:?} * {sa:?} at {coords:?}");
        }
    }
}

#[test]
fn views_share_the_buffer() {
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F32).unwrap().reshape(&[2, 3, 4]).unwrap();
    let views = [
        ("transpose", x.transpose(0, 2).unwrap()),
        ("permute", x.permute(&[1, 2, 0]).unwrap()),
        ("narrow", x.narrow(1, 1, 2).unwrap()),
        ("slice", x.slice(2, 1, 3).unwrap()),
        ("unsqueeze", x.unsqueeze(0).unwrap()),
        ("squeeze", x.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()),
        ("broadcast_to", x.broadcast_to(&[5, 2, 3, 4]).unwrap()),
        ("reshape of contiguous data", x.reshape(&[6, 4]).unwrap()),
        ("flatten", x.flatten(0, 1).unwrap()),
        ("contiguous of contiguous data", x.contiguous()),
        ("detach", x.detach()),
        ("requires_grad_", x.requires_grad_()),
    ];
    for (name, view) in &views {
        assert!(view.shares_storage(&x), "{name} should be a view");
    }
    let transposed = x.transpose(1, 2).unwrap();
    assert!(!transposed.reshape(&[24]).unwrap().shares_storage(&x), "reshape of a transposed view copies");
    assert!(!transposed.contiguous().shares_storage(&x), "contiguous of a transposed view copies");
    assert_eq!(transposed.get(&[1, 3, 2]).unwrap(), x.get(&[1, 2, 3]).unwrap());
    // A write through the base shows through a view.
    x.with_data_mut(|d: &mut [f32]| d[23] = -1.0).unwrap();
    assert_eq!(transposed.get(&[1, 3, 2]).unwrap(), -1.0);
}

#[test]
fn matmul_error_names_both_shapes() {
    let a = Tensor::zeros(&[3, 4], DType::F32);
    let b = Tensor::zeros(&[5, 2], DType::F32);
    assert_eq!(a.matmul(&b).unwrap_err().to_string(), "matmul: cannot multiply [3, 4] by [5, 2]");
    let batched = Tensor::zeros(&[2, 4, 2], DType::F32);
    let other = Tensor::zeros(&[3, 3, 4], DType::F32);
    assert_eq!(other.matmul(&batched).unwrap_err().to_string(), "matmul: cannot multiply [3, 3, 4] by [2, 4, 2]");
    let scalar = Tensor::scalar(1.0, DType::F32);
    assert!(scalar.matmul(&a).is_err());
}

#[test]
fn bad_arguments_give_errors_not_panics() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    let y = Tensor::zeros(&[2, 3], DType::F64);
    let idx = |v: &[f32], s: &[usize]| Tensor::from_slice(v, s).unwrap();
    let message = |r: rede::Result<Tensor>| r.map(|_| ()).unwrap_err().to_string();
    let cases = [
        (message(x.sum(&[2], false)), "sum: axis 2 is out of range for a tensor of rank 2"),
        (message(x.transpose(0, -3)), "transpose: axis -3 is out of range for a tensor of rank 2"),
        (message(x.reshape(&[4])), "reshape: 6 elements cannot have shape [4]"),
        (message(x.add(&y)), "add: element types differ (F32 and F64)"),
        (message(x.matmul(&y.t().unwrap())), "matmul: element types differ (F32 and F64)"),
        (message(x.add(&Tensor::zeros(&[3, 2], DType::F32))), "add: cannot combine shapes [2, 3] and [3, 2]"),
        (message(x.narrow(1, 2, 2)), "narrow: index 4 is out of range for dimension 1 of size 3"),
        (message(x.narrow(1, usize::MAX, 2)), "narrow: start 18446744073709551615 and length 2 overflow"),
        (
            message(x.index_select(0, &idx(&[0.0, 2.0], &[2]))),
            "index_select: index 2 is out of range for dimension 0 of size 2",
        ),
        (message(x.index_select(1, &idx(&[0.5], &[1]))), "index_select: index 0.5 is not a whole non-negative number"),
        (message(x.gather(1, &idx(&[3.0, 0.0], &[2, 1]))), "gather: index 3 is out of range for dimension 1 of size 3"),
        (message(x.gather(1, &idx(&[0.0], &[1]))), "gather: cannot combine shapes [2, 3] and [1]"),
        (message(x.squeeze(0)), "squeeze: dimension 0 of [2, 3] is not 1"),
        (message(x.permute(&[0, 0])), "permute: [0, 0] is not a permutation of 2 axes"),
        (message(x.broadcast_to(&[3])), "broadcast_to: cannot combine shapes [2, 3] and [3]"),
        (
            message(Tensor::cat(&[&x, &Tensor::zeros(&[2, 2], DType::F32)], 0)),
            "cat: cannot combine shapes [2, 3] and [2, 2]",
        ),
        (message(Tensor::cat(&[&x, &y], 0)), "cat: element types differ (F32 and F64)"),
        (message(Tensor::cat(&[], 0)), "cat: needs at least one tensor"),
        (message(Tensor::stack(&[&x, &x.t().unwrap()], 0)), "stack: cannot combine shapes [2, 3] and [3, 2]"),
        (
            message(x.var(&[0, 1], false).and_then(|v| v.var(&[], false))),
            "var: needs at least 2 elements per group, shape []",
        ),
        (message(x.sum_to_shape(&[3, 2])), "sum_to_shape: cannot combine shapes [2, 3] and [3, 2]"),
        (message(Tensor::where_cond(&x, &x, &y)), "where: element types differ (F32 and F64)"),
        (message(Tensor::from_vec(vec![1.0f32; 5], &[2, 3])), "from_vec: 5 elements cannot have shape [2, 3]"),
    ];
    for (actual, expected) in cases {
        assert_eq!(actual, expected);
    }
    assert!(x.item().is_err());
    assert!(x.get(&[2, 0]).is_err());
    assert!(x.with_data(|_: &[f64]| ()).is_err());
    assert!(x.t().unwrap().with_data(|_: &[f32]| ()).is_err());
    assert!(x.requires_grad_().sum(&[1], false).unwrap().backward().is_err(), "backward needs one value");
    assert!(x.sum_all().unwrap().backward().is_err(), "nothing asked for gradients");
}

#[test]
fn pow_gradients_stay_finite_at_a_zero_base_and_exponent() {
    let a = Tensor::from_vec(vec![0.0f64, 0.0, 2.0], &[3]).unwrap().requires_grad_();
    let b = Tensor::from_vec(vec![2.0f64, 0.0, 3.0], &[3]).unwrap().requires_grad_();
    a.pow(&b).unwrap().sum_all().unwrap().backward().unwrap();
    // d(a^b)/da = b·a^(b−1): 0, 0 (b = 0), 12; d(a^b)/db = a^b·ln a: 0, 0 (a = 0), 8 ln 2.
    assert_eq!(a.grad().unwrap().to_vec_f64(), vec![0.0, 0.0, 12.0]);
    assert_eq!(b.grad().unwrap().to_vec_f64(), vec![0.0, 0.0, 8.0 * 2f64.ln()]);
}
