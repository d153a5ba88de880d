//! Turning a [`LayerSpec`] into a module, naming it for summaries, and reading
//! whole architectures from TOML or JSON files ([`ModelSpec`]).

use super::{Dropout, Gelu, Identity, Initializer, LayerSpec, LeakyRelu, Linear, Module, Relu, Sequential};
use super::{Sigmoid, Softmax, Tanh, Unflatten};
use crate::{DType, Error, Result, Rng};
use serde::{Deserialize, Serialize};
use std::path::Path;

impl LayerSpec {
    /// Builds the module this spec describes with f32 parameters, initializing them from `rng`.
    pub fn build(&self, rng: &mut Rng) -> Result<Box<dyn Module>> {
        self.build_with_dtype(rng, DType::F32)
    }

    /// Builds the module with parameters of element type `dtype`.
    ///
    /// The same spec and the same `rng` state give the same weights (and the same
    /// dropout masks). Invalid arguments (e.g. a dropout `p` of 1.5) are errors, and so are
    /// sizes over the [`limits`](super::limits), checked before anything is allocated.
    pub fn build_with_dtype(&self, rng: &mut Rng, dtype: DType) -> Result<Box<dyn Module>> {
        self.check_size(super::limits::max_parameters())?;
        Ok(match self {
            LayerSpec::Linear { in_features, out_features, bias, init } => {
                let init = init.unwrap_or(Initializer::default_for(None));
                Box::new(Linear::with_init(*in_features, *out_features, *bias, init, dtype, rng)?)
            }
            LayerSpec::Sequential { layers } => Box::new(Sequential::from_specs(layers, dtype, rng)?),
            LayerSpec::Identity => Box::new(Identity),
            LayerSpec::Sigmoid => Box::new(Sigmoid),
            LayerSpec::Tanh => Box::new(Tanh),
            LayerSpec::Relu => Box::new(Relu),
            LayerSpec::LeakyRelu { negative_slope } => Box::new(LeakyRelu::new(*negative_slope)?),
            LayerSpec::Gelu => Box::new(Gelu),
            LayerSpec::Softmax { axis } => Box::new(Softmax::new(*axis)),
            LayerSpec::Dropout { p } => Box::new(Dropout::new(*p, rng)?),
            LayerSpec::Unflatten { dim, sizes } => Box::new(Unflatten::new(*dim, sizes.clone())?),
            other => {
                return super::conv::build_family(other, dtype, rng).unwrap_or_else(|| {
                    Err(crate::Error::invalid("LayerSpec::build", format!("no builder for {other:?}")))
                })
            }
        })
    }

    /// A short, PyTorch-style name with the arguments, e.g. `Linear(784, 512)` or `Dropout(p=0.5)`.
    pub fn describe(&self) -> String {
        match self {
            LayerSpec::Linear { in_features, out_features, bias: true, .. } => {
                format!("Linear({in_features}, {out_features})")
            }
            LayerSpec::Linear { in_features, out_features, bias: false, .. } => {
                format!("Linear({in_features}, {out_features}, bias=false)")
            }
            LayerSpec::Sequential { layers } => format!("Sequential({} layers)", layers.len()),
            LayerSpec::Identity => "Identity".into(),
            LayerSpec::Sigmoid => "Sigmoid".into(),
            LayerSpec::Tanh => "Tanh".into(),
            LayerSpec::Relu => "ReLU".into(),
            LayerSpec::LeakyRelu { negative_slope } => format!("LeakyReLU({negative_slope})"),
            LayerSpec::Gelu => "GELU".into(),
            LayerSpec::Softmax { axis } => format!("Softmax(axis={axis})"),
            LayerSpec::Dropout { p } => format!("Dropout(p={p})"),
            LayerSpec::Unflatten { dim, sizes } => format!("Unflatten(dim={dim}, sizes={sizes:?})"),
            other => super::conv::describe_family(other),
        }
    }

