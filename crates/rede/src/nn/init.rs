//! Parameter initializers, seeded by a [`Rng`] so a model is reproducible.
//!
//! The variance-scaling schemes keep the variance of activations (and of
//! gradients) roughly constant from layer to layer:
//!
//! | initializer | distribution | variance |
//! |---|---|---|
//! | [`Initializer::GlorotUniform`] | U(−a, a), a = √(6 / (fan_in + fan_out)) | 2 / (fan_in + fan_out) |
//! | [`Initializer::GlorotNormal`] | N(0, σ²) | σ² = 2 / (fan_in + fan_out) |
//! | [`Initializer::HeUniform`] | U(−a, a), a = √(6 / fan_in) | 2 / fan_in |
//! | [`Initializer::HeNormal`] | N(0, σ²) | σ² = 2 / fan_in |
//! | [`Initializer::LecunNormal`] | N(0, σ²) | σ² = 1 / fan_in |
//! | [`Initializer::ScikitLearn`] | U(−a, a), a = √(factor / (fan_in + fan_out)), biases too | factor / (3 (fan_in + fan_out)) |
//!
//! Glorot (a.k.a. Xavier): X. Glorot and Y. Bengio, "Understanding the difficulty of
//! training deep feedforward neural networks", AISTATS 2010 (eq. 16, "normalized
//! initialization"), for tanh/sigmoid/linear units.
//! He (a.k.a. Kaiming): K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into
//! Rectifiers", ICCV 2015 (eq. 10, fan-in mode), for ReLU units.
//! LeCun: Y. LeCun, L. Bottou, G. Orr and K.-R. Müller, "Efficient BackProp", 1998.

use crate::{DType, Error, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

/// How to fill a fresh parameter tensor. Serializable, so a [`crate::nn::LayerSpec`] can carry it.
///
/// For a weight of shape `[out, in, k…]`, `fan_in = in·Πk` and `fan_out = out·Πk`
/// (PyTorch's convention); the fan-based schemes need at least 2 dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Initializer {
    /// All zeros (the default for biases).
    Zeros,
    /// Every element `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Glorot/Xavier uniform (Glorot & Bengio 2010), for tanh, sigmoid and linear outputs.
    GlorotUniform,
    /// Glorot/Xavier normal (Glorot & Bengio 2010).
    GlorotNormal,
    /// He/Kaiming uniform, fan-in mode (He et al. 2015), for ReLU-like activations.
    HeUniform,
    /// He/Kaiming normal, fan-in mode (He et al. 2015), for ReLU-like activations.
    HeNormal,
    /// LeCun normal (LeCun et al. 1998), for SELU and unit-variance inputs.
    LecunNormal,
    /// scikit-learn's MLP scheme (`_init_coef`): weights uniform in (−a, a) with
    /// a = √(factor / (fan_in + fan_out)), and a linear layer's biases drawn from the
    /// same range (see [`Initializer::bias`]). scikit-learn uses factor 6 (Glorot
    /// uniform), or 2 when the hidden activation is logistic.
    ScikitLearn {
        /// The numerator under the square root: 6, or 2 for logistic networks.
        factor: f64,
    },
}

/// `(fan_in, fan_out)` of a weight of this shape: `[out, in, receptive field…]`.
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::invalid(
            "init",
            format!("fan in/out need a weight of at least 2 dimensions, got {shape:?}"),
        ));
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

