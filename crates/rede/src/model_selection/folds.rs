//! k-fold cross-validation splits.

use crate::{Error, Result, Rng};

/// Splits `0..n` into `n_splits` validation folds of near-equal size; each
/// sample lands in exactly one validation fold.
#[derive(Clone, Copy, Debug)]
pub struct KFold {
    /// Number of folds (at least 2).
    pub n_splits: usize,
    /// Shuffle the samples (with `seed`) before cutting the folds.
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: u64,
}

/// Like [`KFold`], but each fold keeps the class proportions of the whole set.
#[derive(Clone, Copy, Debug)]
pub struct StratifiedKFold {
    /// Number of folds (at least 2); a class with fewer members than folds is missing from some folds.
    pub n_splits: usize,
    /// Shuffle each class (with `seed`) before dealing it out.
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: u64,
}

/// (train indices, validation indices) of each fold.
pub type Folds = Vec<(Vec<usize>, Vec<usize>)>;

fn check(n_splits: usize, n: usize) -> Result<()> {
    if n_splits < 2 || n_splits > n {
        return Err(Error::invalid(
            "cross-validation",
            format!("{n_splits} folds need between 2 and {n} samples per split"),
        ));
    }
    Ok(())
}

/// Turns a fold number per sample into (train, validation) index lists.
fn folds_from_assignment(assignment: &[usize], n_splits: usize) -> Folds {
    (0..n_splits)
        .map(|k| {
            let (val, train): (Vec<usize>, Vec<usize>) = (0..assignment.len()).partition(|&i| assignment[i] == k);
            (train, val)
        })
        .collect()
}

impl KFold {
    /// The folds of `n` samples. Fold sizes differ by at most one.
    pub fn split(&self, n: usize) -> Result<Folds> {
        check(self.n_splits, n)?;
        let order: Vec<usize> = if self.shuffle { Rng::seed(self.seed).permutation(n) } else { (0..n).collect() };
        let mut assignment = vec![0; n];
        let (base, extra) = (n / self.n_splits, n % self.n_splits);
        let mut pos = 0;
        for k in 0..self.n_splits {
            let size = base + usize::from(k < extra);
            for &i in &order[pos..pos + size] {
                assignment[i] = k;
            }
            pos += size;
        }
        Ok(folds_from_assignment(&assignment, self.n_splits))
    }
}

impl StratifiedKFold {
    /// The folds for samples whose classes are `labels`: each class is dealt
    /// round-robin over the folds, so every fold holds its share of every class.
    pub fn split(&self, labels: &[usize]) -> Result<Folds> {
        check(self.n_splits, labels.len())?;
        let classes = labels.iter().max().map_or(0, |&m| m + 1);
        let mut rng = Rng::seed(self.seed);
        let mut assignment = vec![0; labels.len()];
        let mut next_fold = 0;
        for c in 0..classes {
            let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            if self.shuffle {
                rng.shuffle(&mut members);
            }
            // Continue where the previous class stopped so fold sizes stay balanced.
            for i in members {
                assignment[i] = next_fold;
                next_fold = (next_fold + 1) % self.n_splits;
            }
        }
        Ok(folds_from_assignment(&assignment, self.n_splits))
    }
}

/// Scores of `fit_and_score(train_indices, validation_indices)` on each fold.
pub fn cross_val_score(
    folds: &Folds,
    mut fit_and_score: impl FnMut(&[usize], &[usize]) -> Result<f64>,
) -> Result<Vec<f64>> {
    folds.iter().map(|(train, val)| fit_and_score(train, val)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn each_sample_validated_once(folds: &Folds, n: usize) {
        let mut seen = vec![0; n];
        for (train, val) in folds {
            assert_eq!(train.len() + val.len(), n);
            val.iter().for_each(|&i| seen[i] += 1);
            assert!(train.iter().all(|i| !val.contains(i)));
        }
        assert!(seen.iter().all(|&s| s == 1));
    }

    #[test]
    fn kfold_covers_every_sample_once_with_balanced_sizes() {
        let folds = KFold { n_splits: 3, shuffle: true, seed: 1 }.split(10).unwrap();
        each_sample_validated_once(&folds, 10);
        let sizes: Vec<usize> = folds.iter().map(|f| f.1.len()).collect();
        assert_eq!(sizes, vec![4, 3, 3]);
        assert!(KFold { n_splits: 1, shuffle: false, seed: 0 }.split(10).is_err());
    }

    #[test]
    fn stratified_folds_keep_class_proportions() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 5 == 0)).collect(); // 20% class 1
        let folds = StratifiedKFold { n_splits: 5, shuffle: true, seed: 3 }.split(&labels).unwrap();
        each_sample_validated_once(&folds, 100);
        for (_, val) in &folds {
            assert_eq!(val.len(), 20);
            assert_eq!(val.iter().filter(|&&i| labels[i] == 1).count(), 4);
        }
    }

    #[test]
    fn cross_val_score_calls_once_per_fold() {
        let folds = KFold { n_splits: 4, shuffle: false, seed: 0 }.split(8).unwrap();
        let scores = cross_val_score(&folds, |_, val| Ok(val[0] as f64)).unwrap();
        assert_eq!(scores, vec![0.0, 2.0, 4.0, 6.0]);
    }
}
