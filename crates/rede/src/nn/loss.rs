//! Loss functions (PyTorch semantics): each takes tensors and returns a
//! differentiable tensor, a scalar unless the reduction is [`Reduction::None`].
//!
//! Class targets are tensors of whole numbers (stored as floats) in `[0, C)`;
//! an index out of range is an error naming it.

use super::Module;

mod probabilistic;
use crate::autograd::record;
use crate::backend::CrossEntropyTargets;
use crate::{no_grad, DType, Error, Result, Tensor};
pub use probabilistic::{binary_cross_entropy, binary_cross_entropy_with, cross_entropy_probs, kl_div, kl_div_with};

/// How per-element losses are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean (weighted by class weights where given). The default.
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one loss per sample (or element).
    None,
}

/// Options of [`cross_entropy_with`]. The default is the plain mean cross-entropy.
#[derive(Clone, Debug, Default)]
pub struct CrossEntropyOptions {
    /// A weight per class, shape `[C]`; the weighted mean divides by the sum of
    /// the weights of the samples' target classes (as PyTorch does).
    pub weight: Option<Tensor>,
    /// Label smoothing ε in `[0, 1]`: the target becomes (1−ε)·onehot + ε/C.
    pub label_smoothing: f64,
    /// How the per-sample losses are combined.
    pub reduction: Reduction,
    /// A target value whose samples count for nothing: no loss, no gradient, and not in
    /// the mean's denominator (PyTorch's `ignore_index`, e.g. −100 for padding).
    pub ignore_index: Option<i64>,
}

/// Mean cross-entropy of `logits` `[N, C]` against class indices `targets` `[N]`.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    cross_entropy_with(logits, targets, &CrossEntropyOptions::default())
}

/// Cross-entropy with class weights, label smoothing, ignored targets and a reduction,
/// fused with the log-softmax: the forward pass is stable for any finite logits, and
/// the graph gets a single node whose backward is `(softmax·Σ_c b − b)·g / norm`,
/// where `b` is the (weighted, smoothed) target distribution of each row; for
/// plain targets that is `(softmax − onehot)/N`.
///
/// `targets` are class indices `[N]`, or class probabilities `[N, C]` (the shape of
/// the logits), as in PyTorch; see [`cross_entropy_probs`] for the latter.
pub fn cross_entropy_with(logits: &Tensor, targets: &Tensor, options: &CrossEntropyOptions) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    if targets.rank() == 2 && targets.shape() == logits.shape() {
        return cross_entropy_probs(logits, targets, options);
    }
    let (n, c) = class_dims(OP, logits)?;
    let classes = class_targets_ignoring(OP, targets, n, c, options.ignore_index)?;
    let eps = options.label_smoothing;
    if !(0.0..=1.0).contains(&eps) {
        return Err(Error::invalid(OP, format!("label smoothing must be in [0, 1], got {eps}")));
    }
    let weight = class_weights(OP, options.weight.as_ref(), c)?;
    let norm = match options.reduction {
        Reduction::Mean => classes.iter().flatten().map(|&y| weight[y]).sum(),
        _ => 1.0,
    };
    let targets = CrossEntropyTargets { classes: &classes, weight: &weight, smoothing: eps, norm };
    let (losses, dlogits) = logits.softmax_cross_entropy(&targets)?;
    let out = match options.reduction {
        Reduction::Mean => losses.sum_all()?.div_scalar(norm),
        Reduction::Sum => losses.sum_all()?,
        Reduction::None => losses,
    };
    let reduction = options.reduction;
    Ok(record(out, OP, &[logits], move |g, _, _| {
        let g = if reduction == Reduction::None { g.unsqueeze(1)? } else { g.clone() };
        Ok(vec![Some(dlogits.mul(&g)?)])
    }))
}

/// Mean negative log-likelihood of `log_probs` `[N, C]` (e.g. from `log_softmax`) at `targets` `[N]`.
pub fn nll_loss(log_probs: &Tensor, targets: &Tensor) -> Result<Tensor> {
    nll_loss_with(log_probs, targets, None, Reduction::Mean)
}

