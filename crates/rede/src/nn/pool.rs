//! Pooling layers over `[N, C, H, W]`; they have no parameters.

use super::{LayerSpec, Module};
use crate::{Result, Tensor};

/// Window sizes of a sliding pooling layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

macro_rules! sliding_pool {
    ($(#[$doc:meta])* $name:ident, $op:ident, $variant:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(Window);

        impl $name {
            /// Square windows of `kernel` with a stride of `kernel` (non-overlapping) and no padding.
            pub fn new(kernel: usize) -> $name {
                $name::with_options([kernel, kernel], [kernel, kernel], [0, 0])
            }

            /// Windows of `kernel` every `stride`, with `padding` on each side (checked when applied).
            pub fn with_options(kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]) -> $name {
                $name(Window { kernel, stride, padding })
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                x.$op(self.0.kernel, self.0.stride, self.0.padding)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                Vec::new()
            }

            fn spec(&self) -> Option<LayerSpec> {
                // A stride equal to the kernel is the default, written as none.
                let stride = (self.0.stride != self.0.kernel).then_some(self.0.stride);
                Some(LayerSpec::$variant { kernel_size: self.0.kernel, stride, padding: self.0.padding })
            }
        }
    };
}

sliding_pool!(
    /// Maximum over each window (see [`Tensor::max_pool2d`]).
    MaxPool2d,
    max_pool2d,
    MaxPool2d
);
sliding_pool!(
    /// Mean over each window, padding counted (see [`Tensor::avg_pool2d`]).
    AvgPool2d,
    avg_pool2d,
    AvgPool2d
);

/// Averages into a fixed `out_h × out_w` grid whatever the input size; `(1, 1)` is global
/// average pooling (see [`Tensor::adaptive_avg_pool2d`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveAvgPool2d {
    output_size: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// Pools to `output_size` (height, width).
    pub fn new(output_size: [usize; 2]) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d { output_size }
    }
}

impl Module for AdaptiveAvgPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.adaptive_avg_pool2d(self.output_size[0], self.output_size[1])
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::AdaptiveAvgPool2d { output_size: self.output_size })
    }
}
