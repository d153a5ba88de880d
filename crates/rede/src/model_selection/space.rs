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
    /// What the space was read from (a file name), for error messages.
    source: String,
}

/// The most configurations a grid search may try: the grid's size is computed
/// before any configuration is built, and a larger grid is refused.
pub const MAX_GRID: usize = 100_000;

impl SearchSpace {
    /// Parses a TOML space; `source` names it in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<SearchSpace> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            Error::file(source, format!("{at}{}", e.message()))
        })?;
        let mut space = SearchSpace { source: source.to_string(), ..SearchSpace::default() };
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

    /// Every combination of the listed values (grid search). Fails, naming the file and
    /// the parameter, on continuous distributions, and on grids of more than `MAX_GRID` (100,000)
    /// configurations (counted before any is built).
    pub fn grid(&self) -> Result<Vec<Config>> {
        let mut size = 1usize;
        for (name, dist) in &self.params {
            let count = match dist {
                Distribution::Choice(v) => v.len(),
                // The span of an i64 range always fits in u128.
                Distribution::IntUniform(lo, hi) => {
                    usize::try_from(*hi as i128 - *lo as i128 + 1).unwrap_or(usize::MAX)
                }
                _ => {
                    return Err(self
                        .error(name, "is a continuous distribution; list its values or use random search".to_string()))
                }
            };
            size = size.saturating_mul(count);
            if size > MAX_GRID {
                return Err(self.error(
                    name,
                    format!(
                        "makes the grid larger than {MAX_GRID} configurations; list fewer values or use random search"
                    ),
                ));
            }
        }
        let mut configs = vec![Config::new()];
        for (name, dist) in &self.params {
            let values: Vec<Value> = match dist {
                Distribution::Choice(v) => v.clone(),
                Distribution::IntUniform(lo, hi) => (*lo..=*hi).map(Value::from).collect(),
                _ => unreachable!("continuous distributions were refused above"),
            };
            configs = configs.into_iter().flat_map(|c| values.iter().map(move |v| with(&c, name, v.clone()))).collect();
        }
        Ok(configs)
    }

    /// An error about parameter `name`, naming the file and the parameter's line.
    fn error(&self, name: &str, msg: String) -> Error {
        let line = self.lines.get(name).copied().unwrap_or(0);
        Error::file(&self.source, format!("line {line}: parameter '{name}' {msg}"))
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
        Distribution::IntUniform(lo, hi) => Value::from(rng.int_in(*lo, *hi)),
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

/// Integer bounds, exact for integers (beyond 2^53 too); other numbers are rounded.
fn int_pair(value: &toml::Value) -> std::result::Result<(i64, i64), String> {
    let exact = value.as_array().filter(|a| a.len() == 2).and_then(|a| Some((a[0].as_integer()?, a[1].as_integer()?)));
    let (lo, hi) = match exact {
        Some(bounds) => bounds,
        None => pair(value).map(|(a, b)| (a.round() as i64, b.round() as i64))?,
    };
    if lo > hi {
        return Err(format!("bounds [{lo}, {hi}] must be increasing"));
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
                "int_uniform" => int_pair(arg).map(|(a, b)| Distribution::IntUniform(a, b)),
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
        let err = SearchSpace::from_toml(SPACE, "space.toml").unwrap().grid().unwrap_err().to_string();
        assert!(err.starts_with("space.toml: line 2: parameter 'lr' is a continuous"), "{err}");
    }

    #[test]
    fn integer_ranges_of_any_width_sample_and_grids_are_capped_before_building() {
        let s =
            SearchSpace::from_toml("n = { int_uniform = [-9223372036854775808, 9223372036854775807] }", "s").unwrap();
        assert_eq!(s.params["n"], Distribution::IntUniform(i64::MIN, i64::MAX));
        assert_eq!(s.sample(20, 3).len(), 20);
        let err = s.grid().unwrap_err().to_string();
        assert!(err.starts_with("s: line 1: parameter 'n'") && err.contains("100000"), "{err}");
        let wide: String = (0..8).map(|i| format!("p{i} = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n")).collect();
        let err = SearchSpace::from_toml(&wide, "wide.toml").unwrap().grid().unwrap_err().to_string();
        assert!(err.contains("wide.toml") && err.contains("'p5'"), "{err}");
        let small = SearchSpace::from_toml("n = { int_uniform = [2, 4] }\nm = [1, 2]", "s").unwrap();
        assert_eq!(small.grid().unwrap().len(), 6);
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
