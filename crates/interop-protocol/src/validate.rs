//! Loading and validating a `plugin.json`.
//!
//! Validation reports every problem at once, each with the JSON path of the offending
//! value and what was expected, in three passes:
//! 1. the JSON Schema generated from the manifest types (types, required fields, unknown
//!    fields, patterns), with the `interop` section checked against the schema of the
//!    protocol it names, so that a typo gives one clear message instead of "not valid
//!    under any of the schemas listed in oneOf";
//! 2. deserialization into [`Manifest`];
//! 3. rules a schema cannot say: unique action and provider names, paths that stay inside
//!    the plugin directory, transports that name their endpoint, URL prefixes that parse.
//!
//! A manifest file is also refused when it is not a regular file (a FIFO would block the
//! reader), larger than [`MAX_MANIFEST_BYTES`], not UTF-8 or not JSON; a key given twice
//! in one object is a problem reported with the others. Every pass is linear in the size
//! of the manifest, so a hostile one costs its reading and no more.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::manifest::{Interop, IpcTransport, Protocol};
use crate::schema::manifest_schema;
use crate::Manifest;

/// The largest manifest file read, in bytes (16 MiB: far more than any real manifest,
/// little enough that reading and validating one is quick).
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// One thing wrong with a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a JSON path such as `$.actions[1].name` (`$` is the whole document).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The manifest file `path` names: `path` itself, or the `plugin.json` in it when it is a
/// directory holding one (as a user types `interop call plugins/greeter greet`).
fn manifest_file(path: &Path) -> PathBuf {
    let inside = path.join("plugin.json");
    if path.is_dir() && inside.is_file() {
        inside
    } else {
        path.to_path_buf()
    }
}

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{}: cannot read manifest: {source}", path.display())]
    Io {
        /// The manifest file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_MANIFEST_BYTES`].
    #[error("{}: manifest is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The manifest file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not JSON.
    #[error("{}:{line}:{column}: not valid JSON: {message}", path.display())]
    Json {
        /// The manifest file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON is not a valid manifest.
    #[error("{}: invalid manifest:\n{}", path.display(), format_problems(problems))]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn format_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A validated manifest and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedManifest {
    /// The manifest.
    pub manifest: Manifest,
    /// The `plugin.json` file it was read from.
    pub path: PathBuf,
    /// The plugin directory: relative paths in the manifest are resolved against it.
    pub dir: PathBuf,
}

impl LoadedManifest {
    /// Wraps a manifest built in code, whose relative paths resolve against `dir`.
    /// It is validated like a file would be.
    pub fn from_manifest(
        manifest: Manifest,
        dir: impl Into<PathBuf>,
    ) -> Result<Self, ManifestError> {
        let dir = dir.into();
        let path = dir.join("plugin.json");
        let value = serde_json::to_value(&manifest).map_err(|e| ManifestError::Invalid {
            path: path.clone(),
            problems: vec![Problem::new("$", e.to_string())],
        })?;
        let manifest =
            validate_value(&value, Some(&dir)).map_err(|problems| ManifestError::Invalid {
                path: path.clone(),
                problems,
            })?;
        Ok(LoadedManifest {
            manifest,
            path,
            dir,
        })
    }

    /// A path named by the manifest, resolved against the plugin directory.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }
}

/// Reads and validates the manifest at `path` (a `plugin.json`, or a plugin directory
/// holding one).
pub fn load_manifest(path: impl AsRef<Path>) -> Result<LoadedManifest, ManifestError> {
    let path = manifest_file(path.as_ref());
    let io = |source| ManifestError::Io {
        path: path.clone(),
        source,
    };
    let mut bytes = Vec::new();
    crate::files::open_regular(&path)
        .and_then(|file| file.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            path,
            limit: MAX_MANIFEST_BYTES,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        ))
    })?;
    let (value, mut problems) = crate::json::parse(&text).map_err(|e| ManifestError::Json {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Duplicate keys come first: the other problems were found in what the last of each
    // duplicate said.
    match validate_value(&value, Some(&dir)) {
        Ok(manifest) if problems.is_empty() => Ok(LoadedManifest {
            manifest,
            path,
            dir,
        }),
        result => {
            problems.extend(result.err().unwrap_or_default());
            Err(ManifestError::Invalid { path, problems })
        }
    }
}

/// Validates a manifest given as JSON. With `dir`, paths are also checked against the
/// plugin directory on disk (symlinks included).
pub fn validate_value(value: &Value, dir: Option<&Path>) -> Result<Manifest, Vec<Problem>> {
    let mut problems = schema_problems(value);
    if !problems.is_empty() {
        return Err(problems);
    }
    let manifest: Manifest = match serde_json::from_value(value.clone()) {
        Ok(m) => m,
        Err(e) => return Err(vec![Problem::new("$", e.to_string())]),
    };
    semantic_problems(&manifest, dir, &mut problems);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(problems)
    }
}

