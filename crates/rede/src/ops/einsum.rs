//! Einstein summation, lowered to permutes, reshapes, sums and batched matrix
//! products (so its gradient is theirs). Operands are contracted left to right.

use crate::{Error, Result, Tensor};

const OP: &str = "einsum";

/// An operand with one letter per dimension.
struct Labeled {
    tensor: Tensor,
    letters: Vec<char>,
}

/// Splits `"ij,jk->ik"` into each operand's letters and the output's (implicit output:
/// the letters used once, in alphabetical order).
fn parse(equation: &str, operands: usize) -> Result<(Vec<Vec<char>>, Vec<char>)> {
    let equation: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (inputs, output) = match equation.split_once("->") {
        Some((i, o)) => (i.to_string(), Some(o.chars().collect::<Vec<_>>())),
        None => (equation.clone(), None),
    };
    let terms: Vec<Vec<char>> = inputs.split(',').map(|t| t.chars().collect()).collect();
    let all = terms.iter().flatten().chain(output.iter().flatten());
    if let Some(bad) = all.clone().find(|c| !c.is_ascii_alphabetic()) {
        return Err(Error::invalid(
            OP,
            format!("'{bad}' in \"{equation}\": only letters name dimensions (no ellipsis)"),
        ));
    }
    if terms.len() != operands {
        return Err(Error::invalid(OP, format!("\"{equation}\" has {} terms for {operands} operands", terms.len())));
    }
    let output = output.unwrap_or_else(|| {
        let mut once: Vec<char> = terms
            .iter()
            .flatten()
            .copied()
            .filter(|c| terms.iter().flatten().filter(|d| *d == c).count() == 1)
            .collect();
        once.sort_unstable();
        once
    });
    for (i, letters) in terms.iter().chain(std::iter::once(&output)).enumerate() {
        if let Some(c) = letters.iter().find(|c| letters.iter().filter(|d| d == c).count() > 1) {
            return Err(Error::invalid(OP, format!("'{c}' repeats within term {i} (diagonals are not supported)")));
        }
    }
    if let Some(c) = output.iter().find(|c| !terms.iter().flatten().any(|d| d == *c)) {
        return Err(Error::invalid(OP, format!("output letter '{c}' is not in any input")));
    }
    Ok((terms, output))
}

impl Labeled {
    fn size(&self, c: char) -> usize {
        self.tensor.shape()[self.position(c)]
    }

    fn position(&self, c: char) -> usize {
        self.letters.iter().position(|&d| d == c).expect("a letter of this operand")
    }

    /// Sums out the letters not in `keep`.
    fn sum_except(self, keep: &[char]) -> Result<Labeled> {
        let gone: Vec<isize> =
            (0..self.letters.len()).filter(|&i| !keep.contains(&self.letters[i])).map(|i| i as isize).collect();
        if gone.is_empty() {
            return Ok(self);
        }
        let letters = self.letters.iter().copied().filter(|c| keep.contains(c)).collect();
        Ok(Labeled { tensor: self.tensor.sum(&gone, false)?, letters })
    }

    /// The tensor with its dimensions in `order`, merged into groups of the given lengths.
    fn arranged(&self, order: &[char], groups: &[usize]) -> Result<Tensor> {
        let perm: Vec<usize> = order.iter().map(|&c| self.position(c)).collect();
        let permuted = self.tensor.permute(&perm)?;
        let mut shape = Vec::new();
        let mut start = 0;
        for &len in groups {
            shape.push(order[start..start + len].iter().map(|&c| self.size(c)).product());
            start += len;
        }
        permuted.reshape(&shape)
    }
}

/// Contracts two operands, keeping the letters in `keep` (needed later or in the output).
fn contract(a: Labeled, b: Labeled, keep: &[char]) -> Result<Labeled> {
    let a = a.sum_except(&[keep, &b.letters].concat())?;
    let b = b.sum_except(&[keep, &a.letters].concat())?;
    for &c in a.letters.iter().filter(|c| b.letters.contains(c)) {
        if a.size(c) != b.size(c) {
            return Err(Error::invalid(
                OP,
                format!("'{c}' has size {} in one operand and {} in another", a.size(c), b.size(c)),
            ));
        }
    }
    let shared: Vec<char> = a.letters.iter().copied().filter(|c| b.letters.contains(c)).collect();
    let batch: Vec<char> = shared.iter().copied().filter(|c| keep.contains(c)).collect();
    let summed: Vec<char> = shared.iter().copied().filter(|c| !keep.contains(c)).collect();
    let left: Vec<char> = a.letters.iter().copied().filter(|c| !shared.contains(c)).collect();
    let right: Vec<char> = b.letters.iter().copied().filter(|c| !shared.contains(c)).collect();
    // [batch, left, summed] · [batch, summed, right] = [batch, left, right].
    let lhs = a.arranged(&[&batch[..], &left, &summed].concat(), &[batch.len(), left.len(), summed.len()])?;
    let rhs = b.arranged(&[&batch[..], &summed, &right].concat(), &[batch.len(), summed.len(), right.len()])?;
    let product = lhs.matmul(&rhs)?;
    let letters: Vec<char> = [&batch[..], &left, &right].concat();
    let shape: Vec<usize> =
        letters.iter().map(|&c| if left.contains(&c) || batch.contains(&c) { a.size(c) } else { b.size(c) }).collect();
    Ok(Labeled { tensor: product.reshape(&shape)?, letters })
}

impl Tensor {
    /// Einstein summation (PyTorch's `torch.einsum`), e.g. `"ij,jk->ik"` (matrix product),
    /// `"bij,bjk->bik"` (batched), `"ij->ji"`, `"ii"` is not supported (no diagonals),
    /// `"i,i->"` (dot product) or `"ij->"` (sum). Without `->`, the output is the letters
    /// used once, in alphabetical order. Letters must have one size wherever they appear.
    pub fn einsum(equation: &str, operands: &[&Tensor]) -> Result<Tensor> {
        let (terms, output) = parse(equation, operands.len())?;
        let mut labeled = Vec::with_capacity(operands.len());
        for (t, letters) in operands.iter().zip(terms) {
            if letters.len() != t.rank() {
                return Err(Error::invalid(
                    OP,
                    format!("term \"{}\" for shape {:?}", letters.iter().collect::<String>(), t.shape()),
                ));
            }
            labeled.push(Labeled { tensor: (*t).clone(), letters });
        }
        let mut rest = labeled.into_iter();
        let mut acc = rest.next().ok_or_else(|| Error::invalid(OP, "needs at least one operand"))?;
        let later: Vec<Labeled> = rest.collect();
        for (i, next) in later.iter().enumerate() {
            let mut keep = output.clone();
            keep.extend(later[i + 1..].iter().flat_map(|l| l.letters.iter().copied()));
            let next = Labeled { tensor: next.tensor.clone(), letters: next.letters.clone() };
            acc = contract(acc, next, &keep)?;
        }
        let acc = acc.sum_except(&output)?;
        let perm: Vec<usize> = output.iter().map(|&c| acc.position(c)).collect();
        acc.tensor.permute(&perm)
    }
}
