//! The fused linear op `x·wᵀ + b`, the row-sum reduction and the fused ReLU
//! backward: same values as the unfused ops, gradients checked by finite
//! differences in f64.

use rede::{gradcheck, DType, GradcheckOptions, Rng, Tensor};

fn random(shape: &[usize], rng: &mut Rng) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, DType::F64, rng)
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec_f64().iter().zip(b.to_vec_f64()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn linear_matches_matmul_plus_bias_for_every_input_rank() {
    let mut rng = Rng::seed(1);
    let (w, b) = (random(&[5, 3], &mut rng), random(&[5], &mut rng));
    for shape in [vec![3], vec![4, 3], vec![2, 4, 3]] {
        let x = random(&shape, &mut rng);
        let fused = x.linear(&w, Some(&b)).unwrap();
        let reference = x.matmul(&w.t().unwrap()).unwrap().add(&b).unwrap();
        assert!(max_diff(&fused, &reference) < 1e-12, "input {shape:?}");
        let no_bias = x.linear(&w, None).unwrap();
        assert!(max_diff(&no_bias, &x.matmul(&w.t().unwrap()).unwrap()) < 1e-12, "input {shape:?}");
    }
}

#[test]
fn linear_reads_strided_operands() {
    let mut rng = Rng::seed(2);
    // A transposed input and a transposed weight: views, not copies.
    let x = random(&[3, 4], &mut rng).t().unwrap();
    let w = random(&[3, 5], &mut rng).t().unwrap();
    let b = random(&[5], &mut rng);
    let fused = x.linear(&w, Some(&b)).unwrap();
    let reference = x.contiguous().matmul(&w.contiguous().t().unwrap()).unwrap().add(&b).unwrap();
    assert!(max_diff(&fused, &reference) < 1e-12);
}

#[test]
fn linear_gradients_pass_gradcheck() {
    let mut rng = Rng::seed(3);
    let inputs = [random(&[4, 3], &mut rng), random(&[2, 3], &mut rng), random(&[2], &mut rng)];
    let with_bias = |t: &[Tensor]| t[0].linear(&t[1], Some(&t[2]));
    let report = gradcheck(with_bias, &inputs, GradcheckOptions::default()).unwrap();
    assert!(report.passed, "{report}");
    let batched = [random(&[2, 3, 3], &mut rng), random(&[4, 3], &mut rng)];
    let report = gradcheck(|t: &[Tensor]| t[0].linear(&t[1], None), &batched, GradcheckOptions::default()).unwrap();
    assert!(report.passed, "{report}");
}

#[test]
fn linear_skips_the_input_gradient_it_does_not_need() {
    let mut rng = Rng::seed(4);
    let x = random(&[6, 3], &mut rng);
    let (w, b) = (random(&[2, 3], &mut rng).requires_grad_(), random(&[2], &mut rng).requires_grad_());
    x.linear(&w, Some(&b)).unwrap().sum_all().unwrap().backward().unwrap();
    // d/db Σ (x·wᵀ + b) = number of rows; d/dw = column sums of x, for every output.
    assert_eq!(b.grad().unwrap().to_vec_f64(), vec![6.0, 6.0]);
    let col_sums = x.sum(&[0], false).unwrap().to_vec_f64();
    let gw = w.grad().unwrap().to_vec_f64();
    assert!(gw.iter().zip(col_sums.iter().chain(&col_sums)).all(|(g, s)| (g - s).abs() < 1e-12));
    assert!(x.grad().is_none());
}

#[test]
fn bad_linear_operands_are_errors() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    assert!(x.linear(&Tensor::zeros(&[4, 2], DType::F32), None).is_err());
    assert!(x.linear(&Tensor::zeros(&[3], DType::F32), None).is_err());
    assert!(x.linear(&Tensor::zeros(&[4, 3], DType::F64), None).is_err());
    assert!(x.linear(&Tensor::zeros(&[4, 3], DType::F32), Some(&Tensor::zeros(&[3], DType::F32))).is_err());
    assert!(Tensor::scalar(1.0, DType::F32).linear(&Tensor::zeros(&[1, 1], DType::F32), None).is_err());
}

#[test]
fn summing_leading_axes_adds_whole_rows() {
    let mut rng = Rng::seed(5);
    let x = random(&[3, 4, 5], &mut rng);
    let v = x.to_vec_f64();
    let over_first: Vec<f64> = (0..20).map(|jk| (0..3).map(|i| v[i * 20 + jk]).sum()).collect();
    let over_two: Vec<f64> = (0..5).map(|k| (0..12).map(|ij| v[ij * 5 + k]).sum()).collect();
    let close = |t: Tensor, want: &[f64]| t.to_vec_f64().iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12);
    let s = x.sum(&[0], false).unwrap();
    assert_eq!(s.shape(), [4, 5]);
    assert!(close(s, &over_first));
    let s = x.sum(&[0, 1], true).unwrap();
    assert_eq!(s.shape(), [1, 1, 5]);
    assert!(close(s, &over_two));
    // A view with an offset (rows 1..3) sums only its own rows.
    let tail = x.narrow(0, 1, 2).unwrap().sum(&[0], false).unwrap();
    let want: Vec<f64> = (0..20).map(|jk| v[20 + jk] + v[40 + jk]).collect();
    assert!(close(tail, &want));
}

#[test]
fn relu_backward_passes_the_gradient_where_the_output_is_positive() {
    let x = Tensor::from_vec(vec![-1.0f64, 0.0, 2.0, 3.0], &[4]).unwrap().requires_grad_();
    let g = Tensor::from_vec(vec![5.0f64, 6.0, 7.0, 8.0], &[4]).unwrap();
    x.relu().backward_with(&g).unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f64(), vec![0.0, 0.0, 7.0, 8.0]);
}
