//! Train/test splits as index vectors (use them with [`super::Dataset::subset`]
//! or [`super::Table::rows`]).

use crate::{Error, Result, Rng};

/// Shuffles `0..n` with `seed` and splits it: `ceil(n · test_fraction)`
/// indices for the test part (as scikit-learn rounds), the rest for training.
/// Returns `(train, test)`; both are non-empty.
pub fn train_test_split(n: usize, test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    check_fraction(test_fraction)?;
    let n_test = (n as f64 * test_fraction).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(Error::invalid(
            "train_test_split",
            format!("a test fraction of {test_fraction} of {n} samples leaves one part empty"),
        ));
    }
    let mut order = Rng::seed(seed).permutation(n);
    let train = order.split_off(n_test);
    Ok((train, order))
}

/// Like [`train_test_split`] but keeps each class's share: every class is
/// split on its own (`round(count · test_fraction)` test samples, at least
/// one in each part when the class has two or more samples; a class with a
/// single sample goes to training). `labels[i]` is the class of sample `i`.
/// Both parts are shuffled.
pub fn stratified_split(labels: &[usize], test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    check_fraction(test_fraction)?;
    let n_classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut by_class = vec![Vec::new(); n_classes];
    for (i, &c) in labels.iter().enumerate() {
        by_class[c].push(i);
    }
    let mut rng = Rng::seed(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut members in by_class.into_iter().filter(|m| !m.is_empty()) {
        rng.shuffle(&mut members);
        let count = members.len();
        let n_test = if count < 2 { 0 } else { ((count as f64 * test_fraction).round() as usize).clamp(1, count - 1) };
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    if train.is_empty() || test.is_empty() {
        let msg = format!("{} samples cannot be split with a test fraction of {test_fraction}", labels.len());
        return Err(Error::invalid("stratified_split", msg));
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    Ok((train, test))
}

fn check_fraction(f: f64) -> Result<()> {
    if !(f > 0.0 && f < 1.0) {
        return Err(Error::invalid("train_test_split", format!("test fraction {f} must be strictly between 0 and 1")));
    }
    Ok(())
}