impl Initializer {
    /// Checks the numeric arguments (finite bounds, `low ≤ high`, `std ≥ 0`).
    pub fn validate(&self) -> Result<()> {
        let ok = match *self {
            Initializer::Constant { value } => value.is_finite(),
            Initializer::Uniform { low, high } => low.is_finite() && high.is_finite() && low <= high,
            Initializer::Normal { mean, std } => mean.is_finite() && std.is_finite() && std >= 0.0,
            Initializer::ScikitLearn { factor } => factor.is_finite() && factor > 0.0,
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::invalid("init", format!("invalid initializer arguments: {self:?}")))
        }
    }

    /// A new tensor of `shape` and `dtype` filled by this scheme, drawing from `rng`.
    pub fn init(&self, shape: &[usize], dtype: DType, rng: &mut Rng) -> Result<Tensor> {
        self.validate()?;
        let uniform = |a: f64, rng: &mut Rng| Tensor::rand_uniform(shape, -a, a, dtype, rng);
        let normal = |std: f64, rng: &mut Rng| Tensor::rand_normal(shape, 0.0, std, dtype, rng);
        Ok(match *self {
            Initializer::Zeros => Tensor::zeros(shape, dtype),
            Initializer::Constant { value } => Tensor::full(shape, value, dtype),
            Initializer::Uniform { low, high } => Tensor::rand_uniform(shape, low, high, dtype, rng),
            Initializer::Normal { mean, std } => Tensor::rand_normal(shape, mean, std, dtype, rng),
            Initializer::GlorotUniform => uniform((6.0 / fan_sum(shape)?).sqrt(), rng),
            Initializer::GlorotNormal => normal((2.0 / fan_sum(shape)?).sqrt(), rng),
            Initializer::HeUniform => uniform((6.0 / fan_in(shape)?).sqrt(), rng),
            Initializer::HeNormal => normal((2.0 / fan_in(shape)?).sqrt(), rng),
            Initializer::LecunNormal => normal((1.0 / fan_in(shape)?).sqrt(), rng),
            Initializer::ScikitLearn { factor } => uniform((factor / fan_sum(shape)?).sqrt(), rng),
        })
    }

    /// The starting bias `[out]` of a layer whose weight has shape `weight_shape`:
    /// zeros, except for [`Initializer::ScikitLearn`], which draws the biases from the
    /// weights' range (scikit-learn does, so its networks do not start with every
    /// hidden unit's kink at the origin).
    pub fn bias(&self, weight_shape: &[usize], dtype: DType, rng: &mut Rng) -> Result<Tensor> {
        let out = weight_shape.first().copied().unwrap_or(0);
        match *self {
            Initializer::ScikitLearn { factor } => {
                self.validate()?;
                let a = (factor / fan_sum(weight_shape)?).sqrt();
                Ok(Tensor::rand_uniform(&[out], -a, a, dtype, rng))
            }
            _ => Ok(Tensor::zeros(&[out], dtype)),
        }
    }

    /// The scheme a layer should get when it feeds `activation` (by its spec):
    /// He for the ReLU family (ReLU, leaky ReLU, GELU), Glorot otherwise
    /// (tanh, sigmoid, softmax, identity, or nothing).
    pub fn default_for(activation: Option<&crate::nn::LayerSpec>) -> Initializer {
        use crate::nn::LayerSpec;
        match activation {
            Some(LayerSpec::Relu | LayerSpec::LeakyRelu { .. } | LayerSpec::Gelu) => Initializer::HeNormal,
            _ => Initializer::GlorotUniform,
        }
    }
}

fn fan_in(shape: &[usize]) -> Result<f64> {
    let (fan_in, _) = fans(shape)?;
    positive(fan_in as f64)
}

fn fan_sum(shape: &[usize]) -> Result<f64> {
    let (fan_in, fan_out) = fans(shape)?;
    positive((fan_in + fan_out) as f64)
}

