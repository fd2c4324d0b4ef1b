//! The harness of the hostile suite.
//!
//! A [`Case`] is one attack: a plugin written into a fresh [`Arena`] (or an input, or a
//! manifest), what to do with it, and how it must be stopped ([`Expect`]). Every case runs
//! in a host that also holds a well-behaved neighbour plugin, and whatever the case
//! expects, the harness checks after it that:
//!
//! - the host is alive and the neighbour still answers;
//! - nothing outside the arena's plugin directory was written (the `outside` directory is
//!   compared with its snapshot) and its secret was not read (the secret's text appears
//!   in no result or error);
//! - no process is left over once the host is dropped (the suite is a child subreaper, so
//!   even daemons that called `setsid` or double-forked come back to it);
//! - the case ended within its time bound, when it has one.
//!
//! Plugin sources may name the `outside` directory and the secret file as `{OUTSIDE}` and
//! `{SECRET}`; the harness substitutes their absolute paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use interop_host::{ErrorKind, Host, PluginError};
use serde_json::{json, Value};

/// What the secret file outside the plugin directory holds.
pub const SECRET_TEXT: &str = "interop-hostile-secret-7c1e9b";

/// A wasm plugin (WebAssembly text, no build step) whose `echo` handler answers its input:
/// the neighbour that must answer after every case, and a plugin for cases of their own.
pub const ECHO_WAT: &str = r#"(module
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "echo")
    (local $n i32)
    (local.set $n (call $input))
    (local.set $n (call $read (i32.const 0) (local.get $n)))
    (call $output (i32.const 0) (local.get $n))))"#;

/// A fresh directory for one case: `plugin/` (the plugin directory), `outside/` (with
/// `secret.txt`, which no plugin may read or change) and `neighbour/`.
pub struct Arena {
    _root: tempfile::TempDir,
    /// The plugin directory of the case.
    pub plugin_dir: PathBuf,
    /// A directory outside every grant.
    pub outside: PathBuf,
    neighbour: PathBuf,
    /// When the bounded part of the case began (see [`Arena::start_clock`]).
    clock: Mutex<Option<Instant>>,
}

impl Arena {
    fn new() -> Arena {
        let root = tempfile::Builder::new()
            .prefix("interop-hostile-")
            .tempdir()
            .expect("a temporary directory");
        // Canonical, so that substituted paths are the ones the sandbox compares.
        let base = root.path().canonicalize().expect("canonical temp dir");
        let arena = Arena {
            plugin_dir: base.join("plugin"),
            outside: base.join("outside"),
            neighbour: base.join("neighbour"),
            clock: Mutex::new(None),
            _root: root,
        };
        for dir in [&arena.plugin_dir, &arena.outside, &arena.neighbour] {
            std::fs::create_dir_all(dir).expect("arena directory");
        }
        std::fs::write(arena.secret(), SECRET_TEXT).expect("secret file");
        std::fs::write(arena.neighbour.join("echo.wat"), ECHO_WAT).expect("neighbour");
        arena.write_json(
            &arena.neighbour.join("plugin.json"),
            &json!({
                "name": "neighbour", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "echo.wat"},
                "actions": [{"name": "echo"}]
            }),
        );
        arena
    }

    /// Starts the clock of [`Expect::within`] now (a case calls it after loading its
    /// plugin, so that the bound covers the call only); without it the bound covers the
    /// whole case.
    pub fn start_clock(&self) {
        *self.clock.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    fn clock(&self) -> Option<Instant> {
        *self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The secret file in `outside/`.
    pub fn secret(&self) -> PathBuf {
        self.outside.join("secret.txt")
    }

    /// `text` with `{OUTSIDE}` and `{SECRET}` replaced by their absolute paths.
    pub fn substitute(&self, text: &str) -> String {
        text.replace("{OUTSIDE}", &self.outside.display().to_string())
            .replace("{SECRET}", &self.secret().display().to_string())
    }

    /// Writes a file (relative to the plugin directory), with substitution for text.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.plugin_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("plugin subdirectory");
        }
        let bytes = contents.as_ref();
        match std::str::from_utf8(bytes) {
            Ok(text) => std::fs::write(&path, self.substitute(text)),
            Err(_) => std::fs::write(&path, bytes),
        }
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Makes a FIFO (named pipe) at `relative` in the plugin directory: a reader that
    /// opens it blocks until a writer comes, which none will.
    pub fn fifo(&self, relative: &str) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        let path = self.plugin_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("plugin subdirectory");
        }
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL");
        // SAFETY: mkfifo with a valid NUL-terminated path.
        let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
        assert_eq!(made, 0, "mkfifo {}", path.display());
        path
    }

    fn write_json(&self, path: &Path, value: &Value) {
        let text = serde_json::to_string_pretty(value).expect("JSON");
        std::fs::write(path, self.substitute(&text)).expect("manifest");
    }

    /// Writes the plugin's `plugin.json` and returns its path.
    pub fn manifest(&self, manifest: Value) -> PathBuf {
        let path = self.plugin_dir.join("plugin.json");
        self.write_json(&path, &manifest);
        path
    }

    /// Every file under `outside/` with its contents.
    fn outside_snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.outside.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_dir() => stack.push(path),
                    _ => {
                        let bytes = std::fs::read(&path).unwrap_or_default();
                        files.insert(path, bytes);
                    }
                }
            }
        }
        files
    }
}

