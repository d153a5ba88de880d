//! Tensor ↔ ndarray conversions (cargo feature `ndarray`):
//! `cargo test -p rede --features ndarray --test ndarray_interop`.
#![cfg(feature = "ndarray")]

use ndarray::{ArrayD, IxDyn};
use rede::{DType, Tensor};

#[test]
fn arrays_convert_both_ways_in_logical_order() {
    let a = ArrayD::from_shape_vec(IxDyn(&[2, 3, 2]), (0..12).map(|v| v as f64).collect()).unwrap();
    let permuted = a.clone().permuted_axes(IxDyn(&[2, 0, 1]));
    let t = Tensor::from(permuted.clone());
    assert_eq!((t.shape(), t.dtype()), (&[2, 2, 3][..], DType::F64));
    assert_eq!(t.to_vec_f64(), permuted.iter().copied().collect::<Vec<_>>());
    assert_eq!(t.to_ndarray::<f64>(), permuted);
    // A transposed (non-contiguous) tensor and a change of element type.
    let transposed = Tensor::arange(0.0, 6.0, 1.0, DType::F32).unwrap().reshape(&[2, 3]).unwrap().t().unwrap();
    let back = transposed.to_ndarray::<f64>();
    assert_eq!(back.shape(), &[3, 2]);
    assert_eq!(back[[2, 1]], 5.0);
    assert_eq!(Tensor::from(ArrayD::<f32>::zeros(IxDyn(&[]))).shape(), &[] as &[usize]);
}