/// Negative log-likelihood with optional class weights `[C]` (weighted mean divides
/// by the sum of the target classes' weights) and a reduction.
pub fn nll_loss_with(
    log_probs: &Tensor,
    targets: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "nll_loss";
    let (n, c) = class_dims(OP, log_probs)?;
    let classes = class_targets(OP, targets, n, c)?;
    let weight = class_weights(OP, weight, c)?;
    let target_weight: Vec<f64> = classes.iter().map(|&y| weight[y]).collect();
    let norm = match reduction {
        Reduction::Mean => target_weight.iter().sum(),
        _ => 1.0,
    };
    let index = Tensor::from_vec(classes.iter().map(|&y| y as f64).collect(), &[n, 1])?;
    let target_weight =
        Tensor::from_vec(target_weight, &[n])?.to_dtype(log_probs.dtype()).to_device(log_probs.device())?;
    let picked = log_probs.gather(1, &index)?.reshape(&[n])?;
    reduce(picked.mul(&target_weight)?.neg(), reduction, norm)
}

/// Mean binary cross-entropy of `logits` against `targets` in `[0, 1]` (same shape).
pub fn binary_cross_entropy_with_logits(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    binary_cross_entropy_with_logits_with(logits, targets, Reduction::Mean)
}

/// Binary cross-entropy on logits with a reduction, computed stably as
/// max(x, 0) − x·y + log(1 + e^−|x|) in one graph node. Backward: (σ(x) − y)·g
/// to the logits and −x·g to the targets (over N for the mean).
pub fn binary_cross_entropy_with_logits_with(
    logits: &Tensor,
    targets: &Tensor,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy_with_logits";
    same_shape(OP, logits, targets)?;
    let norm = match reduction {
        Reduction::Mean => logits.numel() as f64,
        _ => 1.0,
    };
    let out = no_grad(|| -> Result<Tensor> {
        let (x, y) = (logits.detach(), targets.detach());
        let elementwise = x.relu().sub(&x.mul(&y)?)?.add(&x.abs().neg().softplus())?;
        reduce(elementwise, reduction, norm)
    })?;
    Ok(record(out, OP, &[logits, targets], move |g, inputs, _| {
        let (x, y) = (&inputs[0], &inputs[1]);
        let g = g.div_scalar(norm);
        Ok(vec![Some(x.sigmoid().sub(y)?.mul(&g)?), Some(x.neg().mul(&g)?)])
    }))
}

/// Mean squared error.
pub fn mse_loss(prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
    mse_loss_with(prediction, target, Reduction::Mean)
}

/// Squared error with a reduction.
pub fn mse_loss_with(prediction: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape("mse_loss", prediction, target)?;
    reduce_elementwise(prediction.sub(target)?.square(), reduction)
}

/// Mean absolute error (L1 loss).
pub fn l1_loss(prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
    l1_loss_with(prediction, target, Reduction::Mean)
}

/// Absolute error with a reduction.
pub fn l1_loss_with(prediction: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape("l1_loss", prediction, target)?;
    reduce_elementwise(prediction.sub(target)?.abs(), reduction)
}

/// Mean Huber loss: ½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (PyTorch's `huber_loss`).
pub fn huber_loss(prediction: &Tensor, target: &Tensor, delta: f64) -> Result<Tensor> {
    huber_loss_with(prediction, target, delta, Reduction::Mean)
}

/// Huber loss with a reduction; `delta` must be positive.
pub fn huber_loss_with(prediction: &Tensor, target: &Tensor, delta: f64, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "huber_loss";
    same_shape(OP, prediction, target)?;
    if !(delta > 0.0 && delta.is_finite()) {
        return Err(Error::invalid(OP, format!("delta must be positive, got {delta}")));
    }
    let d = prediction.sub(target)?;
    let abs = d.abs();
    let quadratic = d.square().mul_scalar(0.5);
    let linear = abs.sub_scalar(0.5 * delta).mul_scalar(delta);
    reduce_elementwise(Tensor::where_cond(&abs.lt_scalar(delta), &quadratic, &linear)?, reduction)
}

/// Σ|w| over the module's weights (not biases: parameters whose last name part starts with `bias`),
/// for L1 regularization: add `λ·l1_penalty(&model)` to the loss.
pub fn l1_penalty<M: Module + ?Sized>(module: &M) -> Result<Tensor> {
    penalty(module, Tensor::abs)
}

/// Σw² over the module's weights (not biases), for L2 regularization (weight decay):
/// add `λ·l2_penalty(&model)` to the loss (no ½ factor).
pub fn l2_penalty<M: Module + ?Sized>(module: &M) -> Result<Tensor> {
    penalty(module, Tensor::square)
}

/// Whether a parameter is a bias: its last name part starts with `bias`, as in
/// `"0.bias"` or a recurrent layer's `"1.bias_ih_l0"` (PyTorch's names).
fn is_bias(name: &str) -> bool {
    name.rsplit('.').next().is_some_and(|last| last.starts_with("bias"))
}