/// How a case's outcome is told: the error it ended with, or the value it returned.
pub type Outcome = Result<Value, PluginError>;

/// What a case must end with.
#[derive(Debug, Clone)]
pub struct Expect {
    kinds: Vec<ErrorKind>,
    limit: Option<&'static str>,
    contains: Option<&'static str>,
    within: Option<Duration>,
    succeeds: bool,
}

impl Expect {
    /// An error of `kind`.
    pub fn error(kind: ErrorKind) -> Expect {
        Expect {
            kinds: vec![kind],
            limit: None,
            contains: None,
            within: None,
            succeeds: false,
        }
    }

    /// An error of any of `kinds`.
    pub fn any_error(kinds: &[ErrorKind]) -> Expect {
        Expect {
            kinds: kinds.to_vec(),
            ..Expect::error(ErrorKind::Internal)
        }
    }

    /// A `limit_exceeded` error naming `limit` (`time`, `memory`, `message_size`...).
    pub fn limit(limit: &'static str) -> Expect {
        Expect {
            limit: Some(limit),
            ..Expect::error(ErrorKind::LimitExceeded)
        }
    }

    /// A `denied` error.
    pub fn denied() -> Expect {
        Expect::error(ErrorKind::Denied)
    }

    /// Success: the attack was harmless by construction (a value is returned, and the
    /// harness's checks still apply).
    pub fn harmless() -> Expect {
        Expect {
            succeeds: true,
            ..Expect::error(ErrorKind::Internal)
        }
    }

    /// The error message must contain `text`.
    pub fn containing(mut self, text: &'static str) -> Expect {
        self.contains = Some(text);
        self
    }

    /// The case must end within `bound`: from [`Arena::start_clock`] (the start of the
    /// call, not of the load, for [`Case::invoke`]), else from the start of the case.
    pub fn within(mut self, bound: Duration) -> Expect {
        self.within = Some(bound);
        self
    }

    fn check(&self, outcome: &Outcome) -> Result<(), String> {
        match (outcome, self.succeeds) {
            (Ok(_), true) => Ok(()),
            (Ok(value), false) => Err(format!(
                "expected a {} error, but the call succeeded with {}",
                self.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                short(&value.to_string())
            )),
            (Err(e), true) => Err(format!("expected success, got {e}")),
            (Err(e), false) => {
                if !self.kinds.contains(&e.kind) {
                    return Err(format!("wrong error kind: {e}"));
                }
                if let Some(limit) = self.limit {
                    if e.limit_name() != Some(limit) {
                        return Err(format!("expected the `{limit}` limit, got {e}"));
                    }
                }
                if let Some(text) = self.contains {
                    if !e.message.contains(text) {
                        return Err(format!("expected the message to contain `{text}`: {e}"));
                    }
                }
                Ok(())
            }
        }
    }
}

fn short(text: &str) -> String {
    if text.len() <= 300 {
        text.to_owned()
    } else {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}... ({} bytes)", &text[..end], text.len())
    }
}

