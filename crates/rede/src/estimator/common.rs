//! The methods [`super::MlpClassifier`] and [`super::MlpRegressor`] share, written once.

/// Implements the shared methods on an estimator wrapping an `inner: Mlp`.
macro_rules! shared_methods {
    ($ty:ident, $task:expr) => {
        impl Default for $ty {
            fn default() -> Self {
                $ty::new($crate::estimator::MlpParams::default())
            }
        }

        impl $ty {
            /// An unfitted estimator with these hyperparameters.
            pub fn new(params: $crate::estimator::MlpParams) -> Self {
                $ty { inner: $crate::estimator::mlp::Mlp::new(params, $task) }
            }

            /// The hyperparameters.
            pub fn params(&self) -> &$crate::estimator::MlpParams {
                &self.inner.params
            }

            /// The estimator with this handling of table inputs (missing values, rare
            /// categories, columns that are not features) for the next `fit`.
            pub fn with_preprocessing(mut self, preprocessing: $crate::data::Preprocessing) -> Self {
                self.inner.preprocessing = preprocessing;
                self
            }

            /// Fits on features `x` `[n, d]` and targets `y` `[n]` (or `[n, 1]`), from scratch.
            pub fn fit(&mut self, x: &$crate::Tensor, y: &$crate::Tensor) -> $crate::Result<&mut Self> {
                self.inner.fit_tensors(x, y, None)?;
                Ok(self)
            }

            /// Fits on a table, predicting its column `target` (the other columns are
            /// the features: numeric ones standardized, text ones one-hot encoded).
            pub fn fit_table(&mut self, table: &$crate::data::Table, target: &str) -> $crate::Result<&mut Self> {
                self.inner.fit_table(table, target, None)?;
                Ok(self)
            }

            /// [`Self::fit_table`], telling `callback` about every batch and epoch (progress output).
            pub fn fit_table_with(
                &mut self,
                table: &$crate::data::Table,
                target: &str,
                callback: &mut dyn $crate::train::Callback,
            ) -> $crate::Result<&mut Self> {
                self.inner.fit_table(table, target, Some(callback))?;
                Ok(self)
            }

            /// [`Self::fit_table_with`], writing checkpoints as `plan` says; with `resume`,
            /// continuing the run that checkpoint file holds (same hyperparameters but
            /// `max_iter`, same data) exactly as it would have gone on, bit for bit for
            /// networks without dropout. A run that `callback` stops
            /// ([`crate::train::Callback::should_stop`]) writes a checkpoint and returns
            /// with [`crate::estimator::TrainingRecord::interrupted`] set.
            pub fn fit_table_checkpointed(
                &mut self,
                table: &$crate::data::Table,
                target: &str,
                callback: &mut dyn $crate::train::Callback,
                plan: &$crate::estimator::Checkpoints,
                resume: Option<&std::path::Path>,
            ) -> $crate::Result<&mut Self> {
                let hooks = $crate::estimator::mlp::Hooks { callback: Some(callback), plan: Some(plan), comm: None };
                self.inner.fit_checkpointed(table, target, hooks, resume)?;
                Ok(self)
            }

            /// [`Self::fit_table_checkpointed`] data-parallel with the other ranks of
            /// `comm`, which run the same fit on the same table: `batch_size` is each
            /// rank's batch (auto: 200), the trainer's global batch that times the
            /// ranks; every rank ends with the same weights (see
            /// [`crate::train::Trainer::with_communicator`]). Only rank 0 writes
            /// checkpoints; `callback` hears of every epoch on every rank.
            pub fn fit_table_distributed(
                &mut self,
                table: &$crate::data::Table,
                target: &str,
                callback: &mut dyn $crate::train::Callback,
                plan: Option<&$crate::estimator::Checkpoints>,
                resume: Option<&std::path::Path>,
                comm: &dyn $crate::distributed::Communicator,
            ) -> $crate::Result<&mut Self> {
                let hooks = $crate::estimator::mlp::Hooks { callback: Some(callback), plan, comm: Some(comm) };
                self.inner.fit_checkpointed(table, target, hooks, resume)?;
                Ok(self)
            }

            /// One epoch over `x`, `y`, continuing from the current weights and optimizer
            /// state. The first call also learns the standardization (and, for a
            /// classifier, the classes: it must contain all of them).
            pub fn partial_fit(&mut self, x: &$crate::Tensor, y: &$crate::Tensor) -> $crate::Result<&mut Self> {
                self.inner.partial_fit_tensors(x, y)?;
                Ok(self)
            }

            /// Sets the learning rate of the following `partial_fit` epochs, keeping the
            /// optimizer's state (moments, velocities): for a schedule the caller drives
            /// between `partial_fit` calls, which apply none of their own.
            pub fn set_learning_rate(&mut self, lr: f64) -> $crate::Result<()> {
                if !(lr > 0.0 && lr.is_finite()) {
                    return Err($crate::Error::invalid(
                        "set_learning_rate",
                        format!("learning rate {lr} must be positive"),
                    ));
                }
                self.inner.params.learning_rate_init = lr;
                if let Some(optimizer) = self.inner.fitted.as_mut().and_then(|f| f.optimizer.as_mut()) {
                    optimizer.set_learning_rate(lr);
                }
                Ok(())
            }

            /// [`Self::partial_fit`] on a table.
            pub fn partial_fit_table(
                &mut self,
                table: &$crate::data::Table,
                target: &str,
            ) -> $crate::Result<&mut Self> {
                self.inner.partial_fit_table(table, target)?;
                Ok(self)
            }

            /// Whether `fit` or `partial_fit` has run (or the estimator was loaded).
            pub fn is_fitted(&self) -> bool {
                self.inner.fitted.is_some()
            }

            /// What fitting recorded: loss curve, validation scores, best loss, iterations.
            pub fn record(&self) -> &$crate::estimator::TrainingRecord {
                &self.inner.record
            }

            /// Training loss of each epoch (scikit-learn's `loss_curve_`).
            pub fn loss_curve(&self) -> &[f64] {
                &self.inner.record.loss_curve
            }

            /// Validation score of each epoch, with `early_stopping` (`validation_scores_`).
            pub fn validation_scores(&self) -> &[f64] {
                &self.inner.record.validation_scores
            }

            /// The lowest training loss (`best_loss_`).
            pub fn best_loss(&self) -> Option<f64> {
                self.inner.record.best_loss
            }

            /// Epochs (or lbfgs iterations) run (`n_iter_`).
            pub fn n_iter(&self) -> usize {
                self.inner.record.n_iter
            }

            /// Weights of each linear layer, `[out, in]` (`coefs_` holds their transposes).
            pub fn coefs(&self) -> Vec<$crate::Tensor> {
                self.inner.coefs()
            }

            /// Bias of each linear layer (`intercepts_`).
            pub fn intercepts(&self) -> Vec<$crate::Tensor> {
                self.inner.intercepts()
            }

            /// The preprocessing learnt in `fit` (feature names, scaling, encodings, classes).
            pub fn pipeline(&self) -> Option<&$crate::data::FeaturePipeline> {
                self.inner.fitted.as_ref().map(|f| &f.pipeline)
            }

            /// The fitted network.
            pub fn module(&self) -> Option<&dyn $crate::nn::Module> {
                self.inner.fitted.as_ref().map(|f| &*f.model)
            }

            /// The metadata of the file the estimator was loaded from (empty otherwise).
            pub fn metadata(&self) -> &std::collections::BTreeMap<String, String> {
                &self.inner.metadata
            }

            /// Saves weights, architecture, preprocessing, hyperparameters and training
            /// record to a `.safetensors` file (atomically); `load` reads it back.
            pub fn save(&self, path: impl AsRef<std::path::Path>) -> $crate::Result<()> {
                self.save_with_metadata(path, &std::collections::BTreeMap::new())
            }

            /// [`Self::save`] with `extra` entries in the file's metadata (for example
            /// the command that trained it); they come back in `metadata()` after loading.
            pub fn save_with_metadata(
                &self,
                path: impl AsRef<std::path::Path>,
                extra: &std::collections::BTreeMap<String, String>,
            ) -> $crate::Result<()> {
                $crate::estimator::persist::save(&self.inner, path.as_ref(), extra)
            }

            /// The file [`Self::save`] writes, as bytes (to write it together with other
            /// files, see [`crate::io::StagedFiles`]).
            pub fn to_bytes(&self, extra: &std::collections::BTreeMap<String, String>) -> $crate::Result<Vec<u8>> {
                $crate::estimator::persist::to_bytes(&self.inner, extra)
            }
        }
    };
}
pub(crate) use shared_methods;
