//! Named architectures, as specs (build them with [`LayerSpec::build`]).

use super::{LayerSpec, RnnConfig};
use crate::{Error, Result};

/// The presets [`by_name`] knows.
pub const PRESETS: &[&str] = &["lenet5", "lstm"];

/// LeNet-5 for `[N, 1, 28, 28]` images: conv 6@5x5 (padding 2) → ReLU → max-pool 2 →
/// conv 16@5x5 → ReLU → max-pool 2 → flatten → 120 → ReLU → 84 → ReLU → 10 logits
/// (61,706 parameters).
pub fn lenet5() -> LayerSpec {
    let conv = |in_channels, out_channels, padding| LayerSpec::Conv2d {
        in_channels,
        out_channels,
        kernel_size: [5, 5],
        stride: [1, 1],
        padding: [padding, padding],
        dilation: [1, 1],
        groups: 1,
        bias: true,
    };
    let pool = || LayerSpec::MaxPool2d { kernel_size: [2, 2], stride: None, padding: [0, 0] };
    let linear = |in_features, out_features| LayerSpec::Linear { in_features, out_features, bias: true, init: None };
    LayerSpec::Sequential {
        layers: vec![
            conv(1, 6, 2),
            LayerSpec::Relu,
            pool(),
            conv(6, 16, 0),
            LayerSpec::Relu,
            pool(),
            LayerSpec::Flatten { start_dim: 1, end_dim: -1 },
            linear(16 * 5 * 5, 120),
            LayerSpec::Relu,
            linear(120, 84),
            LayerSpec::Relu,
            linear(84, 10),
        ],
    }
}

/// A sequence classifier for `[N, T, input]`: an LSTM of `layers` layers of `hidden`
/// units, its last time step, then a linear layer to `classes` logits. Reading MNIST
/// row by row is `lstm_classifier(28, 128, 1, 10)`.
pub fn lstm_classifier(input: usize, hidden: usize, layers: usize, classes: usize) -> LayerSpec {
    LayerSpec::Sequential {
        layers: vec![
            LayerSpec::Lstm(RnnConfig::new(input, hidden).layers(layers)),
            LayerSpec::LastStep,
            LayerSpec::Linear { in_features: hidden, out_features: classes, bias: true, init: None },
        ],
    }
}

/// A preset for table rows of `n_features` pixels and `n_outputs` classes, reshaping
/// the rows first (the spec starts with a [`LayerSpec::Unflatten`]):
///
/// - `lenet5`: [`lenet5`] on `[N, 1, 28, 28]`, its last layer sized to `n_outputs`;
///   needs 784 features (28×28 images such as MNIST's).
/// - `lstm`: [`lstm_classifier`] with 128 hidden units reading a square image row by
///   row, `[N, side, side]`; needs a square number of features (784 = 28×28 for MNIST).
///
/// Unknown names and data of the wrong width are errors that say what is expected.
pub fn by_name(name: &str, n_features: usize, n_outputs: usize) -> Result<LayerSpec> {
    const OP: &str = "preset";
    let unflatten = |sizes: Vec<usize>| LayerSpec::Unflatten { dim: 1, sizes };
    let layers = match name {
        "lenet5" => {
            if n_features != 28 * 28 {
                let msg = format!("lenet5 expects 28x28 images = 784 features, and the data has {n_features}");
                return Err(Error::invalid(OP, msg));
            }
            let mut layers = vec![unflatten(vec![1, 28, 28])];
            layers.extend(sequential_layers(lenet5()));
            if let Some(LayerSpec::Linear { out_features, .. }) = layers.last_mut() {
                *out_features = n_outputs;
            }
            layers
        }
        "lstm" => {
            let side = (n_features as f64).sqrt().round() as usize;
            if side == 0 || side * side != n_features {
                let msg = format!(
                    "lstm reads a square image row by row, so it needs a square number of features \
                     (784 = 28x28 for MNIST), and the data has {n_features}"
                );
                return Err(Error::invalid(OP, msg));
            }
            let mut layers = vec![unflatten(vec![side, side])];
            layers.extend(sequential_layers(lstm_classifier(side, 128, 1, n_outputs)));
            layers
        }
        other => {
            let msg = format!("unknown model preset '{other}' (known: mlp, {})", PRESETS.join(", "));
            return Err(Error::invalid(OP, msg));
        }
    };
    Ok(LayerSpec::Sequential { layers })
}

/// The layers of a sequential spec (the spec itself for any other).
fn sequential_layers(spec: LayerSpec) -> Vec<LayerSpec> {
    match spec {
        LayerSpec::Sequential { layers } => layers,
        single => vec![single],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{no_grad, DType, Rng, Tensor};

    fn output_shape(spec: &LayerSpec, n_features: usize) -> Vec<usize> {
        let model = spec.build(&mut Rng::seed(0)).unwrap();
        no_grad(|| model.forward(&Tensor::zeros(&[2, n_features], DType::F32))).unwrap().shape().to_vec()
    }

    #[test]
    fn lenet5_takes_mnist_rows_and_sizes_its_output() {
        let spec = by_name("lenet5", 784, 7).unwrap();
        assert_eq!(output_shape(&spec, 784), [2, 7]);
        let LayerSpec::Sequential { layers } = &spec else { panic!("sequential") };
        assert_eq!(layers[0], LayerSpec::Unflatten { dim: 1, sizes: vec![1, 28, 28] });
        let err = by_name("lenet5", 64, 10).unwrap_err().to_string();
        assert!(err.contains("784") && err.contains("64") && err.contains("28x28"), "{err}");
    }

    #[test]
    fn lstm_reads_any_square_image_row_by_row() {
        assert_eq!(output_shape(&by_name("lstm", 64, 10).unwrap(), 64), [2, 10]);
        let LayerSpec::Sequential { layers } = by_name("lstm", 784, 10).unwrap() else { panic!("sequential") };
        assert_eq!(layers[0], LayerSpec::Unflatten { dim: 1, sizes: vec![28, 28] });
        assert!(matches!(layers[1], LayerSpec::Lstm(RnnConfig { input_size: 28, hidden_size: 128, .. })));
        let err = by_name("lstm", 10, 3).unwrap_err().to_string();
        assert!(err.contains("square") && err.contains("10"), "{err}");
    }

    #[test]
    fn unknown_presets_list_the_known_ones() {
        let err = by_name("resnet", 784, 10).unwrap_err().to_string();
        assert!(err.contains("'resnet'") && err.contains("lenet5") && err.contains("lstm"), "{err}");
    }
}
