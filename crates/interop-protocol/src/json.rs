//! Reading a manifest's JSON text without losing duplicate keys.
//!
//! `serde_json::Value` keeps the last of two equal keys in an object, so `{"name": "a",
//! "name": "b"}` would silently become `{"name": "b"}`: a reader of the file and the host
//! would disagree about what it says. [`parse`] drives serde_json's own parser with a
//! visitor that builds the same `Value` but records every duplicate key with the JSON path
//! of its object (`$.interop: duplicate key "protocol"`), so that they are reported with
//! the manifest's other problems. The parser's limits (nesting depth 128) are unchanged.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::validate::Problem;

/// Parses `text` as one JSON value; also returns a problem for each duplicate key.
pub(crate) fn parse(text: &str) -> Result<(Value, Vec<Problem>), serde_json::Error> {
    let duplicates = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Node {
        at: &Step::Root,
        duplicates: &duplicates,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((value, duplicates.into_inner()))
}

/// Where a value is: a chain of steps back to the document, turned into a JSON path only
/// when a duplicate is found there.
enum Step<'a> {
    Root,
    Key(&'a Step<'a>, &'a str),
    Index(&'a Step<'a>, usize),
}

impl Step<'_> {
    fn json_path(&self) -> String {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            match at {
                Step::Root => break,
                Step::Key(parent, key) => {
                    steps.push(PathPart::Key(key));
                    at = parent;
                }
                Step::Index(parent, i) => {
                    steps.push(PathPart::Index(*i));
                    at = parent;
                }
            }
        }
        let mut out = String::from("$");
        for step in steps.iter().rev() {
            match step {
                PathPart::Index(i) => out.push_str(&format!("[{i}]")),
                PathPart::Key(key) => crate::validate::push_key(&mut out, key),
            }
        }
        out
    }
}

enum PathPart<'a> {
    Key(&'a str),
    Index(usize),
}

/// Deserializes one value found at `at`.
struct Node<'a> {
    at: &'a Step<'a>,
    duplicates: &'a RefCell<Vec<Problem>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never produces a non-finite number; `Null` is what `Value` does too.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node {
            at: &Step::Index(self.at, items.len()),
            duplicates: self.duplicates,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Node {
                at: &Step::Key(self.at, &key),
                duplicates: self.duplicates,
            })?;
            if object.contains_key(&key) {
                self.duplicates.borrow_mut().push(Problem::new(
                    self.at.json_path(),
                    format!("duplicate key {}", Value::String(key.clone())),
                ));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicates(text: &str) -> Vec<String> {
        let (_, problems) = parse(text).unwrap();
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_document_without_duplicates_parses_as_serde_json_does() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": 18446744073709551615}"#;
        let (value, problems) = parse(text).unwrap();
        assert!(problems.is_empty());
        assert_eq!(value, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn duplicate_keys_are_named_with_the_path_of_their_object() {
        assert_eq!(
            duplicates(
                r#"{"name": "a", "interop": {"protocol": "wasm", "protocol": "js"}, "name": "b"}"#
            ),
            [
                r#"$.interop: duplicate key "protocol""#,
                r#"$: duplicate key "name""#
            ]
        );
        assert_eq!(
            duplicates(r#"{"actions": [{"name": "a"}, {"name": "b", "name": "c"}]}"#),
            [r#"$.actions[1]: duplicate key "name""#]
        );
        assert_eq!(
            duplicates(r#"{"x y": {"k": 1, "k": 2}}"#),
            [r#"$["x y"]: duplicate key "k""#]
        );
    }

    #[test]
    fn equal_keys_in_different_objects_are_not_duplicates() {
        assert!(
            duplicates(r#"{"a": {"k": 1}, "b": {"k": 1}, "k": [{"k": 1}, {"k": 2}]}"#).is_empty()
        );
    }

    #[test]
    fn syntax_errors_and_trailing_text_are_errors() {
        assert!(parse(r#"{"a": 1,}"#).is_err());
        assert!(parse(r#"{"a": 1} {}"#).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep)
            .unwrap_err()
            .to_string()
            .contains("recursion limit"));
    }
}
