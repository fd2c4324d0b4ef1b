//! The model as Rust: serde structs, enums of renamed unit variants, type aliases.

use std::fmt::Write;

use crate::model::{Def, Field, Model, Ty};
use crate::names::{pascal, snake};

/// Rust's keywords: a field named so is written `r#name`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];
/// Keywords that cannot be raw identifiers: a field named so gets a `_` after it.
const NOT_RAW: &[&str] = &["crate", "self", "super", "Self"];

pub(crate) fn render(model: &Model, header: &str) -> String {
    let mut out = format!("//! {header}\n\nuse serde::{{Deserialize, Serialize}};\n");
    for def in &model.defs {
        out.push('\n');
        match def {
            Def::Record { name, doc, fields } => record(&mut out, name, doc.as_deref(), fields),
            Def::Enum { name, doc, values } => {
                docs(&mut out, doc.as_deref(), "");
                out.push_str(
                    "#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]\n",
                );
                let _ = writeln!(out, "pub enum {name} {{");
                for (i, value) in values.iter().enumerate() {
                    let variant = match pascal(value) {
                        v if v.is_empty() || v.starts_with(|c: char| c.is_ascii_digit()) => {
                            format!("V{i}{v}")
                        }
                        v => v,
                    };
                    let _ = writeln!(out, "    #[serde(rename = {value:?})]\n    {variant},");
                }
                out.push_str("}\n");
            }
            Def::Alias { name, doc, ty } => {
                docs(&mut out, doc.as_deref(), "");
                let _ = writeln!(out, "pub type {name} = {};", ty_name(ty));
            }
        }
    }
    out
}

fn record(out: &mut String, name: &str, doc: Option<&str>, fields: &[Field]) {
    docs(out, doc, "");
    out.push_str("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for (i, field) in fields.iter().enumerate() {
        docs(out, field.doc.as_deref(), "    ");
        let ident = ident(&field.json, i);
        let mut attrs = Vec::new();
        if ident.trim_start_matches("r#") != field.json {
            attrs.push(format!("rename = {:?}", field.json));
        }
        let ty = match (&field.ty, field.required) {
            (Ty::Optional(_), _) | (_, true) => ty_name(&field.ty),
            (ty, false) => ty_name(&Ty::Optional(Box::new(ty.clone()))),
        };
        if !field.required {
            attrs.push("default, skip_serializing_if = \"Option::is_none\"".into());
        }
        if !attrs.is_empty() {
            let _ = writeln!(out, "    #[serde({})]", attrs.join(", "));
        }
        let _ = writeln!(out, "    pub {ident}: {ty},");
    }
    out.push_str("}\n");
}

/// A field's identifier: snake case, raw when a keyword, made up when the JSON name has
/// no letters or digits.
fn ident(json: &str, index: usize) -> String {
    let name = snake(json);
    if name.is_empty() {
        format!("field_{index}")
    } else if name.starts_with(|c: char| c.is_ascii_digit()) || NOT_RAW.contains(&name.as_str()) {
        format!("_{name}")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

fn ty_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Integer => "i64".into(),
        Ty::Number => "f64".into(),
        Ty::Boolean => "bool".into(),
        Ty::Any => "serde_json::Value".into(),
        Ty::List(item) => format!("Vec<{}>", ty_name(item)),
        Ty::Map(value) => format!("std::collections::BTreeMap<String, {}>", ty_name(value)),
        Ty::Optional(inner) => format!("Option<{}>", ty_name(inner)),
        Ty::Named(name) => name.clone(),
    }
}

fn docs(out: &mut String, doc: Option<&str>, indent: &str) {
    for line in doc.into_iter().flat_map(str::lines) {
        let _ = writeln!(out, "{indent}/// {line}");
    }
}
