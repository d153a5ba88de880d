//! `#[derive(Module)]` for rede, re-exported as `rede::nn::Module`.
//!
//! The derive writes a struct's `Module` implementation from its fields: the
//! parameters and buffers of every field, named as PyTorch names them
//! (`blocks.0.linear.weight`), and train/eval mode passed down to each field.
//! The output is computed by an inherent method the struct names with
//! `#[module(forward = method)]`.
//!
//! Field attributes:
//! - none: the field's tensors are parameters (a `Tensor`, a module, or a `Vec`,
//!   `Option`, array or `Box<dyn Module>` of them: anything implementing
//!   `rede::nn::ModuleField`);
//! - `#[module(buffer)]`: the field's tensors are buffers (saved, not trained);
//! - `#[module(training)]`: a `bool` that receives the train/eval mode;
//! - `#[module(skip)]`: not part of the module's state (sizes, options).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{quote, ToTokens};
use syn::{parse_macro_input, Data, DeriveInput, Error, Fields, Ident, Member, Result};

/// Implements `rede::nn::Module` from a struct's fields; see the crate docs.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(Error::into_compile_error).into()
}

/// What a field contributes to the module.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Parameters,
    Buffers,
    Training,
    Skip,
}

fn expand(input: &DeriveInput) -> Result<Tokens> {
    let forward = forward_method(input)?;
    let Data::Struct(data) = &input.data else {
        return Err(Error::new_spanned(&input.ident, "#[derive(Module)] needs a struct"));
    };
    let fields = match &data.fields {
        Fields::Named(f) => f.named.iter().collect::<Vec<_>>(),
        Fields::Unnamed(f) => f.unnamed.iter().collect(),
        Fields::Unit => Vec::new(),
    };
    let mut params = Vec::new();
    let mut buffers = Vec::new();
    let mut training = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let member = field.ident.clone().map_or_else(|| Member::Unnamed(index.into()), Member::Named);
        let name = match &member {
            Member::Named(ident) => ident.to_string().trim_start_matches("r#").to_string(),
            Member::Unnamed(i) => i.index.to_string(),
        };
        let field_trait = quote!(::rede::nn::ModuleField);
        match role(field)? {
            Role::Parameters => {
                params.push(quote!(#field_trait::visit_parameters(&self.#member, #name, &mut out);));
                buffers.push(quote!(#field_trait::visit_buffers(&self.#member, #name, &mut out);));
                training.push(quote!(#field_trait::set_training(&mut self.#member, training);));
            }
            Role::Buffers => buffers.push(quote!(#field_trait::visit_parameters(&self.#member, #name, &mut out);)),
            Role::Training => training.push(quote!(self.#member = training;)),
            Role::Skip => {}
        }
    }
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let named = quote!(::std::vec::Vec<(::std::string::String, ::rede::Tensor)>);
    Ok(quote! {
        impl #impl_generics ::rede::nn::Module for #ident #type_generics #where_clause {
            fn forward(&self, x: &::rede::Tensor) -> ::rede::Result<::rede::Tensor> {
                Self::#forward(self, x)
            }

            fn named_parameters(&self) -> #named {
                let mut out = ::std::vec::Vec::new();
                #(#params)*
                out
            }

            fn named_buffers(&self) -> #named {
                let mut out = ::std::vec::Vec::new();
                #(#buffers)*
                out
            }

            fn set_training(&mut self, training: bool) {
                let _ = training;
                #(#training)*
            }
        }
    })
}

/// The method named by `#[module(forward = method)]` on the struct.
fn forward_method(input: &DeriveInput) -> Result<Ident> {
    let mut method = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("forward") {
                return Err(meta.error("expected `forward = method` on the struct"));
            }
            method = Some(meta.value()?.parse::<Ident>()?);
            Ok(())
        })?;
    }
    let Some(method) = method else {
        return Err(Error::new_spanned(
            &input.ident,
            "#[derive(Module)] needs #[module(forward = method)] naming the inherent method \
             `fn method(&self, x: &Tensor) -> rede::Result<Tensor>` that computes the output",
        ));
    };
    if method == "forward" {
        // `Self::forward` would name the trait method itself when no inherent one exists.
        return Err(Error::new_spanned(
            method,
            "name an inherent method other than `forward` (Module::forward is the one being derived)",
        ));
    }
    Ok(method)
}

/// The role a field's `#[module(..)]` attribute gives it (parameters when none).
fn role(field: &syn::Field) -> Result<Role> {
    let mut role = Role::Parameters;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            let given = if meta.path.is_ident("buffer") {
                Role::Buffers
            } else if meta.path.is_ident("skip") {
                Role::Skip
            } else if meta.path.is_ident("training") {
                Role::Training
            } else {
                return Err(meta.error(format!(
                    "unknown field attribute `{}`: expected buffer, skip or training",
                    meta.path.to_token_stream()
                )));
            };
            if role != Role::Parameters {
                return Err(meta.error("a field takes one of buffer, skip or training"));
            }
            role = given;
            Ok(())
        })?;
    }
    Ok(role)
}
