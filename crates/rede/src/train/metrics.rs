//! Classification and regression metrics over plain slices.

/// Fraction of predictions equal to the truth (0 for empty input).
pub fn accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    truth.iter().zip(predicted).filter(|(t, p)| t == p).count() as f64 / truth.len() as f64
}

/// `matrix[t][p]` counts samples of true class `t` predicted as `p`.
pub fn confusion_matrix(truth: &[usize], predicted: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        if t < classes && p < classes {
            m[t][p] += 1;
        }
    }
    m
}

/// Precision, recall and F1 of one class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassScores {
    /// Of the samples predicted as this class, the fraction that are.
    pub precision: f64,
    /// Of the samples of this class, the fraction predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of true samples of the class.
    pub support: usize,
}

/// Per-class precision, recall and F1 from a confusion matrix (0 where undefined, as scikit-learn).
pub fn per_class_scores(confusion: &[Vec<usize>]) -> Vec<ClassScores> {
    (0..confusion.len())
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = confusion.iter().map(|row| row[c]).sum();
            let support: usize = confusion[c].iter().sum();
            let precision = if predicted == 0 { 0.0 } else { tp / predicted as f64 };
            let recall = if support == 0 { 0.0 } else { tp / support as f64 };
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            ClassScores { precision, recall, f1, support }
        })
        .collect()
}

/// Unweighted mean of the per-class F1 scores.
pub fn macro_f1(confusion: &[Vec<usize>]) -> f64 {
    let scores = per_class_scores(confusion);
    if scores.is_empty() {
        return 0.0;
    }
    scores.iter().map(|s| s.f1).sum::<f64>() / scores.len() as f64
}

/// Coefficient of determination R² = 1 − SS_res/SS_tot (for constant truth: 1 if matched exactly, else 0).
pub fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    let n = truth.len() as f64;
    if truth.is_empty() {
        return 0.0;
    }
    let mean = truth.iter().sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|t| (t - mean).powi(2)).sum();
    let ss_res: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p).powi(2)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

/// Root mean squared error.
pub fn rmse(truth: &[f64], predicted: &[f64]) -> f64 {
    mean_of(truth.iter().zip(predicted).map(|(t, p)| (t - p).powi(2)), truth.len()).sqrt()
}

/// Mean absolute error.
pub fn mae(truth: &[f64], predicted: &[f64]) -> f64 {
    mean_of(truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()), truth.len())
}

fn mean_of(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    values.sum::<f64>() / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_scores_match_hand_counts() {
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 2, 0];
        assert!((accuracy(&truth, &pred) - 4.0 / 6.0).abs() < 1e-12);
        let cm = confusion_matrix(&truth, &pred, 3);
        assert_eq!(cm, vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]);
        let s = per_class_scores(&cm);
        assert!((s[1].precision - 2.0 / 3.0).abs() < 1e-12 && s[1].recall == 1.0);
        let f1_1 = 2.0 * (2.0 / 3.0) / (2.0 / 3.0 + 1.0);
        assert!((macro_f1(&cm) - (0.5 + f1_1 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn regression_scores() {
        let t = [1.0, 2.0, 3.0];
        assert_eq!(r2(&t, &t), 1.0);
        assert!((r2(&t, &[2.0, 2.0, 2.0])).abs() < 1e-12);
        assert!((rmse(&t, &[1.0, 2.0, 5.0]) - (4.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((mae(&t, &[0.0, 2.0, 4.0]) - 2.0 / 3.0).abs() < 1e-12);
    }
}
