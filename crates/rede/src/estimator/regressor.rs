//! [`MlpRegressor`]: scikit-learn's `MLPRegressor`.

use super::common::shared_methods;
use super::input::check_targets;
use super::mlp::Mlp;
use crate::data::{Table, Task};
use crate::train::metrics;
use crate::{Error, Result, Tensor};

/// A multilayer-perceptron regressor with scikit-learn's parameters and
/// defaults ([`super::MlpParams`]): one linear output trained on half the squared error.
///
/// ```
/// use rede::estimator::{MlpParams, MlpRegressor, Solver};
/// use rede::{data::synthetic, Rng};
/// # fn main() -> rede::Result<()> {
/// let data = synthetic::sine(200, 0.05, &mut Rng::seed(0))?;
/// let params = MlpParams { hidden_layer_sizes: vec![32], solver: Solver::Lbfgs, random_state: Some(0), ..Default::default() };
/// let mut reg = MlpRegressor::new(params);
/// reg.fit(&data.x, &data.y)?;
/// assert!(reg.score(&data.x, &data.y)? > 0.9);
/// # Ok(())
/// # }
/// ```
pub struct MlpRegressor {
    pub(crate) inner: Mlp,
}

shared_methods!(MlpRegressor, Task::Regression);

impl MlpRegressor {
    /// Predictions `[n]` for the rows of `x` `[n, d]`, in the target's units.
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        self.unscale(&self.inner.outputs("predict", x)?)
    }

    /// Predictions for a table's rows, in the target's units.
    pub fn predict_table(&self, table: &Table) -> Result<Vec<f64>> {
        Ok(self.unscale(&self.inner.outputs_table("predict", table)?)?.to_vec_f64())
    }

    /// R² on `x` with true values `y`.
    pub fn score(&self, x: &Tensor, y: &Tensor) -> Result<f64> {
        let predicted = self.predict(x)?.to_vec_f64();
        check_targets("score", y, predicted.len())?;
        Ok(metrics::r2(&y.to_vec_f64(), &predicted))
    }

    /// R² on a table that holds the target column.
    pub fn score_table(&self, table: &Table) -> Result<f64> {
        let pipeline = &self.inner.fitted("score")?.pipeline;
        let truth = match table.column(pipeline.target_name()) {
            Some(crate::data::Column::Numeric(v)) => v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>(),
            _ => {
                let msg = format!("the table has no numeric target column '{}'", pipeline.target_name());
                return Err(Error::invalid("score", msg));
            }
        };
        Ok(metrics::r2(&truth, &self.predict_table(table)?))
    }

    /// Network outputs `[n, 1]` back in the target's units, as `[n]`.
    fn unscale(&self, out: &Tensor) -> Result<Tensor> {
        let n = out.shape()[0];
        self.inner.fitted("predict")?.pipeline.inverse_targets(out)?.reshape(&[n])
    }
}
