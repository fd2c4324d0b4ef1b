//! The host side of the `interop:plugin` WIT world (`wit/plugin.wit`): bindings generated
//! by `wasmtime::component::bindgen!`, the world's `host` imports implemented on the
//! instance's [`ComponentState`], and the component linker (WASI 0.2 and the world).
//!
//! As with the core ABI (`crate::host_api`), each import only converts values and hands
//! the request to [`HostServices`](interop_sandbox::HostServices), which checks the grants
//! and writes the audit trail; the imports whose argument is JSON (`fetch`, `trace`,
//! `call-host`) go through its one JSON entry point, `HostServices::call`. Text longer than
//! the policy's message limit ends the call as the `message_size` limit, and a host call
//! still waiting when the call's deadline comes ends it as the `time` limit (both trap,
//! as they do for core modules).

use std::time::Duration;

use interop_protocol::{ErrorKind as Kind, PluginError};
use interop_sandbox::LogLevel;
use serde_json::Value;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::Engine;

use crate::component::state::ComponentState;
use crate::failure::LimitReached;
use crate::text::{bounded, MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES};

wasmtime::component::bindgen!({
    path: "wit",
    world: "interop:plugin/plugin",
    imports: { default: trappable },
});

use interop::plugin::host::{self, LogLevel as WitLevel};
use interop::plugin::types::{self, Error as WitError, ErrorKind as WitKind};

type Answer<T> = wasmtime::Result<T>;

/// The linker of component plugins for `engine`: WASI 0.2 (sync) and the world's
/// imports.
pub(crate) fn linker(engine: &Engine) -> Answer<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    crate::component::poll::add_to_linker(&mut linker)?;
    Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
    Ok(linker)
}

/// The WIT error of a host error.
pub(crate) fn to_wit(err: &PluginError) -> WitError {
    let kind = match err.kind {
        Kind::Parse => WitKind::Parse,
        Kind::Exec => WitKind::Exec,
        Kind::LimitExceeded => WitKind::LimitExceeded,
        Kind::Fs => WitKind::Fs,
        Kind::Network => WitKind::Network,
        Kind::Denied => WitKind::Denied,
        Kind::NotFound => WitKind::NotFound,
        Kind::Timeout => WitKind::Timeout,
        Kind::InvalidInput => WitKind::InvalidInput,
        Kind::Internal => WitKind::Internal,
    };
    WitError {
        kind,
        message: err.message.clone(),
    }
}

/// The host error of a WIT error a guest returned, its message cut at
/// [`MAX_ERROR_BYTES`] as `ft_error`'s is.
pub(crate) fn from_wit(err: WitError) -> PluginError {
    let kind = match err.kind {
        WitKind::Parse => Kind::Parse,
        WitKind::Exec => Kind::Exec,
        WitKind::LimitExceeded => Kind::LimitExceeded,
        WitKind::Fs => Kind::Fs,
        WitKind::Network => Kind::Network,
        WitKind::Denied => Kind::Denied,
        WitKind::NotFound => Kind::NotFound,
        WitKind::Timeout => Kind::Timeout,
        WitKind::InvalidInput => Kind::InvalidInput,
        WitKind::Internal => Kind::Internal,
    };
    let kept = &err.message.as_bytes()[..err.message.len().min(MAX_ERROR_BYTES)];
    PluginError::new(kind, bounded(kept, err.message.len()))
}

impl ComponentState {
    /// Refuses (traps) text handed to `import` that is over the message limit.
    fn check_len(&self, import: &str, len: usize) -> Answer<()> {
        let max = self.services.policy().max_message_bytes;
        if len as u64 > max {
            return Err(LimitReached::message_size(import, len as u64, max).into());
        }
        Ok(())
    }

