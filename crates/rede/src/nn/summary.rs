//! A Keras-like text summary of a model: each layer, its output shape and parameter count.

use super::{LayerSpec, Module};
use crate::{no_grad, DType, Result, Rng, Tensor};

/// One row of the table.
struct Row {
    layer: String,
    output: String,
    params: usize,
}

/// A table of the model's layers (the top-level children of a [`super::Sequential`],
/// or the module itself), each with its output shape and number of parameters,
/// and the total.
///
/// `input_shape` excludes the batch dimension (e.g. `&[784]`); shapes are shown
/// with `None` for the batch, like Keras. Each layer is run on a batch of zeros
/// under [`no_grad`]. The layers run are rebuilt from [`Module::spec`], so the
/// model itself is untouched (its dropout generators draw nothing).
pub fn summary(model: &dyn Module, input_shape: &[usize]) -> Result<String> {
    let dtype = model.parameters().first().map_or(DType::F32, Tensor::dtype);
    let layers = match model.spec() {
        Some(LayerSpec::Sequential { layers }) => layers,
        Some(single) => vec![single],
        None => return Err(crate::Error::invalid("summary", "the model has no LayerSpec (a user-defined module)")),
    };
    let mut rng = Rng::seed(0);
    let mut x = Tensor::zeros(&batched(input_shape), dtype);
    let mut rows = Vec::with_capacity(layers.len());
    for (i, spec) in layers.iter().enumerate() {
        let layer = spec.build_with_dtype(&mut rng, dtype)?;
        x = no_grad(|| layer.forward(&x))?;
        rows.push(Row {
            layer: format!("{i}: {}", spec.describe()),
            output: shape_text(x.shape()),
            params: layer.num_parameters(),
        });
    }
    Ok(render(&shape_text(&batched(input_shape)), &rows, model.num_parameters()))
}

/// The shape with a batch of one in front.
fn batched(input_shape: &[usize]) -> Vec<usize> {
    std::iter::once(1).chain(input_shape.iter().copied()).collect()
}

/// `(None, 512)` for a batched shape `[1, 512]`.
fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> =
        std::iter::once("None".to_string()).chain(shape[1..].iter().map(|d| d.to_string())).collect();
    if dims.len() == 1 {
        return "(None,)".into();
    }
    format!("({})", dims.join(", "))
}

/// 535818 → "535,818".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn render(input: &str, rows: &[Row], total: usize) -> String {
    let header = ("Layer (type)", "Output shape", "Param #");
    let w_layer = rows.iter().map(|r| r.layer.chars().count()).chain([header.0.len()]).max().unwrap_or(0);
    let w_output = rows.iter().map(|r| r.output.len()).chain([header.1.len(), input.len()]).max().unwrap_or(0);
    let w_params = rows.iter().map(|r| thousands(r.params).len()).chain([header.2.len()]).max().unwrap_or(0);
    let width = w_layer + w_output + w_params + 4;
    let line = |l: &str, o: &str, p: &str| {
        let text = format!("{l:<w_layer$}  {o:<w_output$}  {p:>w_params$}");
        format!("{}\n", text.trim_end())
    };
    let mut out = line(header.0, header.1, header.2);
    out.push_str(&"=".repeat(width));
    out.push('\n');
    out.push_str(&line("Input", input, ""));
    for r in rows {
        out.push_str(&line(&r.layer, &r.output, &thousands(r.params)));
    }
    out.push_str(&"=".repeat(width));
    out.push('\n');
    out.push_str(&format!("Total params: {}\n", thousands(total)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(535818), "535,818");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn shapes_show_the_batch_as_none() {
        assert_eq!(shape_text(&[1, 512]), "(None, 512)");
        assert_eq!(shape_text(&[1, 3, 4]), "(None, 3, 4)");
        assert_eq!(shape_text(&[1]), "(None,)");
    }
}