struct Validators {
    whole: jsonschema::Validator,
    /// The schema of each protocol's `interop` section, to report its problems precisely.
    interop: Vec<(Protocol, jsonschema::Validator)>,
}

fn validators() -> &'static Validators {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let schema = manifest_schema();
        let build = |s: &Value| {
            jsonschema::validator_for(s)
                .unwrap_or_else(|e| unreachable!("the generated schema is valid: {e}"))
        };
        let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
        let interop = Protocol::ALL
            .iter()
            .filter_map(|p| {
                // Each variant of the internally tagged `Interop` is one `oneOf` branch;
                // find it by its `protocol` constant and give it the shared `$defs`.
                let mut branch = schema
                    .pointer("/$defs/Interop/oneOf")?
                    .as_array()?
                    .iter()
                    .find(|b| {
                        b.pointer("/properties/protocol/const")
                            .and_then(Value::as_str)
                            == Some(p.as_str())
                    })?
                    .clone();
                if let Value::Object(map) = &mut branch {
                    map.insert("$defs".into(), defs.clone());
                }
                Some((*p, build(&branch)))
            })
            .collect();
        Validators {
            whole: build(&schema),
            interop,
        }
    })
}

fn schema_problems(value: &Value) -> Vec<Problem> {
    let v = validators();
    let mut problems = Vec::new();
    for err in v.whole.iter_errors(value) {
        let pointer = err.instance_path().to_string();
        if pointer == "/interop" {
            // Replaced below by the precise problems of the named protocol.
            continue;
        }
        problems.extend(describe(&pointer, &err));
    }
    if let Some(interop) = value.get("interop") {
        problems.extend(interop_problems(interop, &v.interop));
    }
    problems
}

fn interop_problems(
    interop: &Value,
    by_protocol: &[(Protocol, jsonschema::Validator)],
) -> Vec<Problem> {
    let expected = Protocol::ALL.map(|p| format!("\"{p}\"")).join(", ");
    let Some(obj) = interop.as_object() else {
        return vec![Problem::new(
            "$.interop",
            format!("expected an object with a `protocol` field, got {interop}"),
        )];
    };
    let Some(protocol) = obj.get("protocol") else {
        return vec![Problem::new(
            "$.interop.protocol",
            format!("missing; expected one of {expected}"),
        )];
    };
    let Some((_, validator)) = by_protocol
        .iter()
        .find(|(p, _)| Some(p.as_str()) == protocol.as_str())
    else {
        return vec![Problem::new(
            "$.interop.protocol",
            format!("unknown protocol {protocol}; expected one of {expected}"),
        )];
    };
    validator
        .iter_errors(interop)
        .flat_map(|err| describe(&format!("/interop{}", err.instance_path()), &err))
        .collect()
}

/// Words a schema error for people: a missing property is reported at its own path, and a
/// version that fails the pattern says what a semantic version looks like.
fn describe(pointer: &str, err: &jsonschema::ValidationError<'_>) -> Vec<Problem> {
    if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } = err.kind()
    {
        return unexpected
            .iter()
            .map(|name| {
                Problem::new(
                    json_path(&format!("{pointer}/{name}")),
                    "unknown field (check its spelling against plugin.schema.json)",
                )
            })
            .collect();
    }
    vec![match err.kind() {
        jsonschema::error::ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            Problem::new(
                json_path(&format!("{pointer}/{name}")),
                "missing (required)",
            )
        }
        jsonschema::error::ValidationErrorKind::Pattern { .. } if pointer == "/version" => {
            Problem::new(
                "$.version",
                format!(
                    "{} is not a semantic version (expected MAJOR.MINOR.PATCH, like 1.0.0)",
                    err.instance()
                ),
            )
        }
        _ => Problem::new(json_path(pointer), shortened(err)),
    }]
}

