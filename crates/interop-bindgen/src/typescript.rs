//! The model as TypeScript: interfaces with the JSON property names, unions of string
//! literals for enums, type aliases.

use std::fmt::Write;

use crate::model::{Def, Model, Ty};

pub(crate) fn render(model: &Model, header: &str) -> String {
    let mut out = format!("// {header}\n");
    for def in &model.defs {
        out.push('\n');
        match def {
            Def::Record { name, doc, fields } => {
                docs(&mut out, doc.as_deref(), "");
                let _ = writeln!(out, "export interface {name} {{");
                for field in fields {
                    docs(&mut out, field.doc.as_deref(), "  ");
                    let optional = if field.required { "" } else { "?" };
                    let _ = writeln!(
                        out,
                        "  {}{optional}: {};",
                        property(&field.json),
                        ty_name(&field.ty)
                    );
                }
                out.push_str("}\n");
            }
            Def::Enum { name, doc, values } => {
                docs(&mut out, doc.as_deref(), "");
                let union: Vec<String> = values.iter().map(|v| string(v)).collect();
                let _ = writeln!(out, "export type {name} = {};", union.join(" | "));
            }
            Def::Alias { name, doc, ty } => {
                docs(&mut out, doc.as_deref(), "");
                let _ = writeln!(out, "export type {name} = {};", ty_name(ty));
            }
        }
    }
    out
}

/// A property name as written in an interface: bare when it is an identifier.
fn property(json: &str) -> String {
    let identifier = json.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && json
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        json.to_owned()
    } else {
        string(json)
    }
}

/// A TypeScript string literal (JSON's quoting is valid TypeScript).
fn string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn ty_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "string".into(),
        Ty::Integer | Ty::Number => "number".into(),
        Ty::Boolean => "boolean".into(),
        Ty::Any => "unknown".into(),
        Ty::List(item) => match **item {
            Ty::Optional(_) => format!("({})[]", ty_name(item)),
            _ => format!("{}[]", ty_name(item)),
        },
        Ty::Map(value) => format!("Record<string, {}>", ty_name(value)),
        Ty::Optional(inner) => format!("{} | null", ty_name(inner)),
        Ty::Named(name) => name.clone(),
    }
}

fn docs(out: &mut String, doc: Option<&str>, indent: &str) {
    if let Some(doc) = doc {
        let _ = writeln!(out, "{indent}/** {} */", doc.replace("*/", "* /"));
    }
}
