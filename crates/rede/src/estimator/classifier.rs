//! [`MlpClassifier`]: scikit-learn's `MLPClassifier`.

use super::common::shared_methods;
use super::input::check_targets;
use super::mlp::Mlp;
use crate::data::{Table, Task};
use crate::train::metrics;
use crate::{Result, Tensor};

/// A multilayer-perceptron classifier with scikit-learn's parameters and
/// defaults ([`super::MlpParams`]): softmax outputs trained on cross-entropy.
///
/// ```
/// use rede::estimator::{MlpClassifier, MlpParams};
/// use rede::{data::synthetic, Rng};
/// # fn main() -> rede::Result<()> {
/// let data = synthetic::moons(200, 0.1, &mut Rng::seed(0))?;
/// let params = MlpParams { hidden_layer_sizes: vec![16], learning_rate_init: 0.01, random_state: Some(0), ..Default::default() };
/// let mut clf = MlpClassifier::new(params);
/// clf.fit(&data.x, &data.y)?;
/// assert_eq!(clf.classes(), ["0", "1"]);
/// assert!(clf.score(&data.x, &data.y)? > 0.8);
/// assert_eq!(clf.predict_proba(&data.x)?.shape(), &[200, 2]);
/// # Ok(())
/// # }
/// ```
pub struct MlpClassifier {
    pub(crate) inner: Mlp,
}

shared_methods!(MlpClassifier, Task::Classification);

impl MlpClassifier {
    /// The class labels, in the order of `predict_proba`'s columns (empty before fitting).
    pub fn classes(&self) -> Vec<String> {
        self.inner.fitted.as_ref().and_then(|f| f.pipeline.class_labels()).unwrap_or_default()
    }

    /// Class probabilities `[n, classes]` of the rows of `x` `[n, d]`.
    pub fn predict_proba(&self, x: &Tensor) -> Result<Tensor> {
        self.inner.outputs("predict_proba", x)?.softmax(-1)
    }

    /// Class probabilities `[n, classes]` of a table's rows.
    pub fn predict_proba_table(&self, table: &Table) -> Result<Tensor> {
        self.inner.outputs_table("predict_proba", table)?.softmax(-1)
    }

    /// The index (into [`Self::classes`]) of each row's most probable class.
    pub fn predict_indices(&self, x: &Tensor) -> Result<Vec<usize>> {
        indices(&self.inner.outputs("predict", x)?)
    }

    /// The index (into [`Self::classes`]) of each table row's most probable class.
    pub fn predict_indices_table(&self, table: &Table) -> Result<Vec<usize>> {
        indices(&self.inner.outputs_table("predict", table)?)
    }

    /// The predicted class labels `[n]`: the label values when the classes are
    /// numbers (as fitted from a tensor), else indices into [`Self::classes`].
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        let classes = self.classes();
        let numeric: Option<Vec<f32>> = classes.iter().map(|c| c.parse::<f32>().ok()).collect();
        let predicted: Vec<f32> = self
            .predict_indices(x)?
            .into_iter()
            .map(|i| numeric.as_ref().map_or(i as f32, |values| values[i]))
            .collect();
        let n = predicted.len();
        Tensor::from_vec(predicted, &[n])
    }

    /// The predicted class label of each table row.
    pub fn predict_table(&self, table: &Table) -> Result<Vec<String>> {
        let classes = self.classes();
        Ok(self.predict_indices_table(table)?.into_iter().map(|i| classes[i].clone()).collect())
    }

    /// Accuracy on `x` with true labels `y`.
    pub fn score(&self, x: &Tensor, y: &Tensor) -> Result<f64> {
        let predicted = self.predict_indices(x)?;
        check_targets("score", y, predicted.len())?;
        let table = super::input::tensor_table("score", x, Some(y))?;
        let truth = self.inner.fitted("score")?.pipeline.targets(&table)?;
        Ok(metrics::accuracy(&as_indices(&truth), &predicted))
    }

    /// Accuracy on a table that holds the target column.
    pub fn score_table(&self, table: &Table) -> Result<f64> {
        let truth = self.inner.fitted("score")?.pipeline.targets(table)?;
        Ok(metrics::accuracy(&as_indices(&truth), &self.predict_indices_table(table)?))
    }
}

fn indices(logits: &Tensor) -> Result<Vec<usize>> {
    Ok(as_indices(&logits.argmax(-1)?))
}

fn as_indices(t: &Tensor) -> Vec<usize> {
    t.to_vec_f64().into_iter().map(|v| v as usize).collect()
}
