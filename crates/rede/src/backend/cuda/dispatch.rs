//! [`BackendStorage`] for CUDA buffers: each kernel unwraps the element type
//! and runs the typed kernel of its module.

use super::update::Param;
use super::{blas, conv, elementwise, index, loss, reduce, update, CudaData, CudaIndices, CudaStorage};
use crate::backend::{
    BackendStorage, BinaryOp, ConvGeometry, CrossEntropyTargets, MatOperand, MatmulDims, PoolWindows, RecurrentDims,
    RecurrentGrads, RecurrentInputs, RecurrentSaved, ReduceOp, UnaryOp, UpdateRule,
};
use crate::layout::Layout;
use crate::{DType, Device, Element, Error, Result};

/// Runs `$body` on the typed buffer `$b` of `$s`, rewrapping the resulting buffer.
macro_rules! typed {
    ($s:expr, $b:ident => $body:expr) => {
        Ok(CudaStorage {
            data: match &$s.data {
                CudaData::F32($b) => CudaData::F32($body?),
                CudaData::F64($b) => CudaData::F64($body?),
            },
        })
    };
}

/// Like [`typed!`] for two buffers, which must hold the same element type.
macro_rules! typed2 {
    ($op:expr, $a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match (&$a.data, &$b.data) {
            (CudaData::F32($x), CudaData::F32($y)) => Ok(CudaStorage { data: CudaData::F32($body?) }),
            (CudaData::F64($x), CudaData::F64($y)) => Ok(CudaStorage { data: CudaData::F64($body?) }),
            _ => Err(Error::DTypeMismatch { op: $op, lhs: $a.dtype(), rhs: $b.dtype() }),
        }
    };
}

/// The typed buffers of `parts`, all of element type `T`.
fn typed_parts<'a, T: super::GpuElement>(
    op: &'static str,
    parts: &[(&'a CudaStorage, &'a Layout)],
) -> Result<Vec<(&'a super::Buf<T>, &'a Layout)>> {
    parts
        .iter()
        .map(|(s, l)| {
            T::data_ref(&s.data).map(|b| (b, *l)).ok_or(Error::DTypeMismatch { op, lhs: T::DTYPE, rhs: s.dtype() })
        })
        .collect()
}

impl BackendStorage for CudaStorage {
    type Indices = CudaIndices;

    fn device(&self) -> Device {
        match &self.data {
            CudaData::F32(b) => b.dev.device(),
            CudaData::F64(b) => b.dev.device(),
        }
    }

    fn dtype(&self) -> DType {
        match &self.data {
            CudaData::F32(_) => DType::F32,
            CudaData::F64(_) => DType::F64,
        }
    }

    fn len(&self) -> usize {
        match &self.data {
            CudaData::F32(b) => b.len(),
            CudaData::F64(b) => b.len(),
        }
    }

    fn to_host<T: Element>(&self, layout: &Layout) -> Result<Vec<T>> {
        let (offset, n) = (layout.offset(), layout.numel());
        Ok(match &self.data {
            CudaData::F32(b) if layout.is_contiguous() => {
                b.download(offset, n)?.into_iter().map(|x| T::of(x as f64)).collect()
            }
            CudaData::F64(b) if layout.is_contiguous() => b.download(offset, n)?.into_iter().map(T::of).collect(),
            CudaData::F32(b) => {
                elementwise::copy(b, layout)?.download(0, n)?.into_iter().map(|x| T::of(x as f64)).collect()
            }
            CudaData::F64(b) => elementwise::copy(b, layout)?.download(0, n)?.into_iter().map(T::of).collect(),
        })
    }

    fn write_host<T: Element>(&mut self, layout: &Layout, values: &[T]) -> Result<()> {
        let (offset, n) = (layout.offset(), layout.numel());
        if values.len() != n || !layout.is_contiguous() || offset + n > self.len() {
            return Err(Error::ElementCount { op: "write_host", len: values.len(), shape: layout.shape().to_vec() });
        }
        match &mut self.data {
            CudaData::F32(b) => b.write(offset, &values.iter().map(|v| v.as_f64() as f32).collect::<Vec<_>>()),
            CudaData::F64(b) => b.write(offset, &values.iter().map(|v| v.as_f64()).collect::<Vec<_>>()),
        }
    }

    fn copy_contiguous(&self, layout: &Layout) -> Result<Self> {
        typed!(self, b => elementwise::copy(b, layout))
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(match (&self.data, dtype) {
            (CudaData::F32(b), DType::F64) => Self::wrap(elementwise::cast::<f32, f64>(b, layout)?),
            (CudaData::F64(b), DType::F32) => Self::wrap(elementwise::cast::<f64, f32>(b, layout)?),
            _ => self.copy_contiguous(layout)?,
        })
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        typed!(self, b => elementwise::unary(b, layout, op))
    }

