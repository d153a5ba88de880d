//! Transformer building blocks: layer normalization, multi-head self-attention
//! and learned positional embeddings, each with its [`LayerSpec`] variant.

use super::conv::{trainable, uniform_fan_in};
use super::{Initializer, LayerSpec, Linear, Module};
use crate::{DType, Error, Result, Rng, Tensor};

/// Layer normalization over the trailing `normalized_shape` dimensions, with a
/// learned per-element scale (`weight`, ones) and shift (`bias`, zeros), as PyTorch's.
pub struct LayerNorm {
    normalized_shape: Vec<usize>,
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    eps: f64,
}

impl LayerNorm {
    /// An f32 layer with PyTorch's defaults: eps 1e-5, learned scale and shift.
    pub fn new(normalized_shape: &[usize]) -> Result<LayerNorm> {
        LayerNorm::with_options(normalized_shape, 1e-5, true, DType::F32)
    }

    /// A layer with the given eps, with or without the learned scale and shift.
    pub fn with_options(normalized_shape: &[usize], eps: f64, affine: bool, dtype: DType) -> Result<LayerNorm> {
        if normalized_shape.is_empty() || normalized_shape.contains(&0) || eps.is_nan() || eps <= 0.0 {
            return Err(Error::invalid(
                "LayerNorm",
                format!(
                    "needs a non-empty normalized_shape of positive sizes and eps > 0, got {normalized_shape:?}, {eps}"
                ),
            ));
        }
        let weight = affine.then(|| trainable(&Tensor::ones(normalized_shape, dtype), "weight"));
        let bias = affine.then(|| trainable(&Tensor::zeros(normalized_shape, dtype), "bias"));
        Ok(LayerNorm { normalized_shape: normalized_shape.to_vec(), weight, bias, eps })
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.layer_norm(&self.normalized_shape, self.weight.as_ref(), self.bias.as_ref(), self.eps)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p: Vec<(String, Tensor)> = self.weight.iter().map(|w| ("weight".into(), w.clone())).collect();
        p.extend(self.bias.iter().map(|b| ("bias".into(), b.clone())));
        p
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::LayerNorm {
            normalized_shape: self.normalized_shape.clone(),
            eps: self.eps,
            elementwise_affine: self.weight.is_some(),
        })
    }
}

/// Multi-head self-attention over batch-first sequences `[N, T, E]`, with PyTorch's
/// parameter names and layout (`in_proj_weight` `[3E, E]` holding the query, key and
/// value projections, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`), so weights
/// move between the two. With `causal`, position t attends to positions ≤ t only.
pub struct MultiheadAttention {
    in_proj_weight: Tensor,
    in_proj_bias: Option<Tensor>,
    out_proj: Linear,
    num_heads: usize,
    causal: bool,
}

impl MultiheadAttention {
    /// An f32 layer with biases, initialized like PyTorch's (Glorot-uniform projections, zero biases).
    pub fn new(embed_dim: usize, num_heads: usize, causal: bool, rng: &mut Rng) -> Result<MultiheadAttention> {
        MultiheadAttention::with_options(embed_dim, num_heads, causal, true, DType::F32, rng)
    }

    /// A layer with or without biases, with parameters of `dtype`.
    pub fn with_options(
        embed_dim: usize,
        num_heads: usize,
        causal: bool,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<MultiheadAttention> {
        if embed_dim == 0 || num_heads == 0 || embed_dim % num_heads != 0 {
            return Err(Error::invalid(
                "MultiheadAttention",
                format!("embed_dim {embed_dim} must be a positive multiple of num_heads {num_heads}"),
            ));
        }
        let in_proj_weight = Initializer::GlorotUniform.init(&[3 * embed_dim, embed_dim], dtype, rng)?;
        // PyTorch's out_proj keeps nn.Linear's default weight init, U(±1/√fan_in), and a zero bias.
        let out_weight = uniform_fan_in(&[embed_dim, embed_dim], embed_dim, dtype, rng);
        let zeros = |n: usize| bias.then(|| Tensor::zeros(&[n], dtype));
        let out_proj = Linear::from_tensors(out_weight, zeros(embed_dim))?;
        MultiheadAttention::from_tensors(in_proj_weight, zeros(3 * embed_dim), out_proj, num_heads, causal)
    }

    /// A layer over given parameters: `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`
    /// and the output projection (E → E), as PyTorch stores them.
    pub fn from_tensors(
        in_proj_weight: Tensor,
        in_proj_bias: Option<Tensor>,
        out_proj: Linear,
        num_heads: usize,
        causal: bool,
    ) -> Result<MultiheadAttention> {
        let e = out_proj.in_features();
        let bias_fits = in_proj_bias.as_ref().is_none_or(|b| b.shape() == [3 * e]);
        if in_proj_weight.shape() != [3 * e, e] || out_proj.out_features() != e || !bias_fits {
            return Err(Error::invalid(
                "MultiheadAttention",
                format!(
                    "needs in_proj_weight [3E, E], in_proj_bias [3E] and out_proj E → E, got {:?} for E = {e}",
                    in_proj_weight.shape()
                ),
            ));
        }
        if num_heads == 0 || e % num_heads != 0 {
            return Err(Error::invalid(
                "MultiheadAttention",
                format!("embed_dim {e} must be a multiple of num_heads {num_heads}"),
            ));
        }
        Ok(MultiheadAttention {
            in_proj_weight: trainable(&in_proj_weight, "in_proj_weight"),
            in_proj_bias: in_proj_bias.map(|b| trainable(&b, "in_proj_bias")),
            out_proj,
            num_heads,
            causal,
        })
    }

    /// The model width E.
    pub fn embed_dim(&self) -> usize {
        self.in_proj_weight.shape()[1]
    }

    /// Attention of `query` `[N, Tq, E]` over `key` and `value` `[N, Tk, E]` (cross-attention
    /// when they differ), with an optional additive `mask` broadcasting to `[N, heads, Tq, Tk]`.
    pub fn attend(&self, query: &Tensor, key: &Tensor, value: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let e = self.embed_dim();
        for t in [query, key, value] {
            if t.rank() != 3 || t.shape()[2] != e || t.shape()[0] != query.shape()[0] {
                return Err(Error::invalid(
                    "MultiheadAttention",
                    format!("needs batch-first inputs [N, T, {e}], got {:?}", t.shape()),
                ));
            }
        }
        let project = |t: &Tensor, i: usize| -> Result<Tensor> {
            let w = self.in_proj_weight.narrow(0, i * e, e)?;
            let b = self.in_proj_bias.as_ref().map(|b| b.narrow(0, i * e, e)).transpose()?;
            self.split_heads(&t.linear(&w, b.as_ref())?)
        };
        let (q, k, v) = (project(query, 0)?, project(key, 1)?, project(value, 2)?);
        let heads = q.scaled_dot_product_attention(&k, &v, mask, self.causal)?;
        let (n, t) = (query.shape()[0], query.shape()[1]);
        self.out_proj.forward(&heads.transpose(1, 2)?.reshape(&[n, t, e])?)
    }

    /// `[N, T, E]` to `[N, heads, T, E/heads]`.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (n, t, e) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        x.reshape(&[n, t, self.num_heads, e / self.num_heads])?.transpose(1, 2)
    }
}

