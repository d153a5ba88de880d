//! One browser tab's state: settings, data, network, loss history. Held in memory
//! only, and replaced when the settings change.

use super::config::{Config, DatasetName};
use super::data::{self, Points, Task};
use super::model::Model;
use rede::data::Table;
use serde_json::{json, Value};

/// Cells per side of the decision-boundary grid.
const GRID: usize = 48;
/// Samples of the regression curve.
const CURVE: usize = 200;
/// Most loss-curve points a frame carries (older epochs are thinned out).
const HISTORY_POINTS: usize = 400;

/// The precomputed tables of a data set and feature choice.
struct Tables {
    train: Table,
    test: Table,
    /// The boundary grid (or the curve's x values), features only.
    view: Table,
    /// The smaller grid of the neuron pictures.
    neurons: Table,
    neuron_side: usize,
}

/// A tab's training state.
pub struct Session {
    config: Config,
    upload: Option<Points>,
    train: Points,
    test: Points,
    bounds: [f32; 4],
    tables: Tables,
    model: Model,
    /// (epoch, train loss, test loss) after each epoch.
    history: Vec<(usize, f64, f64)>,
    /// Whether the page asked to train continuously.
    pub running: bool,
    /// Bumped on every change, so event streams know when to send a frame.
    pub version: u64,
    /// The last training error, shown on the page (training pauses on it).
    error: Option<String>,
}

impl Session {
    /// A session with the default settings.
    pub fn new() -> Session {
        Session::with(Config::default(), None).expect("the default settings are valid")
    }

    /// A fresh session for `config` (and the uploaded points, if any).
    fn with(config: Config, upload: Option<Points>) -> Result<Session, String> {
        config.validate()?;
        let points = match (config.dataset, &upload) {
            (DatasetName::Upload, Some(points)) => points.clone(),
            (DatasetName::Upload, None) => return Err("upload a CSV file first".into()),
            (name, _) => data::generate(name, config.noise, config.seed)?,
        };
        let (train, test) = points.split(config.test_fraction, config.seed)?;
        let bounds = data::bounds(&points.xy);
        let tables = tables(&config, &train, &test, bounds)?;
        let model = Model::new(&config, points.task)?;
        Ok(Session {
            config,
            upload,
            train,
            test,
            bounds,
            tables,
            model,
            history: Vec::new(),
            running: false,
            version: 0,
            error: None,
        })
    }

    /// Applies new settings: a new learning rate or schedule keeps the network,
    /// anything else starts over. Invalid settings leave the session as it was.
    pub fn configure(&mut self, config: Config) -> Result<(), String> {
        config.validate()?;
        if config.same_network(&self.config) {
            self.model.set_rate(&config)?;
            self.config = config;
        } else {
            let running = self.running;
            *self = Session { version: self.version, ..Session::with(config, self.upload.clone())? };
            self.running = running;
        }
        self.version += 1;
        Ok(())
    }

    /// Keeps uploaded points and switches to them.
    pub fn upload(&mut self, points: Points) -> Result<(), String> {
        let config = Config { dataset: DatasetName::Upload, ..self.config.clone() };
        let fresh = Session::with(config, Some(points))?;
        *self = Session { version: self.version + 1, ..fresh };
        Ok(())
    }

    /// A new network (and data) from the same settings; training stops.
    pub fn reset(&mut self) -> Result<(), String> {
        let fresh = Session::with(self.config.clone(), self.upload.clone())?;
        *self = Session { version: self.version + 1, ..fresh };
        Ok(())
    }

    /// Trains one epoch and records the losses; an error pauses training.
    pub fn step(&mut self) -> Result<(), String> {
        let result = self.try_step();
        if let Err(e) = &result {
            self.running = false;
            self.error = Some(e.clone());
        }
        self.version += 1;
        result
    }

