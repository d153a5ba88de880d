//! A lookup table of learned vectors, indexed by token ids.

use super::conv::trainable;
use super::{LayerSpec, Module};
use crate::{DType, Error, Result, Rng, Tensor};

/// Maps whole-number ids (stored as floats, any shape `[...]`) to rows of a weight
/// `[num_embeddings, embedding_dim]`, giving `[..., embedding_dim]`. The gradient adds
/// back into the rows that were looked up.
pub struct Embedding {
    weight: Tensor,
}

impl Embedding {
    /// An f32 table initialized from N(0, 1), like PyTorch.
    pub fn new(num_embeddings: usize, embedding_dim: usize, rng: &mut Rng) -> Result<Embedding> {
        Embedding::with_dtype(num_embeddings, embedding_dim, DType::F32, rng)
    }

    /// A table of `dtype` initialized from N(0, 1).
    pub fn with_dtype(num_embeddings: usize, embedding_dim: usize, dtype: DType, rng: &mut Rng) -> Result<Embedding> {
        if num_embeddings == 0 || embedding_dim == 0 {
            return Err(Error::invalid("Embedding", "num_embeddings and embedding_dim must be positive"));
        }
        Embedding::from_tensor(Tensor::rand_normal(&[num_embeddings, embedding_dim], 0.0, 1.0, dtype, rng))
    }

    /// A table over a given weight `[num_embeddings, embedding_dim]`.
    pub fn from_tensor(weight: Tensor) -> Result<Embedding> {
        if weight.rank() != 2 {
            return Err(Error::invalid("Embedding", format!("weight must be [num, dim], got {:?}", weight.shape())));
        }
        Ok(Embedding { weight: trainable(&weight, "weight") })
    }

    /// The table `[num_embeddings, embedding_dim]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for Embedding {
    fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let rows = self.weight.index_select(0, &ids.reshape(&[ids.numel()])?)?;
        let mut shape = ids.shape().to_vec();
        shape.push(self.weight.shape()[1]);
        rows.reshape(&shape)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone())]
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Embedding { num_embeddings: self.weight.shape()[0], embedding_dim: self.weight.shape()[1] })
    }
}
