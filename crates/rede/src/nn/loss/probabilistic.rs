//! Losses between probability distributions, composed from differentiable ops:
//! cross-entropy against class probabilities, KL divergence and binary
//! cross-entropy on probabilities.

use super::{class_dims, class_weights, reduce, reduce_elementwise, same_shape, CrossEntropyOptions, Reduction};
use crate::{Error, Result, Tensor};

/// Cross-entropy of `logits` `[N, C]` against class probabilities `targets` `[N, C]`:
/// −Σ_k w_k·p_k·log softmax(x)_k per sample, with label smoothing mixing the targets
/// with the uniform distribution; the mean divides by N (as PyTorch does for
/// probability targets, class weights or not). `ignore_index` does not apply.
pub fn cross_entropy_probs(logits: &Tensor, targets: &Tensor, options: &CrossEntropyOptions) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    let (n, c) = class_dims(OP, logits)?;
    same_shape(OP, logits, targets)?;
    if options.ignore_index.is_some() {
        return Err(Error::invalid(OP, "ignore_index applies to class indices, not to probability targets"));
    }
    let eps = options.label_smoothing;
    if !(0.0..=1.0).contains(&eps) {
        return Err(Error::invalid(OP, format!("label smoothing must be in [0, 1], got {eps}")));
    }
    let mut p = targets.affine(1.0 - eps, eps / c as f64);
    if options.weight.is_some() {
        let w = class_weights(OP, options.weight.as_ref(), c)?;
        p = p.mul(&Tensor::from_vec(w, &[c])?.to_dtype(logits.dtype()).to_device(logits.device())?)?;
    }
    let losses = p.mul(&logits.log_softmax(1)?)?.sum(&[1], false)?.neg();
    reduce(losses, options.reduction, n as f64)
}

/// Kullback–Leibler divergence KL(target ‖ input) summed over each sample and averaged
/// over the batch (PyTorch's `kl_div(..., reduction="batchmean")`, the true KL).
/// `input` holds log-probabilities; `target` probabilities, or log-probabilities with
/// `log_target`.
pub fn kl_div(input: &Tensor, target: &Tensor, log_target: bool) -> Result<Tensor> {
    let batch = input.shape().first().copied().unwrap_or(1).max(1);
    Ok(kl_div_with(input, target, log_target, Reduction::Sum)?.div_scalar(batch as f64))
}

/// The pointwise KL terms target·(log target − input), 0 where target is 0, with a
/// reduction (`Mean` averages over every element, as PyTorch's default).
pub fn kl_div_with(input: &Tensor, target: &Tensor, log_target: bool, reduction: Reduction) -> Result<Tensor> {
    same_shape("kl_div", input, target)?;
    let terms = if log_target {
        target.exp().mul(&target.sub(input)?)?
    } else {
        // target·log target with 0·log 0 = 0: take the log of 1 where target is 0.
        let zero = target.detach().le_scalar(0.0);
        let safe_log = target.masked_fill(&zero, 1.0)?.log();
        target.mul(&safe_log.sub(input)?)?
    };
    reduce_elementwise(terms, reduction)
}

/// Mean binary cross-entropy of probabilities `p` in `[0, 1]` against `targets` (same shape).
pub fn binary_cross_entropy(p: &Tensor, targets: &Tensor) -> Result<Tensor> {
    binary_cross_entropy_with(p, targets, None, Reduction::Mean)
}

/// Binary cross-entropy −w·(y·log p + (1 − y)·log(1 − p)) with optional per-element
/// weights and a reduction; each log is clamped at −100, as PyTorch does, so p = 0 or 1
/// gives a finite loss. Probabilities outside `[0, 1]` are an error.
pub fn binary_cross_entropy_with(
    p: &Tensor,
    targets: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy";
    same_shape(OP, p, targets)?;
    if let Some(bad) = p.to_vec_f64().into_iter().find(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::invalid(
            OP,
            format!("probabilities must be in [0, 1], got {bad} (use the logits version for scores)"),
        ));
    }
    let log = |t: Tensor| t.log().clamp(-100.0, f64::INFINITY);
    let positive = targets.mul(&log(p.clone()))?;
    let negative = targets.affine(-1.0, 1.0).mul(&log(p.affine(-1.0, 1.0)))?;
    let mut losses = positive.add(&negative)?.neg();
    if let Some(w) = weight {
        losses = losses.mul(w)?;
    }
    reduce_elementwise(losses, reduction)
}