    fn try_step(&mut self) -> Result<(), String> {
        self.model.epoch(&self.tables.train)?;
        let train = self.model.loss(&self.tables.train, &self.train.label)?;
        let test = self.model.loss(&self.tables.test, &self.test.label)?;
        if !(train.is_finite() && test.is_finite()) {
            return Err(format!("the loss diverged ({train}); lower the learning rate and reset"));
        }
        self.history.push((self.model.epoch, train, test));
        self.error = None;
        Ok(())
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The network.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The first training point's features (and label), for the one-step graph.
    pub fn first_train_row(&self) -> Result<Table, String> {
        self.tables.train.rows(&[0]).map_err(|e| e.to_string())
    }

    /// What the page needs to draw the data: settings, points and plane.
    pub fn state(&self) -> Value {
        let points = |p: &Points| json!({"xy": p.xy, "label": p.label});
        json!({
            "config": self.config,
            "task": task_json(self.train.task),
            "has_upload": self.upload.is_some(),
            "bounds": self.bounds,
            "train": points(&self.train),
            "test": points(&self.test),
            "limits": {"layers": super::config::MAX_LAYERS, "units": super::config::MAX_UNITS},
        })
    }

    /// What changes while training: losses, output, neurons, weights.
    pub fn frame(&self) -> Value {
        let last = self.history.last();
        let mut frame = json!({
            "version": self.version,
            "epoch": self.model.epoch,
            "running": self.running,
            "lr": self.model.lr,
            "train_loss": last.map(|h| h.1),
            "test_loss": last.map(|h| h.2),
            "history": self.thinned_history(),
            "error": self.error,
        });
        if self.model.is_fitted() {
            match self.picture() {
                Ok(parts) => frame.as_object_mut().expect("an object").extend(parts),
                Err(e) => frame["error"] = json!(e),
            }
        }
        frame
    }

    /// The output view, the neuron pictures and the weights.
    fn picture(&self) -> Result<serde_json::Map<String, Value>, String> {
        let predicted = self.model.predict(&self.tables.view)?;
        let output = match self.train.task {
            Task::Classes(_) => json!({
                "kind": "classes",
                "side": GRID,
                "class": predicted.iter().map(|p| p.0).collect::<Vec<_>>(),
                "confidence": predicted.iter().map(|p| round(p.1, 100.0)).collect::<Vec<_>>(),
            }),
            Task::Regression => json!({
                "kind": "curve",
                "x": curve_x(self.bounds),
                "y": predicted.iter().map(|p| round(p.1, 1000.0)).collect::<Vec<_>>(),
            }),
        };
        let layers = self.model.activations(&self.tables.neurons)?;
        let neurons: Vec<Vec<Vec<i8>>> = layers.iter().map(neuron_maps).collect();
        let weights: Vec<Vec<Vec<f32>>> = self
            .model
            .weights()
            .into_iter()
            .map(|layer| layer.into_iter().map(|row| row.into_iter().map(|w| round(w, 1000.0)).collect()).collect())
            .collect();
        let mut parts = serde_json::Map::new();
        parts.insert("output".into(), output);
        parts.insert("neuron_side".into(), json!(self.tables.neuron_side));
        parts.insert("neurons".into(), json!(neurons));
        parts.insert("weights".into(), json!(weights));
        Ok(parts)
    }

    /// At most [`HISTORY_POINTS`] evenly spaced entries of the loss history, the last included.
    fn thinned_history(&self) -> Value {
        let n = self.history.len();
        let stride = n.div_ceil(HISTORY_POINTS).max(1);
        let picked: Vec<&(usize, f64, f64)> =
            self.history.iter().enumerate().filter(|(i, _)| (n - 1 - i) % stride == 0).map(|(_, h)| h).collect();
        json!({
            "epoch": picked.iter().map(|h| h.0).collect::<Vec<_>>(),
            "train": picked.iter().map(|h| h.1).collect::<Vec<_>>(),
            "test": picked.iter().map(|h| h.2).collect::<Vec<_>>(),
        })
    }
}

/// The tables every epoch and frame reuse.
fn tables(config: &Config, train: &Points, test: &Points, bounds: [f32; 4]) -> Result<Tables, String> {
    let features = &config.features;
    let view_points = match train.task {
        Task::Classes(_) => data::grid(bounds, GRID),
        Task::Regression => curve_x(bounds).into_iter().map(|x| [x, 0.0]).collect(),
    };
    let units: usize = config.layers.iter().map(|l| l.units).sum();
    // Small pictures for big networks keep a frame to a few hundred kilobytes.
    let neuron_side = if units <= 64 { 16 } else { 8 };
    let neuron_points = match train.task {
        Task::Classes(_) => data::grid(bounds, neuron_side),
        // One-dimensional data: each picture is the unit's output along x1.
        Task::Regression => data::grid([bounds[0], bounds[1], 0.0, 0.0], neuron_side),
    };
    let unlabelled = |xy: &[[f32; 2]]| Table::new(data::feature_columns(xy, features)).map_err(|e| e.to_string());
    Ok(Tables {
        train: train.table(features, true)?,
        test: test.table(features, true)?,
        view: unlabelled(&view_points)?,
        neurons: unlabelled(&neuron_points)?,
        neuron_side,
    })
}

/// The x values of the regression curve.
fn curve_x(bounds: [f32; 4]) -> Vec<f32> {
    (0..CURVE).map(|i| bounds[0] + (bounds[1] - bounds[0]) * i as f32 / (CURVE - 1) as f32).collect()
}

/// Each unit's outputs over the picture grid, scaled to −100..100 by its largest
/// magnitude (the page only needs the pattern, and small integers keep frames small).
fn neuron_maps(layer: &rede::Tensor) -> Vec<Vec<i8>> {
    let [rows, units] = *layer.shape() else { return Vec::new() };
    let values = layer.to_vec_f32();
    (0..units)
        .map(|u| {
            let column: Vec<f32> = (0..rows).map(|r| values[r * units + u]).collect();
            let scale = column.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
            column.iter().map(|v| (v / scale * 100.0).round() as i8).collect()
        })
        .collect()
}

fn task_json(task: Task) -> Value {
    match task {
        Task::Classes(n) => json!({"kind": "classes", "classes": n}),
        Task::Regression => json!({"kind": "regression"}),
    }
}

/// `value` rounded to `1/scale`, for shorter JSON.
fn round(value: f32, scale: f32) -> f32 {
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::config::Layer;

    #[test]
    fn training_lowers_the_loss_and_frames_carry_the_pictures() {
        let mut session = Session::new();
        assert!(session.frame().get("output").is_none(), "no network before the first epoch");
        for _ in 0..40 {
            session.step().unwrap();
        }
        let frame = session.frame();
        let history = &frame["history"]["train"];
        let (first, last) = (history[0].as_f64().unwrap(), history[39].as_f64().unwrap());
        assert!(last < first * 0.8, "{first} -> {last}");
        assert_eq!(frame["output"]["class"].as_array().unwrap().len(), GRID * GRID);
        // Inputs x1, x2, then the hidden layers of 4 and 2 units.
        let widths: Vec<usize> =
            frame["neurons"].as_array().unwrap().iter().map(|l| l.as_array().unwrap().len()).collect();
        assert_eq!(widths, [2, 4, 2]);
        assert_eq!(frame["weights"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_rate_change_keeps_the_network_and_others_start_over() {
        let mut session = Session::new();
        session.step().unwrap();
        session.configure(Config { learning_rate: 0.01, ..Config::default() }).unwrap();
        assert_eq!(session.model().epoch, 1);
        let layer = Layer { units: 3, activation: super::super::config::Activation::Relu };
        session.configure(Config { layers: vec![layer], ..Config::default() }).unwrap();
        assert_eq!(session.model().epoch, 0);
        assert!(session.configure(Config { dataset: DatasetName::Upload, ..Config::default() }).is_err());
        assert_eq!(session.config().layers.len(), 1, "a refused change leaves the settings alone");
    }

    #[test]
    fn sine_is_drawn_as_a_curve() {
        let mut session = Session::with(Config { dataset: DatasetName::Sine, ..Config::default() }, None).unwrap();
        session.step().unwrap();
        assert_eq!(session.frame()["output"]["kind"], "curve");
    }
}
