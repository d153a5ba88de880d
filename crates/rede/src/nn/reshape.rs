//! `Unflatten`: splits one dimension into several, so a model that takes table rows
//! `[N, 784]` can see images `[N, 1, 28, 28]` or sequences `[N, 28, 28]`.

use super::{LayerSpec, Module};
use crate::{Error, Result, Tensor};

/// Reshapes dimension `dim` of the input into `sizes` (PyTorch's `nn.Unflatten`);
/// differentiable, and free when the input is contiguous (a view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unflatten {
    dim: usize,
    sizes: Vec<usize>,
}

impl Unflatten {
    /// Splits dimension `dim` into `sizes`; `sizes` must be non-empty and all positive.
    pub fn new(dim: usize, sizes: Vec<usize>) -> Result<Unflatten> {
        if sizes.is_empty() || sizes.contains(&0) {
            return Err(Error::invalid(
                "Unflatten",
                format!("sizes must be a non-empty list of positive sizes, got {sizes:?}"),
            ));
        }
        Ok(Unflatten { dim, sizes })
    }

    /// The shape `x` takes: `x`'s shape with dimension `dim` replaced by `sizes`.
    fn output_shape(&self, x: &Tensor) -> Result<Vec<usize>> {
        let shape = x.shape();
        let expected: usize = self.sizes.iter().product();
        let wanted = self.sizes.iter().map(usize::to_string).collect::<Vec<_>>().join("x");
        if shape.get(self.dim) != Some(&expected) {
            let msg = format!(
                "expected dimension {} of size {expected} (= {wanted}), but the input has shape {shape:?}",
                self.dim
            );
            return Err(Error::invalid("Unflatten", msg));
        }
        let mut out = shape[..self.dim].to_vec();
        out.extend_from_slice(&self.sizes);
        out.extend_from_slice(&shape[self.dim + 1..]);
        Ok(out)
    }
}

impl Module for Unflatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.reshape(&self.output_shape(x)?)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Unflatten { dim: self.dim, sizes: self.sizes.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{gradcheck, DType, GradcheckOptions, Rng};

    #[test]
    fn rows_become_images_in_row_major_order() {
        let x = Tensor::arange(0.0, 24.0, 1.0, DType::F32).unwrap().reshape(&[2, 12]).unwrap();
        let y = Unflatten::new(1, vec![1, 3, 4]).unwrap().forward(&x).unwrap();
        assert_eq!(y.shape(), &[2, 1, 3, 4]);
        // Element [n, 0, r, c] is column r*4 + c of row n.
        assert_eq!(y.get(&[1, 0, 2, 1]).unwrap(), x.get(&[1, 2 * 4 + 1]).unwrap());
        assert_eq!(y.to_vec_f32(), x.to_vec_f32());
    }

    #[test]
    fn an_inner_dimension_can_be_split() {
        let x = Tensor::zeros(&[2, 6, 5], DType::F32);
        let y = Unflatten::new(1, vec![2, 3]).unwrap().forward(&x).unwrap();
        assert_eq!(y.shape(), &[2, 2, 3, 5]);
    }

    #[test]
    fn a_size_mismatch_names_both_shapes() {
        let layer = Unflatten::new(1, vec![1, 28, 28]).unwrap();
        let err = layer.forward(&Tensor::zeros(&[4, 64], DType::F32)).unwrap_err().to_string();
        assert!(err.contains("Unflatten") && err.contains("784") && err.contains("1x28x28"), "{err}");
        assert!(err.contains("[4, 64]"), "{err}");
        let err = layer.forward(&Tensor::zeros(&[4], DType::F32)).unwrap_err().to_string();
        assert!(err.contains("[4]"), "{err}");
        assert!(Unflatten::new(1, vec![]).is_err() && Unflatten::new(1, vec![2, 0]).is_err());
    }

    #[test]
    fn gradients_flow_back_in_the_input_layout() {
        let mut rng = Rng::seed(3);
        let x = Tensor::rand_normal(&[3, 6], 0.0, 1.0, DType::F64, &mut rng);
        let w = Tensor::rand_normal(&[3, 2, 3], 0.0, 1.0, DType::F64, &mut rng);
        let layer = Unflatten::new(1, vec![2, 3]).unwrap();
        let report =
            gradcheck(|xs: &[Tensor]| layer.forward(&xs[0])?.mul(&w)?.sum_all(), &[x], GradcheckOptions::default())
                .unwrap();
        assert!(report.passed, "{report}");
    }

    #[test]
    fn the_spec_round_trips_through_json_and_build() {
        let spec = LayerSpec::Unflatten { dim: 1, sizes: vec![1, 8, 8] };
        let json = spec.to_json();
        assert!(json.contains("\"unflatten\""), "{json}");
        assert_eq!(LayerSpec::from_json(&json).unwrap(), spec);
        let built = spec.build(&mut Rng::seed(0)).unwrap();
        assert_eq!(built.spec().as_ref(), Some(&spec));
        assert_eq!(spec.describe(), "Unflatten(dim=1, sizes=[1, 8, 8])");
    }
}
