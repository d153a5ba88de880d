//! The contract every device's buffer type fulfils: the whole kernel vocabulary
//! of rede. [`super::Storage`] dispatches each call to the buffer's device.
//!
//! Every method takes the operands' layouts (shape, strides, offset) and
//! returns a new contiguous buffer on the same device, except the few in-place
//! ones (`write_host`, `update`). Kernels may fail on devices that can (a GPU
//! out of memory), so everything returns a [`Result`].

use super::cpu::{ConvGeometry, MatOperand, MatmulDims, PoolWindows};
use super::{BinaryOp, ReduceOp, UnaryOp, UpdateRule};
use super::{RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved};
use crate::layout::Layout;
use crate::{DType, Device, Element, Result};

/// What a fused softmax cross-entropy needs besides the logits: one target class
/// per row, a weight per class (1 when unweighted), label smoothing and the
/// normalizer of the mean (1 for sum or none).
#[derive(Clone, Debug)]
pub struct CrossEntropyTargets<'a> {
    /// Target class of each row; None for an ignored row (zero loss and gradient).
    pub classes: &'a [Option<usize>],
    /// Weight of each class.
    pub weight: &'a [f64],
    /// Label smoothing ε.
    pub smoothing: f64,
    /// Divides each row's gradient (the weight sum for a mean, else 1).
    pub norm: f64,
}

/// One device's buffer of f32 or f64 elements and the kernels that run on it.
pub trait BackendStorage: Sized + Send + Sync {
    /// Positions a forward kernel keeps for its backward (max pooling's argmax).
    type Indices: Send + Sync;

    /// The device the buffer lives on.
    fn device(&self) -> Device;
    /// The element type.
    fn dtype(&self) -> DType;
    /// Number of elements in the buffer.
    fn len(&self) -> usize;
    /// Whether the buffer holds no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements of `layout`, converted to `T`, in row-major order, in host memory.
    fn to_host<T: Element>(&self, layout: &Layout) -> Result<Vec<T>>;
    /// Overwrites the contiguous elements `layout` covers with `values` (same count).
    fn write_host<T: Element>(&mut self, layout: &Layout, values: &[T]) -> Result<()>;
    /// A contiguous copy of the elements of `layout`.
    fn copy_contiguous(&self, layout: &Layout) -> Result<Self>;
    /// A contiguous copy converted to another element type.
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;

    /// Elementwise function of one tensor.
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self>;
    /// Elementwise function of two tensors whose layouts are broadcast to one shape.
    fn binary(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self>;
    /// `cond ? on_true : on_false`, all three broadcast to one shape.
    fn select(cond: (&Self, &Layout), on_true: (&Self, &Layout), on_false: (&Self, &Layout)) -> Result<Self>;

    /// Reduces the trailing `reduced` dimensions of the (permuted) layout.
    fn reduce(&self, layout: &Layout, reduced: usize, op: ReduceOp) -> Result<Self>;
    /// Sums a contiguous `[rows, cols]` block starting at `offset` over its rows, giving `[cols]`.
    fn sum_rows(&self, offset: usize, rows: usize, cols: usize) -> Result<Self>;

    /// `x·wᵀ + bias` for `x` `[n, in]` and `w` `[out, in]`, into a contiguous `[n, out]`.
    fn linear(&self, x: &Layout, w: (&Self, &Layout), bias: Option<(&Self, &Layout)>) -> Result<Self>;
    /// Batched matrix product; the result is contiguous `[batch, m, n]`.
    fn matmul(&self, lhs: &MatOperand, rhs: &Self, rhs_op: &MatOperand, dims: MatmulDims) -> Result<Self>;

    /// Picks entries `indices` along `dim`.
    fn index_select(&self, layout: &Layout, dim: usize, indices: &[usize]) -> Result<Self>;
    /// Adds the slices of this `index_select` result back into a zero tensor of `shape`.
    fn index_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self>;
    /// `out[.., i, ..] = x[.., indices[.., i, ..], ..]` along `dim`.
    fn gather(&self, layout: &Layout, dim: usize, indices: &[usize], out_shape: &[usize]) -> Result<Self>;
    /// The adjoint of `gather`: adds this buffer into a zero tensor of `shape` at the gathered positions.
    fn scatter_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self>;
    /// This buffer placed at `start` along `dim` in zeros of `shape` (which
    /// agrees with it on the other dimensions): the backward of `narrow`.
    fn pad(&self, layout: &Layout, dim: usize, start: usize, shape: &[usize]) -> Result<Self>;
    /// Joins buffers along `dim`; all agree on the other dimensions.
    fn concat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self>;

    /// Convolution of a contiguous `[N, C, H, W]` input with `[O, C/groups, kh, kw]` weights plus a bias.
    fn conv2d(
        &self,
        layout: &Layout,
        weight: (&Self, &Layout),
        bias: Option<&Self>,
        geometry: &ConvGeometry,
    ) -> Result<Self>;
    /// Gradient of `conv2d` for its input, from the output gradient (this buffer) and the weights.
    fn conv2d_grad_input(&self, layout: &Layout, weight: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self>;
    /// Gradient of `conv2d` for its weights, from the input (this buffer) and the output gradient.
    fn conv2d_grad_weight(&self, layout: &Layout, gout: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self>;
    /// Gradient of `conv2d` for its bias: the output gradient summed over samples and positions.
    fn conv2d_grad_bias(&self, layout: &Layout, geometry: &ConvGeometry) -> Result<Self>;

    /// Maximum of each window of each of `planes` contiguous planes, with its position.
    fn max_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows) -> Result<(Self, Self::Indices)>;
    /// Routes the output gradient (this buffer) of `max_pool2d` to the maxima.
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        argmax: &Self::Indices,
        planes: usize,
        windows: &PoolWindows,
    ) -> Result<Self>;
    /// Mean of each window, dividing by `divisor` when given or by the window's own size.
    fn avg_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows, divisor: Option<usize>)
        -> Result<Self>;
    /// Spreads the output gradient (this buffer) of `avg_pool2d` evenly over each window.
    fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Self>;

    /// Softmax cross-entropy of the `[n, c]` logits (this buffer) in one pass per row:
    /// the per-row losses `[n]` and the gradient of their (normalized) sum `[n, c]`.
    fn cross_entropy(&self, layout: &Layout, targets: &CrossEntropyTargets<'_>) -> Result<(Self, Self)>;

    /// One optimizer step on the contiguous parameter elements `layout` covers in this
    /// buffer, in place, from its contiguous gradient; `state` holds the rule's `buffers` state buffers one after
    /// another, each as long as the parameter; `step` is the update count (1 on the
    /// first) and whether the parameter is a bias.
    fn update<R: UpdateRule>(
        &mut self,
        layout: &Layout,
        grad: (&Self, &Layout),
        state: &mut Self,
        buffers: usize,
        rule: &R,
        step: (u64, bool),
    ) -> Result<()>;

    /// The forward pass of one fused recurrent layer in one direction (see
    /// [`RecurrentDims`]): its output (`dims.output_len()` elements) and the
    /// workspace its backward pass reads (`dims.workspace_len()`).
    fn recurrent_forward(inputs: &RecurrentInputs<'_, Self>, dims: &RecurrentDims) -> Result<(Self, Self)>;
    /// The backward pass of that layer from its operands and what the forward
    /// saved; the input's gradient only when `input_grad`.
    fn recurrent_backward(
        inputs: &RecurrentInputs<'_, Self>,
        saved: &RecurrentSaved<'_, Self>,
        dims: &RecurrentDims,
        input_grad: bool,
    ) -> Result<RecurrentGrads<Self>>;
}
