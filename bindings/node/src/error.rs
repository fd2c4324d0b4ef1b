//! Errors crossing into JavaScript as `InteropError` (a subclass of `Error`) with `kind`,
//! `plugin`, `data` and, where the plugin reported one, `pluginStack`; and JavaScript
//! errors crossing back into plugins as a [`PluginError`].

use std::cell::RefCell;

use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, FunctionRef, JsObjectValue, Object, Unknown,
};
use napi::{Env, JsValue};
use serde_json::{json, Value};

use interop_host::HostError;
use interop_protocol::{ErrorKind, ManifestError, PluginError};

/// The class, defined once per JavaScript environment when the addon loads.
const CLASS_SOURCE: &str = r#"(class InteropError extends Error {
  constructor(message, fields) {
    super(message);
    this.name = 'InteropError';
    this.kind = fields?.kind ?? 'internal';
    this.plugin = fields?.plugin ?? null;
    this.data = fields?.data ?? null;
    if (typeof fields?.pluginStack === 'string') this.pluginStack = fields.pluginStack;
  }
})"#;

/// The constructor: `new InteropError(message, fields)`.
type ClassRef = FunctionRef<FnArgs<(String, Value)>, Unknown<'static>>;

thread_local! {
    // One per JavaScript environment: Node runs each environment (the main thread, each
    // worker) on a thread of its own.
    static CLASS: RefCell<Option<ClassRef>> = const { RefCell::new(None) };
}

/// Defines `InteropError` in this environment and exports it.
pub(crate) fn define_class(env: &Env, exports: &mut Object) -> napi::Result<()> {
    let class: Function<FnArgs<(String, Value)>, Unknown> = env.run_script(CLASS_SOURCE)?;
    let reference = class.create_ref()?;
    exports.set("InteropError", class)?;
    CLASS.with(|c| *c.borrow_mut() = Some(reference));
    Ok(())
}

/// A [`PluginError`] as an `InteropError`, ready to reject a promise or to be thrown.
pub(crate) fn to_js(env: &Env, error: &PluginError) -> napi::Error {
    let data = error.data.as_deref().cloned();
    let stack = data
        .as_ref()
        .and_then(|d| d.get("stack"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fields = json!({
        "kind": error.kind.to_string(),
        "plugin": error.plugin,
        "data": data,
        "pluginStack": stack,
    });
    // `kind` and `plugin` are fields of their own; the message names the plugin so that a
    // printed error still says whose it is.
    let message = match &error.plugin {
        Some(plugin) => format!("plugin `{plugin}`: {}", error.message),
        None => error.message.clone(),
    };
    let made = CLASS.with(|c| -> napi::Result<napi::Error> {
        let class = c.borrow();
        let class = class
            .as_ref()
            .ok_or_else(|| napi::Error::from_reason("InteropError is not defined"))?
            .borrow_back(env)?;
        Ok(napi::Error::from(
            class.new_instance(FnArgs::from((message.clone(), fields)))?,
        ))
    });
    made.unwrap_or_else(|_| napi::Error::from_reason(message))
}

/// A host error as a [`PluginError`] (which is what JavaScript sees).
pub(crate) fn from_host(error: HostError) -> PluginError {
    match error {
        HostError::Plugin(e) => e,
        HostError::NotLoaded(name) => {
            PluginError::not_found(format!("no plugin named `{name}` is loaded")).in_plugin(&name)
        }
        HostError::Manifest(e) => from_manifest(e),
        HostError::AlreadyLoaded(name) => {
            PluginError::invalid_input(format!("a plugin named `{name}` is already loaded"))
                .in_plugin(&name)
        }
        other => PluginError::new(ErrorKind::InvalidInput, other.to_string()),
    }
}

/// What a JavaScript host function threw (or its promise rejected with), as the
/// [`PluginError`] the calling plugin gets: an `InteropError` keeps its kind and data,
/// anything else is an `exec` error with its message.
pub(crate) fn from_js(function: &str, thrown: Unknown) -> PluginError {
    let field = |name: &str| -> Option<Value> {
        let object = Object::from_unknown(thrown).ok()?;
        let value: Unknown = object.get_named_property(name).ok()?;
        Value::from_unknown(value).ok()
    };
    let message = field("message")
        .and_then(|m| m.as_str().map(str::to_owned))
        .or_else(|| {
            thrown
                .coerce_to_string()
                .ok()
                .and_then(|s| s.into_utf8().ok()?.into_owned().ok())
        })
        .unwrap_or_else(|| "(no message)".to_owned());
    let kind = field("kind")
        .and_then(|k| serde_json::from_value::<ErrorKind>(k).ok())
        .unwrap_or(ErrorKind::Exec);
    let mut error = PluginError::new(kind, format!("host function `{function}`: {message}"));
    if let Some(data) = field("data").filter(|d| !d.is_null()) {
        error = error.with_data(data);
    }
    error
}

/// A manifest that could not be used, as the [`PluginError`] JavaScript sees.
pub(crate) fn from_manifest(error: ManifestError) -> PluginError {
    let kind = match &error {
        ManifestError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            ErrorKind::NotFound
        }
        ManifestError::Io { .. } => ErrorKind::Fs,
        ManifestError::Json { .. } => ErrorKind::Parse,
        ManifestError::TooLarge { .. } => ErrorKind::LimitExceeded,
        _ => ErrorKind::InvalidInput,
    };
    PluginError::new(kind, error.to_string())
}
