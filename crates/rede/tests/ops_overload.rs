//! The arithmetic operators: same values and gradients as the named ops, and
//! panics that carry the named op's error message.

use rede::{DType, Tensor};

fn f64s(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

#[test]
fn operators_compute_like_the_named_ops() {
    let a = f64s(&[1.0, -2.0, 3.0, 4.0, 5.0, -6.0], &[2, 3]);
    let b = f64s(&[2.0, 4.0, -8.0], &[3]);
    assert_eq!((&a + &b).to_vec_f64(), a.add(&b).unwrap().to_vec_f64());
    assert_eq!((&a - &b).to_vec_f64(), a.sub(&b).unwrap().to_vec_f64());
    assert_eq!((&a * &b).to_vec_f64(), a.mul(&b).unwrap().to_vec_f64());
    assert_eq!((&a / &b).to_vec_f64(), a.div(&b).unwrap().to_vec_f64());
    assert_eq!((a.clone() + b.clone()).to_vec_f64(), a.add(&b).unwrap().to_vec_f64());
    assert_eq!((a.clone() * &b).to_vec_f64(), a.mul(&b).unwrap().to_vec_f64());
    assert_eq!((&a - b.clone()).to_vec_f64(), a.sub(&b).unwrap().to_vec_f64());
    assert_eq!((-&a).to_vec_f64(), vec![-1.0, 2.0, -3.0, -4.0, -5.0, 6.0]);
    assert_eq!((-a.clone()).to_vec_f64(), (-&a).to_vec_f64());
    assert_eq!((&b * 2.0).to_vec_f64(), vec![4.0, 8.0, -16.0]);
    assert_eq!((&b + 1.0).to_vec_f64(), vec![3.0, 5.0, -7.0]);
    assert_eq!((&b - 1.0).to_vec_f64(), vec![1.0, 3.0, -9.0]);
    assert_eq!((&b / 2.0).to_vec_f64(), vec![1.0, 2.0, -4.0]);
    assert_eq!((b.clone() * 0.5).to_vec_f64(), vec![1.0, 2.0, -4.0]);
    assert_eq!((2.0 * &b).to_vec_f64(), vec![4.0, 8.0, -16.0]);
    assert_eq!((1.0 + &b).to_vec_f64(), vec![3.0, 5.0, -7.0]);
    assert_eq!((1.0 - &b).to_vec_f64(), vec![-1.0, -3.0, 9.0]);
    assert_eq!((8.0 / &b).to_vec_f64(), vec![4.0, 2.0, -1.0]);
}

#[test]
fn operators_record_the_graph() {
    let x = f64s(&[1.0, 2.0, 3.0], &[3]).requires_grad_();
    let w = f64s(&[0.5, -1.0, 2.0], &[3]).requires_grad_();
    // y = Σ (x·w + 2x − 1) / 2, so dy/dx = (w + 2)/2 and dy/dw = x/2.
    let y = (&(&(&x * &w) + &(&x * 2.0)) - 1.0) / 2.0;
    y.sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec_f64(), vec![1.25, 0.5, 2.0]);
    assert_eq!(w.grad().unwrap().to_vec_f64(), vec![0.5, 1.0, 1.5]);
}

#[test]
#[should_panic(expected = "add: cannot combine shapes [2, 3] and [3, 2]")]
fn add_panics_with_the_shape_message() {
    let _ = &Tensor::zeros(&[2, 3], DType::F32) + &Tensor::zeros(&[3, 2], DType::F32);
}

#[test]
#[should_panic(expected = "sub: cannot combine shapes [4] and [3]")]
fn sub_panics_with_the_shape_message() {
    let _ = Tensor::zeros(&[4], DType::F32) - Tensor::zeros(&[3], DType::F32);
}

#[test]
#[should_panic(expected = "mul: element types differ (F32 and F64)")]
fn mul_panics_with_the_dtype_message() {
    let _ = &Tensor::zeros(&[2], DType::F32) * Tensor::zeros(&[2], DType::F64);
}

#[test]
#[should_panic(expected = "div: cannot combine shapes [2, 2] and [3]")]
fn div_panics_with_the_shape_message() {
    let _ = Tensor::ones(&[2, 2], DType::F64) / &Tensor::ones(&[3], DType::F64);
}

#[test]
fn the_panic_message_is_exactly_the_error_message() {
    let (a, b) = (Tensor::zeros(&[2, 3], DType::F32), Tensor::zeros(&[3, 2], DType::F32));
    let expected = a.add(&b).unwrap_err().to_string();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| &a + &b)).unwrap_err();
    assert_eq!(panic.downcast_ref::<String>(), Some(&expected));
}
