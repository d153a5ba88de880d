//! [`BackendStorage`] for host buffers: each kernel unwraps the element type
//! and runs the typed kernel of its module. Host kernels cannot fail, so every
//! result is `Ok`.

use super::conv::{self, ConvGeometry, PoolWindows};
use super::matmul::{self, MatOperand, MatmulDims};
use super::{elementwise, index, loss, reduce, rnn, strided, update, CpuStorage};
use crate::backend::{BackendStorage, BinaryOp, CrossEntropyTargets, ReduceOp, UnaryOp, UpdateRule};
use crate::backend::{RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved};
use crate::layout::Layout;
use crate::{DType, Device, Element, Error, Result};

/// Applies `$body` to the typed vector inside a `CpuStorage`, rewrapping a `Vec` result.
macro_rules! map_typed {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => CpuStorage::F32($body),
            CpuStorage::F64($v) => CpuStorage::F64($body),
        }
    };
}

/// Applies `$body` to two typed vectors of the same element type (checked by the caller).
macro_rules! map_typed2 {
    ($a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (CpuStorage::F32($x), CpuStorage::F32($y)) => CpuStorage::F32($body),
            (CpuStorage::F64($x), CpuStorage::F64($y)) => CpuStorage::F64($body),
            _ => unreachable!("element types are checked before kernels run"),
        }
    };
}

/// The typed buffer of a storage whose element type the op layer has checked.
fn typed<T: Element>(s: &CpuStorage) -> &[T] {
    T::unwrap(s).expect("element types are checked before kernels run")
}

fn typed_parts<'a, T: Element>(parts: &[(&'a CpuStorage, &'a Layout)]) -> Vec<(&'a [T], &'a Layout)> {
    parts.iter().map(|(s, l)| (typed::<T>(s), *l)).collect()
}