impl Module for MultiheadAttention {
    /// Self-attention of `x` `[N, T, E]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.attend(x, x, x, None)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("in_proj_weight".to_string(), self.in_proj_weight.clone())];
        p.extend(self.in_proj_bias.iter().map(|b| ("in_proj_bias".to_string(), b.clone())));
        p.extend(self.out_proj.named_parameters().into_iter().map(|(n, t)| (format!("out_proj.{n}"), t)));
        p
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::MultiheadAttention {
            embed_dim: self.embed_dim(),
            num_heads: self.num_heads,
            causal: self.causal,
            bias: self.in_proj_bias.is_some(),
        })
    }
}

/// Learned positional embeddings: adds row t of `weight` `[max_len, dim]` to position t
/// of a sequence `[N, T, dim]` (T ≤ max_len), as GPT-2's `wpe`.
pub struct PositionalEmbedding {
    weight: Tensor,
}

impl PositionalEmbedding {
    /// An f32 table initialized from N(0, 0.02²) (GPT-2's choice).
    pub fn new(max_len: usize, dim: usize, rng: &mut Rng) -> Result<PositionalEmbedding> {
        PositionalEmbedding::with_dtype(max_len, dim, DType::F32, rng)
    }

    /// A table of `dtype` initialized from N(0, 0.02²).
    pub fn with_dtype(max_len: usize, dim: usize, dtype: DType, rng: &mut Rng) -> Result<PositionalEmbedding> {
        if max_len == 0 || dim == 0 {
            return Err(Error::invalid("PositionalEmbedding", "max_len and dim must be positive"));
        }
        let weight = Tensor::rand_normal(&[max_len, dim], 0.0, 0.02, dtype, rng);
        Ok(PositionalEmbedding { weight: trainable(&weight, "weight") })
    }
}

impl Module for PositionalEmbedding {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (max_len, dim) = (self.weight.shape()[0], self.weight.shape()[1]);
        if x.rank() != 3 || x.shape()[2] != dim || x.shape()[1] > max_len {
            return Err(Error::invalid(
                "PositionalEmbedding",
                format!("needs [N, T ≤ {max_len}, {dim}], got {:?}", x.shape()),
            ));
        }
        x.add(&self.weight.narrow(0, 0, x.shape()[1])?)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone())]
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::PositionalEmbedding { max_len: self.weight.shape()[0], embedding_dim: self.weight.shape()[1] })
    }
}

/// Builds this family's specs (None for any other spec).
pub(crate) fn build_family(spec: &LayerSpec, dtype: DType, rng: &mut Rng) -> Option<Result<Box<dyn Module>>> {
    fn boxed<M: Module + 'static>(m: Result<M>) -> Result<Box<dyn Module>> {
        m.map(|m| Box::new(m) as Box<dyn Module>)
    }
    Some(match spec {
        LayerSpec::LayerNorm { normalized_shape, eps, elementwise_affine } => {
            boxed(LayerNorm::with_options(normalized_shape, *eps, *elementwise_affine, dtype))
        }
        LayerSpec::MultiheadAttention { embed_dim, num_heads, causal, bias } => {
            boxed(MultiheadAttention::with_options(*embed_dim, *num_heads, *causal, *bias, dtype, rng))
        }
        LayerSpec::PositionalEmbedding { max_len, embedding_dim } => {
            boxed(PositionalEmbedding::with_dtype(*max_len, *embedding_dim, dtype, rng))
        }
        _ => return None,
    })
}

/// PyTorch-style one-line descriptions of this family's specs (None for any other spec).
pub(crate) fn describe_family(spec: &LayerSpec) -> Option<String> {
    Some(match spec {
        LayerSpec::LayerNorm { normalized_shape, eps, elementwise_affine } => {
            format!("LayerNorm({normalized_shape:?}, eps={eps}, elementwise_affine={elementwise_affine})")
        }
        LayerSpec::MultiheadAttention { embed_dim, num_heads, causal, .. } => {
            format!("MultiheadAttention({embed_dim}, num_heads={num_heads}, causal={causal})")
        }
        LayerSpec::PositionalEmbedding { max_len, embedding_dim } => {
            format!("PositionalEmbedding({max_len}, {embedding_dim})")
        }
        _ => return None,
    })
}
