//! Named architectures, as specs (build them with [`LayerSpec::build`]).

use super::{LayerSpec, RnnConfig};

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