    /// The answer of `import` to the guest: its error as the world's `error`, or a trap
    /// when the call's deadline has come (the host call was cut short by it).
    fn answer<T>(
        &self,
        import: &str,
        result: Result<T, PluginError>,
    ) -> Answer<Result<T, WitError>> {
        match result {
            Ok(value) => Ok(Ok(value)),
            Err(_) if self.past_deadline() => Err(LimitReached::deadline(import.to_owned()).into()),
            Err(err) => Ok(Err(to_wit(&err))),
        }
    }

    fn past_deadline(&self) -> bool {
        self.services.remaining().is_some_and(|left| left.is_zero())
    }

    /// Calls the built-in or application function `name` with `args` (JSON text), through
    /// the services' one JSON entry point; answers its result as JSON text.
    fn call_json(&self, import: &str, name: &str, args: &str) -> Answer<Result<String, WitError>> {
        self.check_len(import, args.len())?;
        let result = if args.trim().is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str(args).map_err(|e| {
                PluginError::parse(format!("{import}: the argument is not JSON: {e}"))
                    .in_plugin(self.services.plugin())
            })
        }
        .and_then(|args| self.services.call(name, args))
        .map(|value| value.to_string());
        self.answer(import, result)
    }
}

impl types::Host for ComponentState {}

impl host::Host for ComponentState {
    fn log(&mut self, level: WitLevel, message: String) -> Answer<()> {
        let level = match level {
            WitLevel::Trace => LogLevel::Trace,
            WitLevel::Debug => LogLevel::Debug,
            WitLevel::Info => LogLevel::Info,
            WitLevel::Warn => LogLevel::Warn,
            WitLevel::Error => LogLevel::Error,
        };
        let kept = &message.as_bytes()[..message.len().min(MAX_LOG_LINE_BYTES)];
        self.services.log(level, &bounded(kept, message.len()));
        Ok(())
    }

    fn env_get(&mut self, name: String) -> Answer<Option<String>> {
        self.check_len("env-get", name.len())?;
        // Unset, or not granted (the denial is in the audit trail).
        Ok(self.services.env_get(&name).ok().flatten())
    }

    fn config_get(&mut self, key: String) -> Answer<Option<String>> {
        self.check_len("config-get", key.len())?;
        Ok(self.services.config_get(&key).map(|v| v.to_string()))
    }

    fn read_file(&mut self, path: String) -> Answer<Result<Vec<u8>, WitError>> {
        self.check_len("read-file", path.len())?;
        let read = self.services.read_file(&path);
        self.answer("read-file", read)
    }

    fn write_file(&mut self, path: String, contents: Vec<u8>) -> Answer<Result<(), WitError>> {
        self.check_len("write-file", path.len().saturating_add(contents.len()))?;
        let written = self.services.write_file(&path, &contents);
        self.answer("write-file", written)
    }

    fn list_dir(&mut self, path: String) -> Answer<Result<Vec<String>, WitError>> {
        self.check_len("list-dir", path.len())?;
        let entries = self
            .services
            .readdir(&path)
            .map(|entries| entries.into_iter().map(|e| e.name).collect());
        self.answer("list-dir", entries)
    }

    fn fetch(&mut self, request: String) -> Answer<Result<String, WitError>> {
        self.call_json("fetch", "net.fetch", &request)
    }

    fn now_ms(&mut self) -> Answer<u64> {
        Ok(self.services.now_ms())
    }

    fn sleep_ms(&mut self, ms: u64) -> Answer<Result<(), WitError>> {
        let slept = self.services.sleep(Duration::from_millis(ms));
        self.answer("sleep-ms", slept)
    }

    fn trace(&mut self, event: String) -> Answer<()> {
        // A malformed event is refused by the services (and audited); tracing does not
        // fail the plugin.
        let _ = self.call_json("trace", "trace", &event)?;
        Ok(())
    }

    fn call_host(&mut self, name: String, input: String) -> Answer<Result<String, WitError>> {
        self.check_len("call-host", name.len())?;
        self.call_json("call-host", &name, &input)
    }
}