/// The error's message, with a long offending value (a megabyte-long name, say) cut
/// down so that the report stays readable.
fn shortened(err: &jsonschema::ValidationError<'_>) -> String {
    const SHOWN: usize = 120;
    let message = err.to_string();
    let value = err.instance().to_string();
    if value.len() <= SHOWN || !message.contains(&value) {
        return message;
    }
    let mut end = SHOWN;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let short = format!("{}... ({} bytes)", &value[..end], value.len());
    message.replacen(&value, &short, 1)
}

/// `/actions/1/name` -> `$.actions[1].name`.
fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            push_key(&mut out, &token);
        }
    }
    out
}

/// Appends an object key to a JSON path: `.name`, or `["odd key"]` when it is not a
/// plain identifier.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

fn semantic_problems(m: &Manifest, dir: Option<&Path>, problems: &mut Vec<Problem>) {
    let schemas = m
        .actions
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            [
                ("actions", i, "inputSchema", &a.input_schema),
                ("actions", i, "outputSchema", &a.output_schema),
            ]
        })
        .map(|(list, i, field, schema)| (format!("$.{list}[{i}].{field}"), schema))
        .chain(
            m.providers
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("$.providers[{i}].outputSchema"), &p.output_schema)),
        )
        .chain([("$.configSchema".to_owned(), &m.config_schema)]);
    for (path, schema) in schemas {
        if let Some(schema) = schema {
            if let Err(e) = crate::compiled::validator(schema) {
                problems.push(Problem::new(path, format!("not a valid JSON Schema: {e}")));
            }
        }
    }
    if let Err(e) = semver::Version::parse(&m.version) {
        problems.push(Problem::new(
            "$.version",
            format!(
                "`{}` is not a semantic version (like 1.0.0): {e}",
                m.version
            ),
        ));
    }
    duplicate_names(
        "action",
        "actions",
        m.actions.iter().map(|a| &a.name),
        problems,
    );
    duplicate_names(
        "provider",
        "providers",
        m.providers.iter().map(|p| &p.name),
        problems,
    );
    for (field, path) in m.interop.paths() {
        if let Err(why) = check_inside(path, dir) {
            problems.push(Problem::new(format!("$.interop.{field}"), why));
        }
    }
    // With `command`, the host picks the endpoint when the manifest names none.
    if let Interop::Ipc(ipc) = &m.interop {
        match ipc.transport {
            _ if ipc.command.is_some() => {}
            IpcTransport::Unix if ipc.socket_path.is_none() => problems.push(Problem::new(
                "$.interop.socketPath",
                "missing; transport \"unix\" without `command` needs the socket's path",
            )),
            IpcTransport::Tcp if ipc.address.is_none() => problems.push(Problem::new(
                "$.interop.address",
                "missing; transport \"tcp\" without `command` needs a `host:port` address",
            )),
            _ => {}
        }
    }
    for (i, fs) in m.permissions.fs.iter().enumerate() {
        if !Path::new(&fs.path).is_absolute() && escapes(Path::new(&fs.path)) {
            problems.push(Problem::new(
                format!("$.permissions.fs[{i}].path"),
                format!("`{}` leaves the plugin directory; grant a directory outside it by its absolute path", fs.path),
            ));
        }
        if let Some(guest) = &fs.guest_path {
            if let Err(why) = check_guest_path(guest, m.interop.protocol()) {
                problems.push(Problem::new(
                    format!("$.permissions.fs[{i}].guestPath"),
                    why,
                ));
            }
        }
    }
    if let Some(net) = &m.permissions.network {
        for (i, prefix) in net.allowed_url_prefixes.iter().enumerate() {
            let ok = prefix.starts_with("http://") || prefix.starts_with("https://");
            if !ok || prefix.contains('@') {
                problems.push(Problem::new(
                    format!("$.permissions.network.allowedUrlPrefixes[{i}]"),
                    format!("`{prefix}` is not an http(s) URL prefix without credentials (like https://api.example.com/v1/)"),
                ));
            }
        }
        for (i, method) in net.allowed_methods.iter().flatten().enumerate() {
            if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
                problems.push(Problem::new(
                    format!("$.permissions.network.allowedMethods[{i}]"),
                    format!("`{method}` is not an HTTP method in upper case (like GET or POST)"),
                ));
            }
        }
    }
}

