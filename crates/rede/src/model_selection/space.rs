//! Parameter spaces: lists to choose from and distributions to sample, read
//! from TOML such as
//!
//! ```toml
//! hidden = [[64], [128, 64]]
//! lr = { log_uniform = [1e-4, 1e-1] }
//! activation = ["relu", "tanh"]
//! ```

use crate::{Error, Result, Rng};
use serde_json::Value;
use std::collections::BTreeMap;

/// One point of a space: parameter name → value (JSON values: numbers, strings, booleans, lists).
pub type Config = BTreeMap<String, Value>;

/// How one parameter varies.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// One of these values (all of them in a grid search).
    Choice(Vec<Value>),
    /// Uniform real in `[low, high]`.
    Uniform(f64, f64),
    /// Log-uniform real in `[low, high]` (both > 0): every decade equally likely.
    LogUniform(f64, f64),
    /// Uniform integer in `[low, high]`, both included.
    IntUniform(i64, i64),
}

/// Named distributions, in name order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchSpace {
    /// The parameters.
    pub params: BTreeMap<String, Distribution>,
    /// Line of each parameter in the source text, for error messages.
    lines: BTreeMap<String, usize>,
}

impl SearchSpace {
    /// Parses a TOML space; `source` names it in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<SearchSpace> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            Error::file(source, format!("{at}{}", e.message()))
        })?;
        let mut space = SearchSpace::default();
        for (key, value) in table {
            let line = line_of(text, &key);
            let dist = parse_distribution(&value)
                .map_err(|msg| Error::file(source, format!("line {line}: parameter '{key}': {msg}")))?;
            space.lines.insert(key.clone(), line);
            space.params.insert(key, dist);
        }
        if space.params.is_empty() {
            return Err(Error::file(source, "the space names no parameter"));
        }
        Ok(space)
    }

    /// Checks every parameter name is in `known`; the error names the first unknown one and its line.
    pub fn check_names(&self, known: &[&str], source: &str) -> Result<()> {
        match self.params.keys().find(|k| !known.contains(&k.as_str())) {
            Some(key) => Err(Error::file(
                source,
                format!(
                    "line {}: unknown parameter '{key}' (known: {})",
                    self.lines.get(key).copied().unwrap_or(0),
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// Every combination of the listed values (grid search); fails on continuous distributions.
    pub fn grid(&self) -> Result<Vec<Config>> {
        let mut configs = vec![Config::new()];
        for (name, dist) in &self.params {
            let values = match dist {
                Distribution::Choice(v) => v.clone(),
                Distribution::IntUniform(lo, hi) if hi - lo < 1000 => (*lo..=*hi).map(Value::from).collect(),
                _ => {
                    return Err(Error::invalid(
                        "grid search",
                        format!(
                            "parameter '{name}' is a continuous distribution; list its values or use random search"
                        ),
                    ))
                }
            };
            configs = configs.into_iter().flat_map(|c| values.iter().map(move |v| with(&c, name, v.clone()))).collect();
        }
        Ok(configs)
    }

    /// `n` configurations drawn independently with `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<Config> {
        let mut rng = Rng::seed(seed);
        (0..n).map(|_| self.params.iter().map(|(k, d)| (k.clone(), draw(d, &mut rng))).collect()).collect()
    }
}

fn with(config: &Config, name: &str, value: Value) -> Config {
    let mut c = config.clone();
    c.insert(name.to_string(), value);
    c
}

fn draw(dist: &Distribution, rng: &mut Rng) -> Value {
    match dist {
        Distribution::Choice(values) => values[rng.below(values.len())].clone(),
        Distribution::Uniform(lo, hi) => Value::from(lo + (hi - lo) * rng.uniform()),
        Distribution::LogUniform(lo, hi) => Value::from((lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp()),
        Distribution::IntUniform(lo, hi) => Value::from(lo + rng.below((hi - lo + 1) as usize) as i64),
    }
}

/// The 1-based line where `key = …` is written (0 if not found).
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix(key).or_else(|| l.strip_prefix(&format!("\"{key}\"")));
            rest.is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

fn to_json(value: &toml::Value) -> std::result::Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

fn pair(value: &toml::Value) -> std::result::Result<(f64, f64), String> {
    let bounds = value.as_array().filter(|a| a.len() == 2).ok_or("needs two bounds, like [1e-4, 1e-1]")?;
    let num =
        |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).ok_or("bounds must be numbers");
    let (lo, hi) = (num(&bounds[0])?, num(&bounds[1])?);
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(format!("bounds [{lo}, {hi}] must be finite and increasing"));
    }
    Ok((lo, hi))
}

fn parse_distribution(value: &toml::Value) -> std::result::Result<Distribution, String> {
    match value {
        toml::Value::Array(items) if items.is_empty() => Err("an empty list has nothing to choose".into()),
        toml::Value::Array(items) => {
            Ok(Distribution::Choice(items.iter().map(to_json).collect::<std::result::Result<_, _>>()?))
        }
        toml::Value::Table(t) if t.len() == 1 => {
            let (kind, arg) = t.iter().next().expect("one entry");
            match kind.as_str() {
                "uniform" => pair(arg).map(|(a, b)| Distribution::Uniform(a, b)),
                "log_uniform" => {
                    let (a, b) = pair(arg)?;
                    if a <= 0.0 {
                        return Err("log_uniform bounds must be positive".into());
                    }
                    Ok(Distribution::LogUniform(a, b))
                }
                "int_uniform" => pair(arg).map(|(a, b)| Distribution::IntUniform(a.round() as i64, b.round() as i64)),
                "choice" => parse_distribution(arg),
                other => {
                    Err(format!("unknown distribution '{other}' (use uniform, log_uniform, int_uniform or a list)"))
                }
            }
        }
        toml::Value::Table(_) => {
            Err("a distribution is a table with one entry, like { log_uniform = [1e-4, 1e-1] }".into())
        }
        scalar => Ok(Distribution::Choice(vec![to_json(scalar)?])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: &str =
        "hidden = [[64], [128, 64]]\nlr = { log_uniform = [1e-4, 1e-1] }\nactivation = [\"relu\", \"tanh\"]\n";

    #[test]
    fn parses_lists_and_distributions() {
        let s = SearchSpace::from_toml(SPACE, "space.toml").unwrap();
        assert_eq!(s.params["lr"], Distribution::LogUniform(1e-4, 1e-1));
        assert_eq!(s.params["activation"], Distribution::Choice(vec!["relu".into(), "tanh".into()]));
        let samples = s.sample(200, 1);
        assert!(samples.iter().all(|c| (1e-4..=1e-1).contains(&c["lr"].as_f64().unwrap())));
        let small = samples.iter().filter(|c| c["lr"].as_f64().unwrap() < 1e-2).count();
        assert!((100..=170).contains(&small), "two of three decades lie below 1e-2: {small}");
        assert_eq!(s.sample(5, 9), s.sample(5, 9));
    }

    #[test]
    fn grid_is_the_cartesian_product() {
        let s = SearchSpace::from_toml("a = [1, 2, 3]\nb = [\"x\", \"y\"]\n", "s").unwrap();
        assert_eq!(s.grid().unwrap().len(), 6);
        assert!(SearchSpace::from_toml(SPACE, "s").unwrap().grid().is_err());
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let s = SearchSpace::from_toml(SPACE, "space.toml").unwrap();
        let err = s.check_names(&["hidden", "lr"], "space.toml").unwrap_err().to_string();
        assert!(err.contains("space.toml") && err.contains("line 3") && err.contains("'activation'"), "{err}");
        let err = SearchSpace::from_toml("x = 1\nlr = { normal = [0, 1] }\n", "s.toml").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("'lr'") && err.contains("normal"), "{err}");
        let err = SearchSpace::from_toml("x = 1\nlr = [1e-4,\n", "s.toml").unwrap_err().to_string();
        assert!(err.contains("s.toml") && err.contains("line"), "{err}");
    }
}