fn positive(fan: f64) -> Result<f64> {
    if fan > 0.0 {
        Ok(fan)
    } else {
        Err(Error::invalid("init", "variance scaling needs a non-empty weight (fan is 0)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Empirical mean and (population) variance.
    fn moments(t: &Tensor) -> (f64, f64) {
        let v = t.to_vec_f64();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
    }

    /// Checks mean 0 and the variance against the paper's formula, with a tolerance of
    /// 5 standard errors of the sample variance (var·√(2/n) for a normal, less for a uniform).
    fn check(init: Initializer, shape: &[usize], expected_var: f64) {
        let t = init.init(shape, DType::F64, &mut Rng::seed(11)).unwrap();
        let (mean, var) = moments(&t);
        let n = t.numel() as f64;
        let tol = 5.0 * expected_var * (2.0 / n).sqrt();
        assert!(mean.abs() < 5.0 * (expected_var / n).sqrt(), "{init:?}: mean {mean}");
        assert!((var - expected_var).abs() < tol, "{init:?}: variance {var}, expected {expected_var}");
    }

    #[test]
    fn variance_scaling_matches_the_papers() {
        let shape = [300, 200]; // [out, in]: fan_in 200, fan_out 300
        check(Initializer::GlorotUniform, &shape, 2.0 / 500.0);
        check(Initializer::GlorotNormal, &shape, 2.0 / 500.0);
        check(Initializer::HeUniform, &shape, 2.0 / 200.0);
        check(Initializer::HeNormal, &shape, 2.0 / 200.0);
        check(Initializer::LecunNormal, &shape, 1.0 / 200.0);
    }

    #[test]
    fn uniform_bounds_are_the_papers() {
        let t = Initializer::HeUniform.init(&[100, 24], DType::F64, &mut Rng::seed(2)).unwrap();
        let bound = (6.0f64 / 24.0).sqrt();
        let v = t.to_vec_f64();
        assert!(v.iter().all(|x| x.abs() <= bound));
        assert!(v.iter().any(|x| x.abs() > 0.95 * bound), "the range is not filled");
    }

    #[test]
    fn scikit_learn_scheme_fills_weights_and_biases_within_its_bound() {
        let init = Initializer::ScikitLearn { factor: 6.0 };
        check(init, &[300, 200], 6.0 / 500.0 / 3.0);
        let shape = [64, 10];
        let bias = init.bias(&shape, DType::F64, &mut Rng::seed(4)).unwrap().to_vec_f64();
        let bound = (6.0f64 / 74.0).sqrt();
        assert_eq!(bias.len(), 64);
        assert!(bias.iter().all(|b| b.abs() <= bound), "{bias:?}");
        assert!(bias.iter().any(|b| b.abs() > 0.8 * bound), "the biases do not fill the range");
        let logistic = Initializer::ScikitLearn { factor: 2.0 }.init(&[100, 50], DType::F64, &mut Rng::seed(5));
        let bound = (2.0f64 / 150.0).sqrt();
        assert!(logistic.unwrap().to_vec_f64().iter().all(|w| w.abs() <= bound));
        let zeros = Initializer::GlorotUniform.bias(&shape, DType::F32, &mut Rng::seed(4)).unwrap();
        assert_eq!(zeros.to_vec_f32(), vec![0.0; 64], "other schemes start biases at zero");
        assert!(Initializer::ScikitLearn { factor: 0.0 }.validate().is_err());
    }

    #[test]
    fn plain_distributions_and_constants() {
        check(Initializer::Normal { mean: 0.0, std: 0.3 }, &[20000], 0.09);
        check(Initializer::Uniform { low: -2.0, high: 2.0 }, &[20000], 16.0 / 12.0);
        let c = Initializer::Constant { value: 0.5 }.init(&[3, 2], DType::F32, &mut Rng::seed(0)).unwrap();
        assert_eq!(c.to_vec_f32(), vec![0.5; 6]);
        assert_eq!(c.dtype(), DType::F32);
        let z = Initializer::Zeros.init(&[4], DType::F64, &mut Rng::seed(0)).unwrap();
        assert_eq!(z.to_vec_f64(), vec![0.0; 4]);
    }

    #[test]
    fn convolution_fans_include_the_receptive_field() {
        assert_eq!(fans(&[8, 3, 5, 5]).unwrap(), (75, 200));
        assert!(fans(&[8]).is_err());
    }

    #[test]
    fn bad_arguments_are_errors() {
        let mut rng = Rng::seed(0);
        assert!(Initializer::Normal { mean: 0.0, std: -1.0 }.init(&[2], DType::F32, &mut rng).is_err());
        assert!(Initializer::Uniform { low: 1.0, high: 0.0 }.init(&[2], DType::F32, &mut rng).is_err());
        assert!(Initializer::HeNormal.init(&[4], DType::F32, &mut rng).is_err());
        assert!(Initializer::GlorotUniform.init(&[4, 0], DType::F32, &mut rng).is_ok_and(|t| t.numel() == 0));
        assert!(Initializer::HeUniform.init(&[4, 0], DType::F32, &mut rng).is_err());
    }

    #[test]
    fn same_seed_same_weights_and_serde_names() {
        let a = Initializer::HeNormal.init(&[5, 4], DType::F32, &mut Rng::seed(3)).unwrap();
        let b = Initializer::HeNormal.init(&[5, 4], DType::F32, &mut Rng::seed(3)).unwrap();
        assert_eq!(a.to_vec_f32(), b.to_vec_f32());
        let json = serde_json::to_string(&Initializer::Uniform { low: -1.0, high: 1.0 }).unwrap();
        assert_eq!(json, r#"{"type":"uniform","low":-1.0,"high":1.0}"#);
        assert_eq!(
            serde_json::from_str::<Initializer>(r#"{"type":"glorot_uniform"}"#).unwrap(),
            Initializer::GlorotUniform
        );
    }
}