/// Reports each name declared again after its first declaration in `$.{list}`, in one
/// pass (a manifest may declare a hundred thousand actions).
fn duplicate_names<'a>(
    what: &str,
    list: &str,
    names: impl Iterator<Item = &'a String>,
    problems: &mut Vec<Problem>,
) {
    let mut first_at: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.enumerate() {
        if let Some(first) = first_at.get(name.as_str()) {
            problems.push(Problem::new(
                format!("$.{list}[{i}].name"),
                format!("duplicate {what} `{name}` (already declared at $.{list}[{first}])"),
            ));
        } else {
            first_at.insert(name, i);
        }
    }
}

/// True when a relative path climbs above its starting directory.
fn escapes(path: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// A grant's `guestPath`: a name a WASI preopen can carry (`/data`, `data`, `.`), and only
/// for wasm plugins, the one backend whose guests see preopens instead of real paths.
fn check_guest_path(guest: &str, protocol: Protocol) -> Result<(), String> {
    if protocol != Protocol::Wasm {
        return Err(format!(
            "`{guest}`: a guest path applies to wasm plugins (WASI preopens) only; a {protocol} plugin sees the real path, so remove `guestPath`"
        ));
    }
    let path = Path::new(guest);
    if guest.contains('\0') || path.components().any(|c| c == Component::ParentDir) {
        return Err(format!(
            "`{guest}` is not a guest directory name; expected a path without `..`, such as `/data`"
        ));
    }
    Ok(())
}

fn check_inside(path: &str, dir: Option<&Path>) -> Result<(), String> {
    let p = Path::new(path);
    if p.is_absolute() {
        return Err(format!(
            "`{path}` is absolute; expected a path relative to the plugin directory"
        ));
    }
    if escapes(p) {
        return Err(format!("`{path}` leaves the plugin directory"));
    }
    // A symlink inside the directory may still point outside it, also when the file it
    // names does not exist (yet) in the linked directory.
    if let Some(dir) = dir {
        if let (Some(real), Ok(root)) = (real_path(&dir.join(p)), dir.canonicalize()) {
            if !real.starts_with(&root) {
                return Err(format!(
                    "`{path}` resolves to {} outside the plugin directory (through a symlink)",
                    real.display()
                ));
            }
        }
    }
    Ok(())
}

/// The real path of `path`: its deepest existing ancestor with symlinks resolved, and the
/// rest as written.
fn real_path(path: &Path) -> Option<PathBuf> {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return Some(rest.iter().rev().fold(real, |out, part| out.join(part)));
        }
        rest.push(existing.file_name()?);
        existing = existing.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(v: Value) -> Vec<Problem> {
        validate_value(&v, None).expect_err("should be invalid")
    }

    fn base() -> Value {
        json!({
            "name": "my-plugin", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "./dist/my_plugin.wasm"},
            "actions": [{"name": "MY_ACTION", "description": "Does something cool"}]
        })
    }

    #[test]
    fn the_reference_manifest_is_valid() {
        let m = validate_value(&base(), None).unwrap();
        assert_eq!(m.interop.protocol(), Protocol::Wasm);
    }

    #[test]
    fn missing_field_is_reported_at_its_parent() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("version");
        let p = problems(v);
        assert_eq!(p[0].path, "$.version");
        assert!(p[0].message.contains("missing"), "{p:?}");
    }

    #[test]
    fn a_guest_path_is_for_wasm_plugins_and_stays_a_plain_name() {
        let mut v = base();
        v["permissions"] = json!({"fs": [{"path": "data", "guestPath": "/data"}]});
        let m = validate_value(&v, None).unwrap();
        assert_eq!(m.permissions.fs[0].guest_path.as_deref(), Some("/data"));
        v["permissions"]["fs"][0]["guestPath"] = json!("/data/../etc");
        let p = problems(v.clone());
        assert_eq!(p[0].path, "$.permissions.fs[0].guestPath", "{p:?}");
        v["permissions"]["fs"][0]["guestPath"] = json!("/data");
        v["interop"] = json!({"protocol": "ffi", "libraryPath": "lib.so"});
        let p = problems(v);
        assert_eq!(p[0].path, "$.permissions.fs[0].guestPath", "{p:?}");
        assert!(p[0].message.contains("wasm plugins"), "{p:?}");
    }

    #[test]
    fn wrong_type_names_the_path() {
        let mut v = base();
        v["actions"][0]["name"] = json!(42);
        let p = problems(v);
        assert_eq!(p[0].path, "$.actions[0].name", "{p:?}");
    }

    #[test]
    fn unknown_protocol_lists_the_known_ones() {
        let mut v = base();
        v["interop"] = json!({"protocol": "corba", "wasmPath": "x"});
        let p = problems(v);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].path, "$.interop.protocol");
        assert!(p[0].message.contains("\"wasm\", \"ffi\""), "{p:?}");
    }

    #[test]
    fn misspelt_interop_field_is_named() {
        let mut v = base();
        v["interop"] = json!({"protocol": "wasm", "wasm_path": "x.wasm"});
        let p = problems(v);
        assert!(p.iter().all(|p| p.path.starts_with("$.interop")), "{p:?}");
        assert!(
            p.iter()
                .any(|p| p.path == "$.interop.wasmPath" && p.message.contains("missing")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.path == "$.interop.wasm_path" && p.message.contains("unknown")),
            "{p:?}"
        );
    }

    #[test]
    fn bad_version_is_rejected() {
        let mut v = base();
        v["version"] = json!("1.0");
        assert_eq!(problems(v)[0].path, "$.version");
    }

    #[test]
    fn escaping_and_absolute_paths_are_rejected() {
        for bad in ["../outside.wasm", "dist/../../x.wasm", "/etc/passwd"] {
            let mut v = base();
            v["interop"]["wasmPath"] = json!(bad);
            let p = problems(v);
            assert_eq!(p[0].path, "$.interop.wasmPath", "{bad}: {p:?}");
        }
    }

    #[test]
    fn duplicate_action_points_at_both() {
        let mut v = base();
        v["actions"] = json!([{"name": "a"}, {"name": "b"}, {"name": "a"}]);
        let p = problems(v);
        assert_eq!(p[0].path, "$.actions[2].name");
        assert!(p[0].message.contains("$.actions[0]"));
    }

    #[test]
    fn unknown_top_level_field_is_rejected() {
        let mut v = base();
        v["permisions"] = json!({});
        let p = problems(v);
        assert!(p.iter().any(|p| p.path == "$.permisions"), "{p:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut v = base();
        v["version"] = json!("one");
        v["actions"][0]["name"] = json!(1);
        v["limits"] = json!({"memoryMb": "lots"});
        assert!(problems(v).len() >= 3);
    }

    #[test]
    fn an_invalid_input_schema_is_reported() {
        let mut v = base();
        v["actions"][0]["inputSchema"] = json!({"type": "strang"});
        assert_eq!(problems(v)[0].path, "$.actions[0].inputSchema");
    }

    #[test]
    fn an_invalid_config_schema_is_reported() {
        let mut v = base();
        v["config"] = json!({"greeting": "Hello"});
        v["configSchema"] = json!({"type": "strang"});
        assert_eq!(problems(v)[0].path, "$.configSchema");
    }

    #[test]
    fn a_config_that_is_not_an_object_is_reported() {
        let mut v = base();
        v["config"] = json!(["greeting"]);
        assert_eq!(problems(v)[0].path, "$.config");
    }

    #[test]
    fn json_paths_read_like_jsonpath() {
        assert_eq!(json_path(""), "$");
        assert_eq!(json_path("/a/0/b~1c"), "$.a[0][\"b/c\"]");
    }
}