/// The steps of a case, given its arena and a host holding the neighbour.
pub type Attack = Box<dyn Fn(&Arena, &Host) -> Outcome + Send + Sync>;

/// One hostile plugin or input.
pub struct Case {
    /// Which backend (or layer) it attacks: `wasm`, `js`, `ffi`, `ffi-isolated`,
    /// `process`, `manifest`, `fs`...
    pub backend: &'static str,
    /// What it does, as a sentence.
    pub name: String,
    /// How it must end.
    pub expect: Expect,
    attack: Attack,
    host: fn() -> Host,
}

impl Case {
    /// A case running `attack` in a default host.
    pub fn new(
        backend: &'static str,
        name: impl Into<String>,
        expect: Expect,
        attack: impl Fn(&Arena, &Host) -> Outcome + Send + Sync + 'static,
    ) -> Case {
        Case {
            backend,
            name: name.into(),
            expect,
            attack: Box::new(attack),
            host: default_host,
        }
    }

    /// The case with a host built by `host` instead (for grants, limits, backends).
    pub fn in_host(mut self, host: fn() -> Host) -> Case {
        self.host = host;
        self
    }

    /// A plugin whose `plugin.json` is `manifest` and whose other files are `files`
    /// (relative path, contents), loaded, then `action` invoked with `input`.
    pub fn invoke(
        backend: &'static str,
        name: impl Into<String>,
        expect: Expect,
        manifest: Value,
        files: &[(&str, &str)],
        action: &'static str,
        input: Value,
    ) -> Case {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect();
        Case::new(backend, name, expect, move |arena, host| {
            for (path, contents) in &files {
                arena.write(path, contents);
            }
            let plugin = load(host, &arena.manifest(manifest.clone()))?;
            arena.start_clock();
            invoke(host, &plugin, action, input.clone())
        })
    }
}

/// The host cases run in unless they say otherwise: every backend, and nothing granted
/// beyond the host's defaults.
pub fn default_host() -> Host {
    Host::new()
}

/// A host that grants each plugin what its manifest requests (the limits stay the
/// host's), for cases that attack from inside a granted permission.
pub fn trusting_host() -> Host {
    let mut host = Host::new();
    host.set_grants(interop_host::Grants::requested());
    host
}

/// Loads a manifest into `host`, with the host's error as a [`PluginError`].
pub fn load(host: &Host, manifest: &Path) -> Result<String, PluginError> {
    host.load(manifest)
        .map(|p| p.name().to_owned())
        .map_err(host_error)
}

/// Invokes an action; a result with `success: false` counts as its error.
pub fn invoke(host: &Host, plugin: &str, action: &str, input: Value) -> Outcome {
    let result = host.invoke(plugin, action, input).map_err(host_error)?;
    match (result.success, result.error) {
        (false, Some(error)) => Err(error),
        _ => Ok(json!({"text": result.text, "data": result.data})),
    }
}

/// A host error as the plugin error it carries, or an `internal` one saying what it was.
pub fn host_error(e: interop_host::HostError) -> PluginError {
    match e {
        interop_host::HostError::Plugin(p) => p,
        other => PluginError::internal(other.to_string()),
    }
}

/// The outcome of one case.
pub struct Report {
    /// The case's backend.
    pub backend: &'static str,
    /// The case's name.
    pub name: String,
    /// `Ok` when every check passed, else what failed.
    pub result: Result<(), String>,
    /// How long the call took.
    pub took: Duration,
}

