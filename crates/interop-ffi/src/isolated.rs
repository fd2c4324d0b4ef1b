//! [`Isolated`]: an `isolated: true` native plugin, seen by the host through its `ffi`
//! manifest while a runner process serves it (the subprocess plugin inside).
//!
//! When the runner fails a call, the error says which way it failed, in its message and
//! in `data.process`: `crashed` (killed by a signal: a segfault, `abort()`, a stack
//! overflow, the memory limit), `exited` (the library called `exit`), `hung` (no answer
//! within the time limit: it was killed) or `disconnected` (it closed its end). Either
//! way the subprocess backend starts a new runner for the next call.

use interop_protocol::{
    ActionInvoke, ActionResult, ErrorKind, HookEvent, Manifest, Plugin, PluginError, ProviderGet,
    ProviderResult,
};
use serde_json::{json, Value};

/// The subprocess plugin of a runner, presenting the original `ffi` manifest.
pub(crate) struct Isolated {
    manifest: Manifest,
    inner: Box<dyn Plugin>,
}

impl Isolated {
    pub(crate) fn new(manifest: Manifest, inner: Box<dyn Plugin>) -> Isolated {
        Isolated { manifest, inner }
    }
}

impl Plugin for Isolated {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        let call = || format!("action `{}`", request.action);
        self.inner.invoke(request).map_err(|e| describe(e, call))
    }

    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError> {
        let call = || format!("provider `{}`", request.provider);
        self.inner
            .get_provider(request)
            .map_err(|e| describe(e, call))
    }

    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        let call = || format!("hook `{}`", event.event);
        self.inner.on_event(event).map_err(|e| describe(e, call))
    }

    fn unload(&self) -> Result<(), PluginError> {
        self.inner.unload()
    }
}

/// How the runner process ended a call, read from the subprocess backend's error
/// ("`action.invoke` got no answer within ..." for a timeout, "`action.invoke` failed:
/// the plugin process closed its connection ...; process signal: 11 (SIGSEGV); ..." for a
/// lost connection); `None` for any other error (the plugin's own, a refused restart).
fn fate(error: &PluginError) -> Option<(&'static str, Option<&str>)> {
    let message = &error.message;
    if !message.starts_with('`') {
        return None;
    }
    match error.kind {
        ErrorKind::Timeout if message.contains("got no answer within") => Some(("hung", None)),
        ErrorKind::Exec
            if message.contains("the plugin process closed its connection")
                || message.contains("lost the connection to the plugin process") =>
        {
            let status = message
                .split_once("; process ")
                .map(|(_, rest)| rest.split(';').next().unwrap_or(rest).trim());
            Some(match status {
                Some(s) if s.starts_with("signal") => ("crashed", Some(s)),
                Some(s) => ("exited", Some(s)),
                None => ("disconnected", None),
            })
        }
        _ => None,
    }
}

/// The error of `call`, saying how the runner failed when it did; other errors as they
/// are.
fn describe(error: PluginError, call: impl FnOnce() -> String) -> PluginError {
    let Some((fate, status)) = fate(&error) else {
        return error;
    };
    let call = call();
    let what = match (fate, status) {
        ("hung", _) => {
            let waited = error.message.split(';').next().unwrap_or_default();
            format!("hung: {waited}, and was killed")
        }
        (_, Some(status)) => format!("{fate} ({status})"),
        _ => "closed its connection".to_owned(),
    };
    // What happens next goes in `data`, as for every process plugin: a one-shot caller
    // makes no next call.
    let mut data = json!({ "process": fate, "next": "a new runner is started for the next call" });
    if let Some(status) = status {
        data["status"] = json!(status);
    }
    if let Some(limit) = error.limit_name() {
        data["limit"] = json!(limit);
    }
    PluginError {
        message: format!("{call}: the plugin's runner process {what}"),
        data: Some(Box::new(data)),
        ..error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost(status: &str) -> PluginError {
        PluginError::exec(format!(
            "`action.invoke` failed: the plugin process closed its connection (crashed or \
             exited){status}"
        ))
        .in_plugin("p")
    }

    #[test]
    fn a_signal_is_a_crash_an_exit_status_an_exit_and_a_timeout_a_hang() {
        let call = || "action `run`".to_owned();
        let crash = describe(lost("; process signal: 11 (SIGSEGV)"), call);
        assert_eq!(
            crash.message,
            "action `run`: the plugin's runner process crashed (signal: 11 (SIGSEGV))"
        );
        assert_eq!(
            crash.data,
            Some(Box::new(
                json!({"process": "crashed", "status": "signal: 11 (SIGSEGV)",
                       "next": "a new runner is started for the next call"})
            ))
        );
        assert_eq!(crash.plugin.as_deref(), Some("p"));
        let exit = describe(lost("; process exit status: 3"), call);
        assert_eq!(exit.data.unwrap()["process"], "exited");
        assert!(exit.message.contains("exited (exit status: 3)"));
        let closed = describe(lost(""), call);
        assert_eq!(closed.data.unwrap()["process"], "disconnected");

        let timeout = PluginError::timeout(
            "`action.invoke` got no answer within 300 ms (the call time limit); the plugin \
             process was killed and will be restarted",
        )
        .with_data(json!({"limit": "time"}));
        let hung = describe(timeout, call);
        assert_eq!(hung.kind, ErrorKind::Timeout);
        assert_eq!(hung.limit_name(), Some("time"));
        assert_eq!(
            hung.message,
            "action `run`: the plugin's runner process hung: `action.invoke` got no answer \
             within 300 ms (the call time limit), and was killed"
        );
    }

    #[test]
    fn the_plugin_s_own_errors_pass_unchanged() {
        let own = PluginError::exec("bad input").in_plugin("p");
        assert_eq!(describe(own.clone(), || "x".into()), own);
    }
}
