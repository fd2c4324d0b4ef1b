//! The model as WIT: a package `interop:<plugin>-types` with an interface `types` of
//! records, enums and type aliases, for component guests. WIT has no "any JSON" type:
//! such values are a `string` of JSON text; maps are lists of key-value tuples.

use std::fmt::Write;

use interop_protocol::Manifest;

use crate::model::{Def, Model, Ty};
use crate::names::kebab;

/// WIT's keywords: an identifier named so is written `%name`.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "bool",
    "borrow",
    "char",
    "constructor",
    "enum",
    "export",
    "f32",
    "f64",
    "flags",
    "from",
    "func",
    "future",
    "import",
    "include",
    "interface",
    "list",
    "option",
    "own",
    "package",
    "record",
    "resource",
    "result",
    "s16",
    "s32",
    "s64",
    "s8",
    "static",
    "stream",
    "string",
    "tuple",
    "type",
    "u16",
    "u32",
    "u64",
    "u8",
    "use",
    "variant",
    "with",
    "world",
    "error-context",
];

pub(crate) fn render(model: &Model, header: &str, manifest: &Manifest) -> String {
    let version = if is_semver(&manifest.version) {
        format!("@{}", manifest.version)
    } else {
        String::new()
    };
    let package = match kebab(&manifest.name) {
        name if name.is_empty() => "plugin".to_owned(),
        name => name,
    };
    let mut out =
        format!("// {header}\npackage interop:{package}-types{version};\n\ninterface types {{\n");
    for (i, def) in model.defs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match def {
            Def::Record { name, doc, fields } => {
                docs(&mut out, doc.as_deref());
                let _ = writeln!(out, "  record {} {{", ident(name));
                for (i, field) in fields.iter().enumerate() {
                    if let Some(doc) = &field.doc {
                        let _ = writeln!(out, "    /// {}", doc.replace('\n', " "));
                    }
                    let ty = match (&field.ty, field.required) {
                        (Ty::Optional(_), _) | (_, true) => ty_name(&field.ty),
                        (ty, false) => ty_name(&Ty::Optional(Box::new(ty.clone()))),
                    };
                    let name = match ident(&field.json) {
                        name if name.is_empty() => format!("field{i}"),
                        name => name,
                    };
                    let _ = writeln!(out, "    {name}: {ty},");
                }
                out.push_str("  }\n");
            }
            Def::Enum { name, doc, values } => {
                docs(&mut out, doc.as_deref());
                let _ = writeln!(out, "  enum {} {{", ident(name));
                for (i, value) in values.iter().enumerate() {
                    let case = match ident(value) {
                        case if case.is_empty() => format!("case{i}"),
                        case => case,
                    };
                    let _ = writeln!(out, "    {case},");
                }
                out.push_str("  }\n");
            }
            Def::Alias { name, doc, ty } => {
                docs(&mut out, doc.as_deref());
                let _ = writeln!(out, "  type {} = {};", ident(name), ty_name(ty));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// A WIT identifier: kebab case, `%`-escaped when a keyword.
fn ident(name: &str) -> String {
    let name = kebab(name);
    if KEYWORDS.contains(&name.as_str()) {
        format!("%{name}")
    } else {
        name
    }
}

fn ty_name(ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Any => "string".into(),
        Ty::Integer => "s64".into(),
        Ty::Number => "f64".into(),
        Ty::Boolean => "bool".into(),
        Ty::List(item) => format!("list<{}>", ty_name(item)),
        Ty::Map(value) => format!("list<tuple<string, {}>>", ty_name(value)),
        Ty::Optional(inner) => format!("option<{}>", ty_name(inner)),
        Ty::Named(name) => ident(name),
    }
}

fn docs(out: &mut String, doc: Option<&str>) {
    if let Some(doc) = doc {
        let _ = writeln!(out, "  /// {}", doc.replace('\n', " "));
    }
}

/// `MAJOR.MINOR.PATCH` with digits, as a WIT package version needs at least.
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
}
