//! The types a manifest's schemas describe, before any language: records (JSON objects
//! with known properties), enums (strings from a fixed list), and aliases for the rest.
//!
//! The JSON Schema subset read: `type` (one, or one with `"null"`), `properties`,
//! `required`, `additionalProperties`, `items`, `enum` of strings, `anyOf`/`oneOf` of one
//! schema and `{"type": "null"}`, and `description`. Anything else (`$ref`, unions of
//! several types, tuples) is "any JSON", which each language has a type for.

use serde_json::{Map, Value};

use crate::names::pascal;
use crate::BindgenError;

/// A type as used in a field, a list or an alias.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    /// Any JSON value.
    Any,
    List(Box<Ty>),
    /// A JSON object of any keys, each value of the type.
    Map(Box<Ty>),
    /// The type or null.
    Optional(Box<Ty>),
    /// A record or an enum, by its (Pascal-case) name.
    Named(String),
}

/// A property of a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// The property's name in JSON.
    pub json: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: Option<String>,
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Def {
    Record {
        name: String,
        doc: Option<String>,
        fields: Vec<Field>,
    },
    Enum {
        name: String,
        doc: Option<String>,
        values: Vec<String>,
    },
    Alias {
        name: String,
        doc: Option<String>,
        ty: Ty,
    },
}

impl Def {
    pub fn name(&self) -> &str {
        match self {
            Def::Record { name, .. } | Def::Enum { name, .. } | Def::Alias { name, .. } => name,
        }
    }
}

/// The named types of one manifest, in the order they were met.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub defs: Vec<Def>,
}

impl Model {
    /// Adds the type `schema` describes under `name` (Pascal case), from `origin` (the
    /// field of the manifest, for errors).
    pub fn add_root(
        &mut self,
        name: &str,
        schema: &Value,
        origin: &str,
    ) -> Result<(), BindgenError> {
        let doc = description(schema);
        let ty = self.ty(schema, name, origin)?;
        if ty != Ty::Named(name.to_owned()) {
            self.define(
                Def::Alias {
                    name: name.to_owned(),
                    doc,
                    ty,
                },
                origin,
            )?;
        }
        Ok(())
    }

    fn define(&mut self, def: Def, origin: &str) -> Result<(), BindgenError> {
        if self.defs.iter().any(|d| d.name() == def.name()) {
            return Err(BindgenError::NameClash {
                name: def.name().to_owned(),
                origin: origin.to_owned(),
            });
        }
        self.defs.push(def);
        Ok(())
    }

    /// The type of `schema`; records and enums in it are defined, named from `hint`.
    fn ty(&mut self, schema: &Value, hint: &str, origin: &str) -> Result<Ty, BindgenError> {
        let Value::Object(schema) = schema else {
            return Ok(Ty::Any);
        };
        if let Some(values) = string_enum(schema) {
            let def = Def::Enum {
                name: hint.to_owned(),
                doc: description_of(schema),
                values,
            };
            self.define(def, origin)?;
            return Ok(Ty::Named(hint.to_owned()));
        }
        if let Some(inner) = nullable_of(schema) {
            return Ok(Ty::Optional(Box::new(self.ty(inner, hint, origin)?)));
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ if schema.contains_key("properties") => vec!["object"],
            _ => return Ok(Ty::Any),
        };
        let (nullable, types): (Vec<&str>, Vec<&str>) =
            types.into_iter().partition(|t| *t == "null");
        let ty = match types.as_slice() {
            ["string"] => Ty::String,
            ["integer"] => Ty::Integer,
            ["number"] => Ty::Number,
            ["boolean"] => Ty::Boolean,
            ["array"] => {
                let item = schema.get("items").unwrap_or(&Value::Bool(true));
                Ty::List(Box::new(self.ty(item, &format!("{hint}Item"), origin)?))
            }
            ["object"] => self.object(schema, hint, origin)?,
            _ => Ty::Any,
        };
        Ok(if nullable.is_empty() || types.is_empty() {
            ty
        } else {
            Ty::Optional(Box::new(ty))
        })
    }

    fn object(
        &mut self,
        schema: &Map<String, Value>,
        hint: &str,
        origin: &str,
    ) -> Result<Ty, BindgenError> {
        let properties = schema.get("properties").and_then(Value::as_object);
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            let value = match schema.get("additionalProperties") {
                Some(s @ Value::Object(_)) => self.ty(s, &format!("{hint}Value"), origin)?,
                _ => Ty::Any,
            };
            return Ok(Ty::Map(Box::new(value)));
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // The record is defined before its fields' types, so it comes first in the output.
        let at = self.defs.len();
        self.define(
            Def::Alias {
                name: hint.to_owned(),
                doc: None,
                ty: Ty::Any,
            },
            origin,
        )?;
        let mut fields = Vec::with_capacity(properties.len());
        for (json, property) in properties {
            let ty = self.ty(property, &format!("{hint}{}", pascal(json)), origin)?;
            fields.push(Field {
                json: json.clone(),
                ty,
                required: required.contains(&json.as_str()),
                doc: description(property),
            });
        }
        self.defs[at] = Def::Record {
            name: hint.to_owned(),
            doc: description_of(schema),
            fields,
        };
        Ok(Ty::Named(hint.to_owned()))
    }
}

fn description(schema: &Value) -> Option<String> {
    schema.as_object().and_then(description_of)
}

fn description_of(schema: &Map<String, Value>) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The values of an `enum` made only of strings.
fn string_enum(schema: &Map<String, Value>) -> Option<Vec<String>> {
    let values = schema.get("enum")?.as_array()?;
    let strings: Vec<String> = values
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    (!strings.is_empty() && strings.len() == values.len()).then_some(strings)
}

/// `X` of `anyOf`/`oneOf: [X, {"type": "null"}]` (either order).
fn nullable_of(schema: &Map<String, Value>) -> Option<&Value> {
    let options = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))?
        .as_array()?;
    let is_null = |s: &Value| s.get("type") == Some(&Value::String("null".into()));
    match options.as_slice() {
        [a, b] if is_null(b) => Some(a),
        [a, b] if is_null(a) => Some(b),
        _ => None,
    }
}
