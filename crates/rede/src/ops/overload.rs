//! Arithmetic operators for tensors: `&a + &b`, `&a - &b`, `&a * &b`, `&a / &b`
//! (owned operands work too), `-&a`, and a tensor with an `f64` scalar
//! (`&a * 2.0`, `&a + 1.0`, `2.0 * &a`, …).
//!
//! They record the graph like the named methods ([`Tensor::add`] and friends)
//! and broadcast the same way.
//!
//! # Panics
//!
//! Operators cannot return a `Result`, so where [`Tensor::add`], [`Tensor::sub`],
//! [`Tensor::mul`] or [`Tensor::div`] would return an error (shapes that do not
//! broadcast, element types that differ) the operator panics with exactly that
//! error's message, e.g. `add: cannot combine shapes [2, 3] and [3, 2]`. Use the
//! methods where the shapes come from user input.
//!
//! ```
//! use rede::{DType, Tensor};
//! let a = Tensor::ones(&[2, 3], DType::F32);
//! let b = Tensor::full(&[3], 2.0, DType::F32);
//! let y = &(&a * 3.0) - &b; // broadcasts b over the rows
//! assert_eq!(y.to_vec_f32(), vec![1.0; 6]);
//! ```

use crate::{Result, Tensor};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// Unwraps an op's result, panicking with its error message (the operator contract above).
#[track_caller]
fn or_panic(result: Result<Tensor>) -> Tensor {
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// Implements a tensor-tensor operator for every mix of owned and borrowed operands.
macro_rules! tensor_op {
    ($trait:ident, $method:ident) => {
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                or_panic(Tensor::$method(self, rhs))
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                or_panic(Tensor::$method(self, &rhs))
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                or_panic(Tensor::$method(&self, rhs))
            }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                or_panic(Tensor::$method(&self, &rhs))
            }
        }
    };
}

tensor_op!(Add, add);
tensor_op!(Sub, sub);
tensor_op!(Mul, mul);
tensor_op!(Div, div);

/// Implements `tensor op f64` for owned and borrowed tensors with an infallible scalar method.
macro_rules! scalar_op {
    ($trait:ident, $method:ident, $scalar_method:ident) => {
        impl $trait<f64> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                self.$scalar_method(rhs)
            }
        }
        impl $trait<f64> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                self.$scalar_method(rhs)
            }
        }
    };
}

scalar_op!(Add, add, add_scalar);
scalar_op!(Sub, sub, sub_scalar);
scalar_op!(Mul, mul, mul_scalar);
scalar_op!(Div, div, div_scalar);

/// `c + x`.
impl Add<&Tensor> for f64 {
    type Output = Tensor;
    fn add(self, rhs: &Tensor) -> Tensor {
        rhs.add_scalar(self)
    }
}

/// `c − x`.
impl Sub<&Tensor> for f64 {
    type Output = Tensor;
    fn sub(self, rhs: &Tensor) -> Tensor {
        rhs.affine(-1.0, self)
    }
}

/// `c · x`.
impl Mul<&Tensor> for f64 {
    type Output = Tensor;
    fn mul(self, rhs: &Tensor) -> Tensor {
        rhs.mul_scalar(self)
    }
}

/// `c / x`.
impl Div<&Tensor> for f64 {
    type Output = Tensor;
    fn div(self, rhs: &Tensor) -> Tensor {
        rhs.recip().mul_scalar(self)
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}