    /// Parses a spec from JSON.
    pub fn from_json(json: &str) -> Result<LayerSpec> {
        serde_json::from_str(json).map_err(|e| crate::Error::invalid("LayerSpec::from_json", e.to_string()))
    }

    /// The spec as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a LayerSpec always serializes")
    }
}

/// An architecture file: the layers of a model, applied in order, and optionally the
/// shape each input row takes first. In TOML:
///
/// ```toml
/// input_shape = [1, 8, 8]   # rows of 64 features become 1×8×8 images
///
/// [[layers]]
/// type = "conv2d"
/// in_channels = 1
/// out_channels = 8
/// kernel_size = 3
/// padding = 1
///
/// [[layers]]
/// type = "relu"
///
/// [[layers]]
/// type = "flatten"
///
/// [[layers]]
/// type = "linear"
/// in_features = 512
/// out_features = 10
/// ```
///
/// JSON files hold the same object: `{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", …}, …]}`.
/// Each layer is a [`LayerSpec`] tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The shape of one input row without the batch (e.g. `[1, 28, 28]`); when given, an
    /// [`LayerSpec::Unflatten`] of dimension 1 into it runs before the layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<Vec<usize>>,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
}

impl ModelSpec {
    /// Reads an architecture file: `.toml` or `.json`, by its extension. Errors name the
    /// file and, for syntax and type errors, the line.
    pub fn read(path: impl AsRef<Path>) -> Result<ModelSpec> {
        let path = path.as_ref();
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let parse: fn(&str, &str) -> Result<ModelSpec> = match extension.as_deref() {
            Some("toml") => ModelSpec::from_toml,
            Some("json") => ModelSpec::from_json,
            _ => return Err(Error::file(path, "an architecture file must end in .toml or .json")),
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        parse(&text, &path.display().to_string())
    }

    /// Parses TOML text; `source` names it in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<ModelSpec> {
        let spec: ModelSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            Error::file(source, format!("{at}{}", e.message().trim_end()))
        })?;
        spec.validate(source)?;
        Ok(spec)
    }

    /// Parses JSON text; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<ModelSpec> {
        let spec: ModelSpec = serde_json::from_str(text).map_err(|e| {
            // serde_json ends its message with " at line L column C"; the place goes first instead.
            let message = e.to_string();
            let message = message.rfind(" at line ").map_or(message.as_str(), |end| &message[..end]);
            Error::file(source, format!("line {}, column {}: {message}", e.line(), e.column()))
        })?;
        spec.validate(source)?;
        Ok(spec)
    }

    /// Checks there are layers, the input shape is sensible and every layer builds
    /// (e.g. no dropout `p` of 1.5), naming the first bad layer by its position.
    fn validate(&self, source: &str) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::file(source, "the architecture has no layers (add [[layers]] tables with a type)"));
        }
        if let Some(shape) = &self.input_shape {
            if shape.is_empty() || shape.contains(&0) || shape.iter().any(|&s| s > super::limits::MAX_DIMENSION) {
                return Err(Error::file(
                    source,
                    format!("input_shape must list positive sizes up to 2^31, got {shape:?}"),
                ));
            }
        }
        let at = |i: usize, layer: &LayerSpec, e: Error| {
            Error::file(source, format!("layer {} ({}): {e}", i + 1, layer.describe()))
        };
        for (i, layer) in self.layers.iter().enumerate() {
            layer.footprint().map_err(|e| at(i, layer, e))?;
        }
        self.to_layer_spec()
            .check_size(super::limits::max_parameters())
            .map_err(|e| Error::file(source, e.to_string()))?;
        let mut rng = Rng::seed(0);
        for (i, layer) in self.layers.iter().enumerate() {
            layer.build(&mut rng).map_err(|e| at(i, layer, e))?;
        }
        Ok(())
    }

    /// The whole model as one [`LayerSpec::Sequential`], the unflattening first.
    pub fn to_layer_spec(&self) -> LayerSpec {
        let unflatten = self.input_shape.iter().map(|sizes| LayerSpec::Unflatten { dim: 1, sizes: sizes.clone() });
        LayerSpec::Sequential { layers: unflatten.chain(self.layers.iter().cloned()).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{no_grad, DType, Tensor};

    const CONV: &str = include_str!("../../tests/fixtures/digits_conv.toml");

    #[test]
    fn a_toml_file_becomes_a_working_model() {
        let spec = ModelSpec::from_toml(CONV, "conv.toml").unwrap();
        assert_eq!(spec.input_shape.as_deref(), Some(&[1, 8, 8][..]));
        let LayerSpec::Sequential { layers } = spec.to_layer_spec() else { panic!("a sequential spec") };
        assert_eq!(layers.len(), 6);
        assert_eq!(layers[0], LayerSpec::Unflatten { dim: 1, sizes: vec![1, 8, 8] });
        // Defaults fill what the file leaves out: stride 1, a bias, pooling stride = kernel.
        assert!(matches!(layers[1], LayerSpec::Conv2d { stride: [1, 1], padding: [1, 1], bias: true, .. }));
        assert!(matches!(layers[5], LayerSpec::Linear { bias: true, init: None, .. }));
        let model = spec.to_layer_spec().build(&mut Rng::seed(0)).unwrap();
        let out = no_grad(|| model.forward(&Tensor::zeros(&[3, 64], DType::F32))).unwrap();
        assert_eq!(out.shape(), &[3, 10]);
    }

    #[test]
    fn json_holds_the_same_object() {
        let toml = ModelSpec::from_toml(CONV, "conv.toml").unwrap();
        let json = serde_json::to_string(&toml).unwrap();
        assert_eq!(ModelSpec::from_json(&json, "conv.json").unwrap(), toml);
    }

    #[test]
    fn syntax_errors_name_the_source_and_line() {
        let err = ModelSpec::from_toml("[[layers]]\ntype = \"relu\"\nbroken =\n", "m.toml").unwrap_err().to_string();
        assert!(err.starts_with("m.toml: line 3"), "{err}");
        let err = ModelSpec::from_json("{\"layers\": [\n  {\"type\": \"relu\"},\n  oops\n]}", "m.json").unwrap_err();
        let err = err.to_string();
        assert!(err.starts_with("m.json: line 3, column 3: ") && !err.contains("at line"), "{err}");
    }

    #[test]
    fn unknown_layer_types_and_fields_are_named() {
        let text = "[[layers]]\ntype = \"relu\"\n\n[[layers]]\ntype = \"conv3d\"\n";
        let err = ModelSpec::from_toml(text, "m.toml").unwrap_err().to_string();
        assert!(err.contains("m.toml") && err.contains("conv3d") && err.contains("conv2d"), "{err}");
        let err = ModelSpec::from_toml("input_size = [3]\n[[layers]]\ntype = \"relu\"\n", "m.toml").unwrap_err();
        assert!(err.to_string().contains("input_size"), "{err}");
    }

    #[test]
    fn empty_or_unbuildable_architectures_are_refused() {
        let err = ModelSpec::from_toml("layers = []\n", "m.toml").unwrap_err().to_string();
        assert!(err.contains("no layers"), "{err}");
        let text = "[[layers]]\ntype = \"relu\"\n[[layers]]\ntype = \"dropout\"\np = 1.5\n";
        let err = ModelSpec::from_toml(text, "m.toml").unwrap_err().to_string();
        assert!(err.contains("layer 2") && err.contains("Dropout"), "{err}");
        let err = ModelSpec::from_toml("input_shape = []\n[[layers]]\ntype = \"relu\"\n", "m.toml").unwrap_err();
        assert!(err.to_string().contains("input_shape"), "{err}");
    }

    #[test]
    fn other_extensions_are_refused_before_reading() {
        let err = ModelSpec::read("model.yaml").unwrap_err().to_string();
        assert!(err.contains("model.yaml") && err.contains(".toml or .json"), "{err}");
    }
}