/// Runs one case with every check of the module docs.
pub fn run(case: &Case) -> Report {
    let arena = Arena::new();
    let before = arena.outside_snapshot();
    let started = Instant::now();
    let result = (|| -> Result<(), String> {
        let host = (case.host)();
        let neighbour = load(&host, &arena.neighbour.join("plugin.json"))
            .map_err(|e| format!("the neighbour did not load: {e}"))?;
        let call_started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (case.attack)(&arena, &host)
        }))
        .map_err(|_| "the attack panicked the harness (or the host)".to_owned())?;
        let took = arena.clock().unwrap_or(call_started).elapsed();
        case.expect.check(&outcome)?;
        if let Some(bound) = case.expect.within {
            if took > bound {
                return Err(format!("took {took:?}, over its bound of {bound:?}"));
            }
        }
        let shown = match &outcome {
            Ok(v) => v.to_string(),
            Err(e) => format!("{e} {:?}", e.data),
        };
        if shown.contains(SECRET_TEXT) {
            return Err("the secret outside the plugin directory was read".into());
        }
        let echo = invoke(&host, &neighbour, "echo", json!("still here"))
            .map_err(|e| format!("the neighbour stopped answering: {e}"))?;
        if echo["text"] != "still here" {
            return Err(format!("the neighbour answered {echo}"));
        }
        drop(host);
        Ok(())
    })();
    let result = result
        .and_then(|()| {
            if arena.outside_snapshot() != before {
                Err("something outside the plugin directory was written".into())
            } else {
                Ok(())
            }
        })
        // Generous: a plugin's PID namespace holding hundreds of processes (a fork bomb)
        // takes seconds to drain on a loaded machine.
        .and_then(|()| processes::none_left(Duration::from_secs(10)));
    Report {
        backend: case.backend,
        name: case.name.clone(),
        result,
        took: started.elapsed(),
    }
}

pub mod processes {
    //! Leftover processes: the suite adopts every orphan (child subreaper), so that a
    //! plugin's daemon that escaped its process group still shows up here.

    use std::time::{Duration, Instant};

    /// Makes this process the reaper of its orphaned descendants.
    pub fn become_subreaper() {
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer argument only.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(r, 0, "prctl(PR_SET_CHILD_SUBREAPER)");
    }

    /// The live (non-zombie) children of this process, as (pid, command line).
    pub fn children() -> Vec<(i32, String)> {
        let me = std::process::id() as i32;
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return found;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            let mut fields = after.split_whitespace();
            let state = fields.next().unwrap_or("");
            let ppid: i32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            if ppid != me {
                continue;
            }
            if state == "Z" {
                // An adopted orphan that died: reap it.
                // SAFETY: waitpid on a specific child pid with a null status pointer.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                continue;
            }
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            found.push((pid, cmdline));
        }
        found
    }

    /// Waits up to `grace` for every child to be gone; kills and names the stragglers.
    pub fn none_left(grace: Duration) -> Result<(), String> {
        let until = Instant::now() + grace;
        loop {
            let left = children();
            if left.is_empty() {
                return Ok(());
            }
            if Instant::now() >= until {
                for (pid, _) in &left {
                    // SAFETY: kill with a pid we just read and a valid signal number.
                    unsafe { libc::kill(*pid, libc::SIGKILL) };
                }
                return Err(format!("processes left over: {left:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs every case whose name or backend contains `filter` (all when `None`), prints one
/// line per case and the counts per backend, and returns whether all passed.
pub fn run_all(cases: Vec<Case>, filter: Option<&str>) -> bool {
    // The suite's binary is also the runner of the isolated native plugins its hosts load
    // (`ffi-isolated`): started as one, it serves the plugin and exits here.
    interop_host::isolation::serve_if_runner();
    processes::become_subreaper();
    let selected: Vec<Case> = cases
        .into_iter()
        .filter(|c| filter.is_none_or(|f| c.name.contains(f) || c.backend.contains(f)))
        .collect();
    let mut counts: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &selected {
        let report = run(case);
        let entry = counts.entry(report.backend).or_default();
        entry.0 += 1;
        match &report.result {
            Ok(()) => {
                entry.1 += 1;
                println!(
                    "  ok    {:<13} {} ({} ms)",
                    report.backend,
                    report.name,
                    report.took.as_millis()
                );
            }
            Err(why) => {
                println!("  FAIL  {:<13} {}: {why}", report.backend, report.name);
                failures.push(report);
            }
        }
    }
    println!("\nhostile suite: cases stopped and reported, per backend");
    for (backend, (total, passed)) in &counts {
        println!("  {backend:<13} {passed:>3} / {total}");
    }
    let total: usize = counts.values().map(|c| c.0).sum();
    println!("  {:<13} {:>3} / {total}", "all", total - failures.len());
    failures.is_empty()
}
