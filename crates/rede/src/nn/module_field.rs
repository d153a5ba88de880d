//! How `#[derive(Module)]` reaches into a struct's fields: [`ModuleField`] for
//! tensors, modules and containers of them.

use super::Module;
use crate::Tensor;

/// A name under a prefix, joined with a dot as PyTorch writes it (`blocks.0.weight`).
fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}.{name}"),
    }
}

/// A field of a `#[derive(Module)]` struct: something holding tensors under a name.
/// Implemented for [`Tensor`] (itself, under the field's name), every [`Module`]
/// (its tensors under `field.`), and `Vec`, `Option`, arrays and `Box<dyn Module>`
/// of these (elements under `field.0.`, `field.1.`, …).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tensor, a module or a container of them",
    label = "#[derive(Module)] cannot find parameters in this field",
    note = "mark the field #[module(skip)] if it holds no tensors (a size, an option)"
)]
pub trait ModuleField {
    /// Appends the field's parameters, named under `name`.
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>);

    /// Appends the field's buffers, named under `name`.
    fn visit_buffers(&self, _name: &str, _out: &mut Vec<(String, Tensor)>) {}

    /// Switches the field's modules between training and evaluation.
    fn set_training(&mut self, _training: bool) {}
}

impl ModuleField for Tensor {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        out.push((name.to_string(), self.clone()));
    }
}

/// Prefixes each of `named` with `name`.
fn nest(name: &str, named: Vec<(String, Tensor)>, out: &mut Vec<(String, Tensor)>) {
    out.extend(named.into_iter().map(|(n, t)| (join(name, &n), t)));
}

impl<M: Module> ModuleField for M {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        nest(name, self.named_parameters(), out);
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        nest(name, self.named_buffers(), out);
    }

    fn set_training(&mut self, training: bool) {
        Module::set_training(self, training);
    }
}

impl ModuleField for Box<dyn Module> {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        nest(name, self.named_parameters(), out);
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        nest(name, self.named_buffers(), out);
    }

    fn set_training(&mut self, training: bool) {
        self.as_mut().set_training(training);
    }
}

impl<T: ModuleField> ModuleField for Option<T> {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        if let Some(inner) = self {
            inner.visit_parameters(name, out);
        }
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        if let Some(inner) = self {
            inner.visit_buffers(name, out);
        }
    }

    fn set_training(&mut self, training: bool) {
        if let Some(inner) = self {
            inner.set_training(training);
        }
    }
}

impl<T: ModuleField> ModuleField for [T] {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        for (i, item) in self.iter().enumerate() {
            item.visit_parameters(&join(name, &i.to_string()), out);
        }
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        for (i, item) in self.iter().enumerate() {
            item.visit_buffers(&join(name, &i.to_string()), out);
        }
    }

    fn set_training(&mut self, training: bool) {
        self.iter_mut().for_each(|item| item.set_training(training));
    }
}

impl<T: ModuleField, const N: usize> ModuleField for [T; N] {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        self[..].visit_parameters(name, out);
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        self[..].visit_buffers(name, out);
    }

    fn set_training(&mut self, training: bool) {
        self[..].set_training(training);
    }
}

impl<T: ModuleField> ModuleField for Vec<T> {
    fn visit_parameters(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        self[..].visit_parameters(name, out);
    }

    fn visit_buffers(&self, name: &str, out: &mut Vec<(String, Tensor)>) {
        self[..].visit_buffers(name, out);
    }

    fn set_training(&mut self, training: bool) {
        self[..].set_training(training);
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn names_join_with_dots_and_skip_empty_parts() {
        assert_eq!(join("blocks", "0"), "blocks.0");
        assert_eq!(join("", "weight"), "weight");
        assert_eq!(join("head", ""), "head");
    }
}
