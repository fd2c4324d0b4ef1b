//! The generated types are valid in their language (Rust parsed by `syn`, WIT resolved by
//! `wit-parser`, TypeScript checked by `tsc` when the repository's Node package has it
//! installed) and say what the schemas say.

use std::path::{Path, PathBuf};
use std::process::Command;

use interop_bindgen::{generate, BindgenError, Lang};
use interop_protocol::Manifest;
use serde_json::json;

/// A manifest whose schemas use every construct the generator reads.
fn manifest() -> Manifest {
    serde_json::from_value(json!({
        "name": "order-desk", "version": "1.2.0",
        "interop": {"protocol": "wasm", "wasmPath": "desk.wasm"},
        "actions": [
            {"name": "place_order",
             "inputSchema": {
                "type": "object", "description": "An order.",
                "required": ["customerName", "items", "type"],
                "properties": {
                    "customerName": {"type": "string", "description": "Who orders."},
                    "type": {"enum": ["pickup", "home-delivery", "2day"]},
                    "items": {"type": "array", "items": {
                        "type": "object", "required": ["sku"],
                        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}},
                    "note": {"type": ["string", "null"]},
                    "address": {"anyOf": [{"type": "object", "properties": {"city": {"type": "string"}}}, {"type": "null"}]},
                    "tags": {"type": "object", "additionalProperties": {"type": "number"}},
                    "extra": {},
                    "gift wrap": {"type": "boolean"}
                }},
             "outputSchema": {"type": "integer"}},
            {"name": "greet", "inputSchema": {"type": "string"},
             "outputSchema": {"type": "array", "items": {"type": ["string", "null"]}}}
        ],
        "providers": [{"name": "stats", "outputSchema": {"type": "object", "properties": {"open": {"type": "integer"}}}}]
    }))
    .unwrap()
}

#[test]
fn rust_types_parse_and_follow_the_schemas() {
    let rust = generate(&manifest(), Lang::Rust).unwrap();
    syn::parse_file(&rust).unwrap_or_else(|e| panic!("{e}:\n{rust}"));
    for expected in [
        "/// An order.\n#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\npub struct PlaceOrderInput {",
        "    /// Who orders.\n    #[serde(rename = \"customerName\")]\n    pub customer_name: String,",
        "    pub r#type: PlaceOrderInputType,",
        "    pub items: Vec<PlaceOrderInputItemsItem>,",
        "    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n    pub note: Option<String>,",
        "    pub address: Option<PlaceOrderInputAddress>,",
        "    pub tags: Option<std::collections::BTreeMap<String, f64>>,",
        "    pub extra: Option<serde_json::Value>,",
        "    #[serde(rename = \"gift wrap\", default, skip_serializing_if = \"Option::is_none\")]\n    pub gift_wrap: Option<bool>,",
        "    #[serde(rename = \"home-delivery\")]\n    HomeDelivery,",
        "    #[serde(rename = \"2day\")]\n    V22day,",
        "    pub qty: Option<i64>,",
        "pub type PlaceOrderOutput = i64;",
        "pub type GreetInput = String;",
        "pub type GreetOutput = Vec<Option<String>>;",
        "pub struct StatsProvider {",
    ] {
        assert!(rust.contains(expected), "missing {expected:?} in:\n{rust}");
    }
}

#[test]
fn wit_types_resolve_as_a_wit_package() {
    let wit = generate(&manifest(), Lang::Wit).unwrap();
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_str("types.wit", &wit)
        .unwrap_or_else(|e| panic!("{e:?}:\n{wit}"));
    for expected in [
        "package interop:order-desk-types@1.2.0;",
        "  record place-order-input {\n    /// Who orders.\n    customer-name: string,\n    %type: place-order-input-type,",
        "  enum place-order-input-type {\n    pickup,\n    home-delivery,\n    n2day,\n  }",
        "    tags: option<list<tuple<string, f64>>>,",
        "    extra: option<string>,",
        "  type greet-output = list<option<string>>;",
    ] {
        assert!(wit.contains(expected), "missing {expected:?} in:\n{wit}");
    }
}

/// `tsc` of the repository's Node package (installed by `cargo xtask setup`).
fn tsc() -> Option<PathBuf> {
    let tsc =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bindings/node/node_modules/.bin/tsc");
    tsc.is_file().then_some(tsc)
}

#[test]
fn typescript_types_follow_the_schemas_and_type_check() {
    let ts = generate(&manifest(), Lang::TypeScript).unwrap();
    for expected in [
        "/** An order. */\nexport interface PlaceOrderInput {\n  /** Who orders. */\n  customerName: string;",
        "  type: PlaceOrderInputType;",
        "  note?: string | null;",
        "  tags?: Record<string, number>;",
        "  extra?: unknown;",
        "  \"gift wrap\"?: boolean;",
        "export type PlaceOrderInputType = \"pickup\" | \"home-delivery\" | \"2day\";",
        "export type GreetOutput = (string | null)[];",
    ] {
        assert!(ts.contains(expected), "missing {expected:?} in:\n{ts}");
    }
    let Some(tsc) = tsc() else {
        eprintln!(
            "tsc is not installed (cargo xtask setup installs it): the text alone was checked"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let types = dir.path().join("types.ts");
    // Values of the generated types, so that tsc checks that they mean what they should.
    let usage = "\nconst order: PlaceOrderInput = { customerName: \"Ann\", type: \"2day\", \
                 items: [{ sku: \"a\" }], note: null, \"gift wrap\": true };\n\
                 const greeting: GreetOutput = [\"hi\", null];\nexport { order, greeting };\n";
    std::fs::write(&types, format!("{ts}{usage}")).unwrap();
    let out = Command::new(tsc)
        .args(["--noEmit", "--strict", "--target", "es2020"])
        .arg(&types)
        .output()
        .expect("run tsc");
    assert!(
        out.status.success(),
        "tsc: {}{}\n{ts}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_sample_manifest_gives_valid_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("plugins"))
        .unwrap()
        .map(|e| e.unwrap().path().join("plugin.json"))
        .filter(|p| p.is_file())
        .collect();
    manifests.sort();
    assert!(manifests.len() > 5);
    for path in manifests {
        let manifest = interop_protocol::load_manifest(&path).unwrap().manifest;
        let rust = generate(&manifest, Lang::Rust).unwrap();
        syn::parse_file(&rust).unwrap_or_else(|e| panic!("{}: {e}:\n{rust}", path.display()));
        let wit = generate(&manifest, Lang::Wit).unwrap();
        let mut resolve = wit_parser::Resolve::default();
        if let Err(e) = resolve.push_str("types.wit", &wit) {
            panic!("{}: {e:?}:\n{wit}", path.display());
        }
    }
}

#[test]
fn clashing_names_and_unknown_languages_are_refused() {
    let mut clash = manifest();
    clash.actions[1].name = "place-order".into();
    assert_eq!(
        generate(&clash, Lang::Rust),
        Err(BindgenError::NameClash {
            name: "PlaceOrderInput".into(),
            origin: "actions[1].inputSchema".into()
        })
    );
    assert!("python"
        .parse::<Lang>()
        .unwrap_err()
        .to_string()
        .contains("rust, typescript or wit"));
}
