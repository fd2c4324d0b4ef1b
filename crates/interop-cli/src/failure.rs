//! How a failed command ends: the message a person reads, the JSON a program reads
//! (`--json`), and an exit code per kind of failure, so that scripts can tell a denied
//! permission from a plugin that crashed without parsing text.

use std::process::ExitCode;

use interop_host::{ErrorKind, HostError, PluginError};
use interop_protocol::ManifestError;
use serde_json::{json, Value};

/// What went wrong, as far as the CLI can tell from the error's type.
enum Failure<'a> {
    /// A plugin (or the host on its behalf) failed with a kind.
    Plugin(&'a PluginError),
    /// A manifest, policy or grants file is unusable.
    Manifest,
    /// Anything else: bad arguments, unreadable input files, I/O.
    Other,
}

/// The exit code of a failure of `kind`: 10 and up, one per kind (documented in
/// docs/cli.md; 1 is any other failure, 2 a command-line usage error, 3 a manifest).
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Parse => 10,
        ErrorKind::Exec => 11,
        ErrorKind::LimitExceeded => 12,
        ErrorKind::Fs => 13,
        ErrorKind::Network => 14,
        ErrorKind::Denied => 15,
        ErrorKind::NotFound => 16,
        ErrorKind::Timeout => 17,
        ErrorKind::InvalidInput => 18,
        ErrorKind::Internal => 19,
    }
}

/// Exit code of an unusable manifest, policy or grants file.
const MANIFEST: u8 = 3;

fn classify(err: &anyhow::Error) -> Failure<'_> {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<PluginError>() {
            return Failure::Plugin(e);
        }
        if let Some(e) = cause.downcast_ref::<HostError>() {
            return match e {
                HostError::Plugin(p) => Failure::Plugin(p),
                HostError::Manifest(_) | HostError::Policy(_) | HostError::GrantsFile(_) => {
                    Failure::Manifest
                }
                _ => Failure::Other,
            };
        }
        if cause.downcast_ref::<ManifestError>().is_some() {
            return Failure::Manifest;
        }
    }
    Failure::Other
}

/// Reports `err` on stderr (or as JSON on stdout with `json`) and returns its exit code.
pub fn report(err: &anyhow::Error, json: bool) -> ExitCode {
    let failure = classify(err);
    let code = match &failure {
        Failure::Plugin(e) => exit_code(e.kind),
        Failure::Manifest => MANIFEST,
        Failure::Other => 1,
    };
    print_failure(err, failure, json);
    ExitCode::from(code)
}

/// Reports `err` on stderr (or as JSON on stdout with `json`), for a command that picks
/// its own exit code.
pub fn print(err: &anyhow::Error, json: bool) {
    print_failure(err, classify(err), json);
}

fn print_failure(err: &anyhow::Error, failure: Failure<'_>, json: bool) {
    if json {
        let error = match failure {
            Failure::Plugin(e) => serde_json::to_value(e).unwrap_or(Value::Null),
            Failure::Manifest => json!({"kind": "manifest", "message": describe(err)}),
            Failure::Other => json!({"kind": "usage", "message": describe(err)}),
        };
        println!("{:#}", json!({ "error": error }));
    } else {
        eprintln!("{}: {}", crate::style::error_label(), describe(err));
        if let Failure::Plugin(e) = failure {
            print_stack(e);
        }
    }
}

/// A script's stack (JavaScript errors carry it in `data.stack`): where it failed as
/// `file:line:col`, then its frames, which the message alone does not say.
fn print_stack(err: &PluginError) {
    let Some(stack) = err.data.as_ref().and_then(|d| d.get("stack")?.as_str()) else {
        return;
    };
    let frames: Vec<&str> = stack
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("at "))
        .collect();
    let Some(first) = frames.first() else {
        return;
    };
    eprintln!("  --> {}", location(first));
    for frame in &frames {
        eprintln!("      {frame}");
    }
}

/// `file:line:col` of a V8 frame: `at f (./a.js:2:20)` or `at ./a.js:4:1`.
fn location(frame: &str) -> &str {
    let frame = frame.trim_start_matches("at ");
    match (frame.rfind('('), frame.strip_suffix(')')) {
        (Some(open), Some(inner)) => &inner[open + 1..],
        _ => frame,
    }
}

/// The error and its causes, each said once: most of the library's errors already quote
/// their cause in their own message.
fn describe(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
