use rede::{gradcheck, DType, GradcheckOptions, Rng, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_normal(shape, 0.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

#[test]
fn mlp_like_expression_passes_gradcheck() {
    let x = randn(&[4, 3], 1);
    let w = randn(&[5, 3], 2);
    let b = randn(&[5], 3);
    let r = gradcheck(
        |t| {
            let h = t[0].matmul(&t[1].t()?)?.add(&t[2])?.tanh();
            h.log_softmax(-1)?.sum(&[1], false)
        },
        &[x, w, b],
        GradcheckOptions::default(),
    )
    .unwrap();
    assert!(r.passed, "{r}");
}

#[test]
fn reused_node_sums_gradients() {
    let x = Tensor::from_vec(vec![3.0f64], &[1]).unwrap().requires_grad_();
    let y = x.mul(&x).unwrap().add(&x).unwrap(); // x² + x
    y.sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f64(), vec![7.0]);
}
