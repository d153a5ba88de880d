//! Conversions between [`Tensor`] and `ndarray`'s dynamic-rank arrays (cargo feature
//! `ndarray`). Both directions copy the elements in row-major (logical) order, so
//! any memory layout converts.
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use rede::Tensor;
//! let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
//! let t = Tensor::from(a.t().to_owned());
//! assert_eq!(t.shape(), &[3, 2]);
//! assert_eq!(t.to_ndarray::<f32>(), a.t());
//! ```

use crate::{Element, Tensor};
use ndarray::{ArrayD, IxDyn};

impl<T: Element> From<ArrayD<T>> for Tensor {
    /// A tensor of `T` with the array's shape and elements.
    fn from(array: ArrayD<T>) -> Tensor {
        let shape = array.shape().to_vec();
        let data: Vec<T> = array.iter().copied().collect();
        Tensor::from_vec(data, &shape).expect("an array's element count matches its shape")
    }
}

impl Tensor {
    /// The elements as an `ndarray` array of `T` (converted from this tensor's type).
    pub fn to_ndarray<T: Element>(&self) -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(self.shape()), self.to_vec::<T>())
            .expect("a tensor's element count matches its shape")
    }
}
