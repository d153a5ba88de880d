//! Test metrics of a model on a table: computed, printed, and as JSON fields.

use crate::load::numeric;
use crate::CliResult;
use rede::data::Table;
use rede::estimator::Estimator;
use rede::train::metrics::{self, ClassScores};
use serde_json::{json, Map, Value};

/// How well a model did on labelled data.
pub enum Evaluation {
    /// Classification metrics.
    Classes {
        /// Class labels, in index order.
        labels: Vec<String>,
        /// `confusion[true][predicted]`.
        confusion: Vec<Vec<usize>>,
        /// Share of right predictions.
        accuracy: f64,
        /// Unweighted mean of the per-class F1.
        f1_macro: f64,
        /// Precision, recall, F1 and support of each class.
        per_class: Vec<ClassScores>,
    },
    /// Regression metrics.
    Values {
        /// Root mean squared error.
        rmse: f64,
        /// Mean absolute error.
        mae: f64,
        /// Coefficient of determination.
        r2: f64,
    },
}

impl Evaluation {
    /// Runs `model` on `table` (which holds the target column) and scores it.
    pub fn of(model: &Estimator, table: &Table) -> CliResult<Evaluation> {
        Ok(match model {
            Estimator::Classifier(c) => {
                let truth: Vec<usize> =
                    c.pipeline().expect("fitted").targets(table)?.to_vec_f64().iter().map(|&v| v as usize).collect();
                let predicted = c.predict_indices_table(table)?;
                let labels = c.classes();
                let confusion = metrics::confusion_matrix(&truth, &predicted, labels.len());
                Evaluation::Classes {
                    accuracy: metrics::accuracy(&truth, &predicted),
                    f1_macro: metrics::macro_f1(&confusion),
                    per_class: metrics::per_class_scores(&confusion),
                    labels,
                    confusion,
                }
            }
            Estimator::Regressor(r) => {
                let truth = numeric(table, r.pipeline().expect("fitted").target_name())?;
                let predicted = r.predict_table(table)?;
                Evaluation::Values {
                    rmse: metrics::rmse(&truth, &predicted),
                    mae: metrics::mae(&truth, &predicted),
                    r2: metrics::r2(&truth, &predicted),
                }
            }
        })
    }

    /// Prints the report for `n` rows of `what` to stdout.
    pub fn print(&self, what: &str, n: usize) {
        match self {
            Evaluation::Classes { labels, confusion, accuracy, f1_macro, per_class } => {
                println!("\n{what} ({n} rows): accuracy {:.2}%, macro F1 {:.4}", accuracy * 100.0, f1_macro);
                print_per_class(labels, per_class);
                print_confusion(labels, confusion);
            }
            Evaluation::Values { rmse, mae, r2 } => {
                println!("\n{what} ({n} rows): RMSE {rmse:.6}, MAE {mae:.6}, R² {r2:.4}");
            }
        }
    }

    /// The metrics as `test_*` JSON fields.
    pub fn json_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Evaluation::Classes { labels, confusion, accuracy, f1_macro, per_class } => {
                m.insert("test_accuracy".into(), json!(accuracy));
                m.insert("test_f1_macro".into(), json!(f1_macro));
                let classes: Vec<Value> = labels
                    .iter()
                    .zip(per_class)
                    .map(|(l, s)| {
                        json!({"class": l, "precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support})
                    })
                    .collect();
                m.insert("test_per_class".into(), Value::Array(classes));
                m.insert("test_confusion_matrix".into(), json!(confusion));
                m.insert("classes".into(), json!(labels));
            }
            Evaluation::Values { rmse, mae, r2 } => {
                m.insert("test_r2".into(), json!(r2));
                m.insert("test_rmse".into(), json!(rmse));
                m.insert("test_mae".into(), json!(mae));
            }
        }
        m
    }
}

fn print_per_class(labels: &[String], scores: &[ClassScores]) {
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0).clamp(5, 24);
    println!("  {:>width$}  precision  recall     f1  support", "class");
    for (label, s) in labels.iter().zip(scores) {
        println!(
            "  {:>width$}  {:>9.4}  {:>6.4}  {:>5.4}  {:>7}",
            clip(label, width),
            s.precision,
            s.recall,
            s.f1,
            s.support
        );
    }
}

fn print_confusion(labels: &[String], confusion: &[Vec<usize>]) {
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1).clamp(4, 10);
    let count_width = confusion.iter().flatten().max().map_or(1, |m| m.to_string().len()).max(width);
    println!("  confusion matrix (rows: true class, columns: predicted)");
    let header: String = labels.iter().map(|l| format!(" {:>count_width$}", clip(l, count_width))).collect();
    println!("  {:>width$} {header}", "");
    for (label, row) in labels.iter().zip(confusion) {
        let cells: String = row.iter().map(|c| format!(" {c:>count_width$}")).collect();
        println!("  {:>width$} {cells}", clip(label, width));
    }
}

/// At most `width` characters of `s`.
fn clip(s: &str, width: usize) -> String {
    s.chars().take(width).collect()
}