fn penalty<M: Module + ?Sized>(module: &M, f: fn(&Tensor) -> Tensor) -> Result<Tensor> {
    let weights: Vec<Tensor> =
        module.named_parameters().into_iter().filter(|(name, _)| !is_bias(name)).map(|(_, w)| w).collect();
    let dtype = weights.first().map_or(DType::F32, Tensor::dtype);
    let mut total = Tensor::scalar(0.0, dtype);
    for w in &weights {
        total = total.add(&f(w).sum_all()?)?;
    }
    Ok(total)
}

/// Sums (or averages over `norm`) per-sample losses, or keeps them.
fn reduce(losses: Tensor, reduction: Reduction, norm: f64) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => Ok(losses.sum_all()?.div_scalar(norm)),
        Reduction::Sum => losses.sum_all(),
        Reduction::None => Ok(losses),
    }
}

fn reduce_elementwise(losses: Tensor, reduction: Reduction) -> Result<Tensor> {
    let n = losses.numel() as f64;
    reduce(losses, reduction, n)
}

fn same_shape(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch { op, lhs: a.shape().to_vec(), rhs: b.shape().to_vec() });
    }
    Ok(())
}

/// `(N, C)` of a `[N, C]` score matrix.
fn class_dims(op: &'static str, scores: &Tensor) -> Result<(usize, usize)> {
    match *scores.shape() {
        [n, c] if c > 0 => Ok((n, c)),
        _ => Err(Error::invalid(op, format!("expected scores of shape [N, C] with C > 0, got {:?}", scores.shape()))),
    }
}

/// The class indices of `targets` `[N]`, each a whole number in `[0, C)`.
fn class_targets(op: &'static str, targets: &Tensor, n: usize, c: usize) -> Result<Vec<usize>> {
    if targets.shape() != [n] {
        return Err(Error::invalid(op, format!("expected targets of shape [{n}], got {:?}", targets.shape())));
    }
    targets
        .to_vec_f64()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v.fract() != 0.0 || !(0.0..c as f64).contains(&v) {
                return Err(Error::invalid(
                    op,
                    format!("target class index {v} (sample {i}) is out of range for {c} classes"),
                ));
            }
            Ok(v as usize)
        })
        .collect()
}

/// The class indices of `targets` `[N]`, None where a target equals `ignore`.
fn class_targets_ignoring(
    op: &'static str,
    targets: &Tensor,
    n: usize,
    c: usize,
    ignore: Option<i64>,
) -> Result<Vec<Option<usize>>> {
    let Some(ignore) = ignore else {
        return Ok(class_targets(op, targets, n, c)?.into_iter().map(Some).collect());
    };
    let ignored: Vec<bool> = targets.to_vec_f64().iter().map(|&v| v == ignore as f64).collect();
    let kept = Tensor::where_cond(&targets.eq_scalar(ignore as f64), &targets.zeros_like(), targets)?;
    let classes = class_targets(op, &kept, n, c)?;
    Ok(classes.into_iter().zip(ignored).map(|(y, skip)| (!skip).then_some(y)).collect())
}

/// The class weights as numbers (all 1 when absent).
fn class_weights(op: &'static str, weight: Option<&Tensor>, c: usize) -> Result<Vec<f64>> {
    match weight {
        None => Ok(vec![1.0; c]),
        Some(w) if w.shape() == [c] => Ok(w.to_vec_f64()),
        Some(w) => Err(Error::invalid(op, format!("expected class weights of shape [{c}], got {:?}", w.shape()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Lstm, RnnConfig};
    use crate::Rng;

    #[test]
    fn penalties_skip_recurrent_biases() {
        assert!(is_bias("bias") && is_bias("2.bias") && is_bias("0.bias_hh_l1_reverse"));
        assert!(!is_bias("0.weight_ih_l0") && !is_bias("bias_net.weight"));
        let lstm = Lstm::with_dtype(RnnConfig::new(3, 4), DType::F64, &mut Rng::seed(0)).unwrap();
        let weights_only: f64 = lstm
            .named_parameters()
            .iter()
            .filter(|(name, _)| name.starts_with("weight"))
            .map(|(_, w)| w.square().sum_all().unwrap().item().unwrap())
            .sum();
        let l2 = l2_penalty(&lstm).unwrap().item().unwrap();
        assert!((l2 - weights_only).abs() < 1e-12, "{l2} vs {weights_only}");
    }
}