impl BackendStorage for CpuStorage {
    type Indices = Vec<u32>;

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
        }
    }

    fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::F64(v) => v.len(),
        }
    }

    fn to_host<T: Element>(&self, layout: &Layout) -> Result<Vec<T>> {
        Ok(match self {
            CpuStorage::F32(v) => strided::collect(v, layout, |x| T::of(x as f64)),
            CpuStorage::F64(v) => strided::collect(v, layout, T::of),
        })
    }

    fn write_host<T: Element>(&mut self, layout: &Layout, values: &[T]) -> Result<()> {
        let (offset, n) = (layout.offset(), layout.numel());
        if values.len() != n || !layout.is_contiguous() {
            return Err(Error::ElementCount { op: "write_host", len: values.len(), shape: layout.shape().to_vec() });
        }
        match self {
            CpuStorage::F32(v) => {
                v[offset..offset + n].iter_mut().zip(values).for_each(|(d, s)| *d = s.as_f64() as f32)
            }
            CpuStorage::F64(v) => v[offset..offset + n].iter_mut().zip(values).for_each(|(d, s)| *d = s.as_f64()),
        }
        Ok(())
    }

    fn copy_contiguous(&self, layout: &Layout) -> Result<Self> {
        Ok(map_typed!(self, v => strided::collect(v, layout, |x| x)))
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(match dtype {
            DType::F32 => CpuStorage::F32(self.to_host(layout)?),
            DType::F64 => CpuStorage::F64(self.to_host(layout)?),
        })
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        Ok(map_typed!(self, v => elementwise::unary(v, layout, op)))
    }

    fn binary(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        Ok(map_typed2!(self, rhs, a, b => elementwise::binary(a, lhs, b, rhs_layout, op)))
    }

    fn select(cond: (&Self, &Layout), on_true: (&Self, &Layout), on_false: (&Self, &Layout)) -> Result<Self> {
        let mask: Vec<bool> = cond.0.to_host::<f64>(cond.1)?.into_iter().map(|c| c != 0.0).collect();
        Ok(map_typed2!(on_true.0, on_false.0, t, f => elementwise::select(&mask, t, on_true.1, f, on_false.1)))
    }

    fn reduce(&self, layout: &Layout, reduced: usize, op: ReduceOp) -> Result<Self> {
        Ok(map_typed!(self, v => reduce::reduce_trailing(v, layout, reduced, op)))
    }

    fn sum_rows(&self, offset: usize, rows: usize, cols: usize) -> Result<Self> {
        Ok(map_typed!(self, v => reduce::sum_rows(&v[offset..offset + rows * cols], cols)))
    }

    fn linear(&self, x: &Layout, w: (&Self, &Layout), bias: Option<(&Self, &Layout)>) -> Result<Self> {
        Ok(match (self, w.0) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => {
                CpuStorage::F32(matmul::linear(a, x, (b, w.1), bias.map(|(s, l)| (typed::<f32>(s), l))))
            }
            (CpuStorage::F64(a), CpuStorage::F64(b)) => {
                CpuStorage::F64(matmul::linear(a, x, (b, w.1), bias.map(|(s, l)| (typed::<f64>(s), l))))
            }
            _ => unreachable!("element types are checked before kernels run"),
        })
    }

    fn matmul(&self, lhs: &MatOperand, rhs: &Self, rhs_op: &MatOperand, dims: MatmulDims) -> Result<Self> {
        Ok(map_typed2!(self, rhs, a, b => matmul::batched(a, lhs, b, rhs_op, dims)))
    }

    fn index_select(&self, layout: &Layout, dim: usize, indices: &[usize]) -> Result<Self> {
        Ok(map_typed!(self, v => index::index_select(v, layout, dim, indices)))
    }

    fn index_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self> {
        Ok(map_typed!(self, v => index::index_add(v, layout, dim, indices, shape)))
    }

    fn gather(&self, layout: &Layout, dim: usize, indices: &[usize], out_shape: &[usize]) -> Result<Self> {
        Ok(map_typed!(self, v => index::gather(v, layout, dim, indices, out_shape)))
    }

    fn scatter_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Self> {
        Ok(map_typed!(self, v => index::scatter_add(v, layout, dim, indices, shape)))
    }

    fn pad(&self, layout: &Layout, dim: usize, start: usize, shape: &[usize]) -> Result<Self> {
        Ok(map_typed!(self, v => index::pad(v, layout, dim, start, shape)))
    }

    fn concat(parts: &[(&Self, &Layout)], dim: usize) -> Result<Self> {
        Ok(match parts[0].0 {
            CpuStorage::F32(_) => CpuStorage::F32(index::concat(&typed_parts(parts), dim)),
            CpuStorage::F64(_) => CpuStorage::F64(index::concat(&typed_parts(parts), dim)),
        })
    }

    fn conv2d(
        &self,
        layout: &Layout,
        weight: (&Self, &Layout),
        bias: Option<&Self>,
        geometry: &ConvGeometry,
    ) -> Result<Self> {
        Ok(conv::conv2d(self, layout, weight, bias, geometry))
    }

    fn conv2d_grad_input(&self, layout: &Layout, weight: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self> {
        Ok(conv::conv2d_grad_input(self, layout, weight, geometry))
    }

    fn conv2d_grad_weight(&self, layout: &Layout, gout: (&Self, &Layout), geometry: &ConvGeometry) -> Result<Self> {
        Ok(conv::conv2d_grad_weight(self, layout, gout, geometry))
    }

    fn conv2d_grad_bias(&self, layout: &Layout, geometry: &ConvGeometry) -> Result<Self> {
        Ok(conv::conv2d_grad_bias(self, layout, geometry))
    }

    fn max_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows) -> Result<(Self, Vec<u32>)> {
        Ok(conv::max_pool2d(self, layout, planes, windows))
    }

    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        argmax: &Vec<u32>,
        planes: usize,
        windows: &PoolWindows,
    ) -> Result<Self> {
        Ok(conv::max_pool2d_backward(self, layout, argmax, planes, windows))
    }

    fn avg_pool2d(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Self> {
        Ok(conv::avg_pool2d(self, layout, planes, windows, divisor))
    }

    fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Self> {
        Ok(conv::avg_pool2d_backward(self, layout, planes, windows, divisor))
    }

    fn cross_entropy(&self, layout: &Layout, targets: &CrossEntropyTargets<'_>) -> Result<(Self, Self)> {
        Ok(match self {
            CpuStorage::F32(v) => {
                let (losses, grad) = loss::cross_entropy(v, layout, targets);
                (CpuStorage::F32(losses), CpuStorage::F32(grad))
            }
            CpuStorage::F64(v) => {
                let (losses, grad) = loss::cross_entropy(v, layout, targets);
                (CpuStorage::F64(losses), CpuStorage::F64(grad))
            }
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
        let (n, w_at, g_at) = (layout.numel(), layout.offset(), grad.1.offset());
        match (self, grad.0, state) {
            (CpuStorage::F32(w), CpuStorage::F32(g), CpuStorage::F32(s)) => {
                update::apply(rule, &mut w[w_at..w_at + n], &g[g_at..g_at + n], s, buffers, step)
            }
            (CpuStorage::F64(w), CpuStorage::F64(g), CpuStorage::F64(s)) => {
                update::apply(rule, &mut w[w_at..w_at + n], &g[g_at..g_at + n], s, buffers, step)
            }
            (w, g, s) => {
                let other = if g.dtype() != w.dtype() { g.dtype() } else { s.dtype() };
                return Err(Error::DTypeMismatch { op: "optimizer step", lhs: w.dtype(), rhs: other });
            }
        }
        Ok(())
    }

    fn recurrent_forward(inputs: &RecurrentInputs<'_, Self>, dims: &RecurrentDims) -> Result<(Self, Self)> {
        Ok(rnn::recurrent_forward(inputs, dims))
    }

    fn recurrent_backward(
        inputs: &RecurrentInputs<'_, Self>,
        saved: &RecurrentSaved<'_, Self>,
        dims: &RecurrentDims,
        input_grad: bool,
    ) -> Result<RecurrentGrads<Self>> {
        Ok(rnn::recurrent_backward(inputs, saved, dims, input_grad))
    }
}