    fn binary(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        typed2!("binary op", self, rhs, a, b => elementwise::binary(a, lhs, b, rhs_layout, op))
    }

    fn select(cond: (&Self, &Layout), on_true: (&Self, &Layout), on_false: (&Self, &Layout)) -> Result<Self> {
        // The mask may have another element type than the values: convert it first.
        let converted;
        let cond = if cond.0.dtype() == on_true.0.dtype() {
            cond
        } else {
            converted = (cond.0.to_dtype(cond.1, on_true.0.dtype())?, Layout::contiguous(cond.1.shape()));
            (&converted.0, &converted.1)
        };
        match on_true.0.dtype() {
            DType::F32 => {
                let p = typed_parts::<f32>("where_cond", &[cond, on_true, on_false])?;
                Ok(Self::wrap(elementwise::select(p[0], p[1], p[2])?))
            }
            DType::F64 => {
                let p = typed_parts::<f64>("where_cond", &[cond, on_true, on_false])?;
                Ok(Self::wrap(elementwise::select(p[0], p[1], p[2])?))
            }
        }
    }

    fn reduce(&self, layout: &Layout, reduced: usize, op: ReduceOp) -> Result<Self> {
        typed!(self, b => reduce::reduce(b, layout, reduced, op))
    }

    fn sum_rows(&self, offset: usize, rows: usize, cols: usize) -> Result<Self> {
        typed!(self, b => reduce::sum_rows(b, offset, rows, cols))
    }

    fn linear(&self, x: &Layout, w: (&Self, &Layout), bias: Option<(&Self, &Layout)>) -> Result<Self> {
        let mut parts = vec![(self, x), w];
        parts.extend(bias);
        match self.dtype() {
            DType::F32 => {
                let p = typed_parts::<f32>("linear", &parts)?;
                Ok(Self::wrap(blas::linear(p[0].0, x, p[1], p.get(2).copied())?))
            }
            DType::F64 => {
                let p = typed_parts::<f64>("linear", &parts)?;
                Ok(Self::wrap(blas::linear(p[0].0, x, p[1], p.get(2).copied())?))
            }
        }
    }

    fn matmul(&self, lhs: &MatOperand, rhs: &Self, rhs_op: &MatOperand, dims: MatmulDims) -> Result<Self> {
        typed2!("matmul", self, rhs, a, b => blas::matmul(a, lhs, b, rhs_op, dims))
    }

    fn index_select(&self, layout: &Layout, dim: usize, indices: &[usize]) -> Result<Self> {
        typed!(self, b => index::index_select(b, layout, dim, indices))
    }

    fn index_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self> {
        typed!(self, b => index::index_add(b, layout, dim, indices, shape))
    }

    fn gather(&self, layout: &Layout, dim: usize, indices: &[usize], out_shape: &[usize]) -> Result<Self> {
        typed!(self, b => index::gather(b, layout, dim, indices, out_shape))
    }

    fn scatter_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self> {
        typed!(self, b => index::scatter_add(b, layout, dim, indices, shape))
    }

    fn pad(&self, layout: &Layout, dim: usize, start: usize, shape: &[usize]) -> Result<Self> {
        // index_add's kernel, with the slice's positions as its indices.
        let positions: Vec<usize> = (start..start + layout.shape()[dim]).collect();
        typed!(self, b => index::index_add(b, layout, dim, &positions, shape))
    }

