//! The tensor handle: a cheap, clonable reference to a strided view of a
//! shared buffer, plus the graph node that produced it (if any).

mod access;
mod creation;
mod random;

pub use random::Rng;

use crate::autograd::Node;
use crate::backend::Storage;
use crate::layout::Layout;
use crate::{DType, Device};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// A unique identity for each tensor handle created by an op or constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(usize);

impl TensorId {
    fn next() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(1);
        TensorId(COUNTER.fetch_add(1, Ordering::Relaxed))
    }

    /// The identity as a number (unique within a process).
    pub fn value(self) -> usize {
        self.0
    }
}

/// An n-dimensional array of f32 or f64 that records the ops applied to it,
/// so gradients can flow back through them.
///
/// Cloning is cheap (a reference count). Views such as [`Tensor::transpose`]
/// share the buffer.
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) id: TensorId,
    pub(crate) storage: Arc<RwLock<Storage>>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    pub(crate) node: Option<Node>,
    pub(crate) requires_grad: bool,
    pub(crate) grad: Mutex<Option<Tensor>>,
    pub(crate) label: Mutex<Option<String>>,
}

impl Tensor {
    /// A new tensor over `storage` viewed through `layout`, produced by `node` (None for a leaf).
    pub(crate) fn from_parts(storage: Arc<RwLock<Storage>>, layout: Layout, node: Option<Node>) -> Tensor {
        let dtype = storage.read().expect("storage lock poisoned").dtype();
        let requires_grad = node.is_some();
        Tensor(Arc::new(Inner {
            id: TensorId::next(),
            storage,
            layout,
            dtype,
            node,
            requires_grad,
            grad: Mutex::new(None),
            label: Mutex::new(None),
        }))
    }

    /// A new leaf owning fresh contiguous storage.
    pub(crate) fn from_storage(storage: Storage, shape: &[usize]) -> Tensor {
        Tensor::from_parts(Arc::new(RwLock::new(storage)), Layout::contiguous(shape), None)
    }

    /// The same data under another layout (a view), recorded with `node`.
    pub(crate) fn view_with(&self, layout: Layout, node: Option<Node>) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), layout, node)
    }

    /// This tensor's identity.
    pub fn id(&self) -> TensorId {
        self.0.id
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        self.0.layout.shape()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Where the data lives.
    pub fn device(&self) -> Device {
        self.0.storage.read().expect("storage lock poisoned").device()
    }

    /// The strided layout over the buffer.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    /// Whether the elements are packed in row-major order.
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// Whether gradients flow to or through this tensor.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// Whether this tensor was made by a recorded op (as opposed to a leaf).
    pub fn is_leaf(&self) -> bool {
        self.0.node.is_none()
    }

    /// A leaf over the same data that asks for gradients, like PyTorch's `requires_grad_()`.
    pub fn requires_grad_(&self) -> Tensor {
        Tensor(Arc::new(Inner {
            id: TensorId::next(),
            storage: self.0.storage.clone(),
            layout: self.0.layout.clone(),
            dtype: self.0.dtype,
            node: None,
            requires_grad: true,
            grad: Mutex::new(None),
            label: Mutex::new(self.label()),
        }))
    }

    /// A leaf over the same data, cut from the graph: no gradient flows through it.
    pub fn detach(&self) -> Tensor {
        if self.is_leaf() && !self.requires_grad() {
            return self.clone();
        }
        self.view_with(self.0.layout.clone(), None)
    }

    /// The gradient accumulated by [`Tensor::backward`], if any.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().expect("grad lock poisoned").clone()
    }

    /// Replaces the stored gradient.
    pub fn set_grad(&self, grad: Option<Tensor>) {
        *self.0.grad.lock().expect("grad lock poisoned") = grad;
    }

    /// Forgets the stored gradient (the next backward starts from zero).
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// A name shown in graph renderings, e.g. a parameter's `"fc1.weight"`.
    pub fn label(&self) -> Option<String> {
        self.0.label.lock().expect("label lock poisoned").clone()
    }

    /// Names this tensor in graph renderings.
    pub fn set_label(&self, label: impl Into<String>) {
        *self.0.label.lock().expect("label lock poisoned") = Some(label.into());
    }

    /// The op that produced this tensor, if recorded.
    pub(crate) fn node(&self) -> Option<&Node> {
        self.0.node.as_ref()
    }

    /// Whether two handles share a buffer.
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor[{:?}, {}]", self.shape(), self.dtype().name())?;
        if self.numel() <= 16 {
            write!(f, " {:?}", self.to_vec_f64())?;
        }
        Ok(())
    }
}