    fn concat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        match parts[0].0.dtype() {
            DType::F32 => Ok(Self::wrap(index::concat(&typed_parts::<f32>("cat", parts)?, dim)?)),
            DType::F64 => Ok(Self::wrap(index::concat(&typed_parts::<f64>("cat", parts)?, dim)?)),
        }
    }

    fn conv2d(
        &self,
        layout: &Layout,
        weight: (&Self, &Layout),
        bias: Option<&Self>,
        geometry: &ConvGeometry,
    ) -> Result<Self> {
        let empty = Layout::contiguous(&[0]);
        let mut parts = vec![(self, layout), weight];
        parts.extend(bias.map(|b| (b, &empty)));
        match self.dtype() {
            DType::F32 => {
                let p = typed_parts::<f32>("conv2d", &parts)?;
                Ok(Self::wrap(conv::conv2d(p[0].0, layout, p[1], p.get(2).map(|b| b.0), geometry)?))
            }
            DType::F64 => {
                let p = typed_parts::<f64>("conv2d", &parts)?;
                Ok(Self::wrap(conv::conv2d(p[0].0, layout, p[1], p.get(2).map(|b| b.0), geometry)?))
            }
        }
    }

    fn conv2d_grad_input(&self, layout: &Layout, weight: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self> {
        typed2!("conv2d_backward", self, weight.0, g, w => conv::grad_input(g, layout, (w, weight.1), geometry))
    }

    fn conv2d_grad_weight(&self, layout: &Layout, gout: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self> {
        typed2!("conv2d_backward", self, gout.0, x, g => conv::grad_weight(x, layout, (g, gout.1), geometry))
    }

    fn conv2d_grad_bias(&self, layout: &Layout, geometry: &ConvGeometry) -> Result<Self> {
        typed!(self, b => conv::grad_bias(b, layout, geometry))
    }

    fn max_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows) -> Result<(Self, CudaIndices)> {
        Ok(match &self.data {
            CudaData::F32(b) => {
                conv::max_pool(b, layout, planes, windows).map(|(o, a)| (Self::wrap(o), CudaIndices(a)))?
            }
            CudaData::F64(b) => {
                conv::max_pool(b, layout, planes, windows).map(|(o, a)| (Self::wrap(o), CudaIndices(a)))?
            }
        })
    }

    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        argmax: &CudaIndices,
        planes: usize,
        windows: &PoolWindows,
    ) -> Result<Self> {
        typed!(self, b => conv::max_pool_backward(b, layout, &argmax.0, planes, windows))
    }

    fn avg_pool2d(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Self> {
        typed!(self, b => conv::avg_pool(b, layout, planes, windows, divisor))
    }

    fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Self> {
        typed!(self, b => conv::avg_pool_backward(b, layout, planes, windows, divisor))
    }

    fn cross_entropy(&self, layout: &Layout, targets: &CrossEntropyTargets<'_>) -> Result<(Self, Self)> {
        Ok(match &self.data {
            CudaData::F32(b) => loss::cross_entropy(b, layout, targets).map(|(l, g)| (Self::wrap(l), Self::wrap(g)))?,
            CudaData::F64(b) => loss::cross_entropy(b, layout, targets).map(|(l, g)| (Self::wrap(l), Self::wrap(g)))?,
        })
    }

    fn update<R: UpdateRule>(
        &mut self,
        layout: &Layout,
        grad: (&Self, &Layout),
        state: &mut Self,
        buffers: usize,
        rule: &R,
        step: (u64, bool),
    ) -> Result<()> {
        const OP: &str = "optimizer step";
        let n = layout.numel();
        if state.len() < buffers * n {
            return Err(Error::invalid(OP, format!("{} state elements for {buffers} buffers of {n}", state.len())));
        }
        match (&self.data, &grad.0.data, &state.data) {
            (CudaData::F32(w), CudaData::F32(g), CudaData::F32(s)) => {
                let p = Param { w: (w, layout.offset()), g: (g, grad.1.offset()), state: s, n };
                update::update(&p, rule.spec(), step)
            }
            (CudaData::F64(w), CudaData::F64(g), CudaData::F64(s)) => {
                let p = Param { w: (w, layout.offset()), g: (g, grad.1.offset()), state: s, n };
                update::update(&p, rule.spec(), step)
            }
            _ => {
                let other = if grad.0.dtype() != self.dtype() { grad.0.dtype() } else { state.dtype() };
                Err(Error::DTypeMismatch { op: OP, lhs: self.dtype(), rhs: other })
            }
        }
    }

    // The fused recurrent kernels exist only for the CPU; on CUDA the layers run
    // their composed form (see `nn::rnn`), so these are never reached from them.
    fn recurrent_forward(inputs: &RecurrentInputs<'_, Self>, _dims: &RecurrentDims) -> Result<(Self, Self)> {
        Err(no_fused_recurrent(inputs.x.0.device()))
    }

    fn recurrent_backward(
        inputs: &RecurrentInputs<'_, Self>,
        _saved: &RecurrentSaved<'_, Self>,
        _dims: &RecurrentDims,
        _input_grad: bool,
    ) -> Result<RecurrentGrads<Self>> {
        Err(no_fused_recurrent(inputs.x.0.device()))
    }
}

/// The error for the fused recurrent kernels on a GPU.
fn no_fused_recurrent(device: Device) -> Error {
    Error::DeviceUnavailable { device, reason: "the fused recurrent kernels have no CUDA version yet".to_string() }
}
