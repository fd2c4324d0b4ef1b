//! Supervision of one plugin: starting its process (or connecting to it), the handshake,
//! detecting a crash or a hang, and restarting with exponential backoff.
//!
//! The rules:
//! - a call that gets no answer within the policy's time limit fails with a `timeout`
//!   error, and the process is killed (a hung process cannot be trusted with the next
//!   call); every other call in flight on it fails with an `exec` error naming the reason;
//! - a process that exits, or closes its connection, fails its calls in flight with an
//!   `exec` error giving its exit status; one that sends a frame over the message-size
//!   limit fails them with a `limit_exceeded` (`message_size`) error and is killed;
//! - the next call starts a new process, after a delay that doubles with every
//!   consecutive failure (from [`RestartPolicy::initial_backoff`] up to
//!   [`RestartPolicy::max_backoff`]); after [`RestartPolicy::max_restarts`] consecutive
//!   failures calls fail without restarting. A successful call resets the count.
//!
//! Replies are matched by id on each connection, and a connection's calls only ever
//! complete with that connection's replies, so a restart cannot hand one call's reply to
//! another.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interop_protocol::manifest::{IpcTransport, Manifest};
use interop_protocol::{Interop, LoadedManifest, PluginError, PROTOCOL_VERSION};
use interop_sandbox::HostServices;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::confine::{self, SandboxConfig};
use crate::framing::{FrameError, FrameReader, Framing};
use crate::host_api;
use crate::methods::{self, INITIALIZE, SHUTDOWN};
use crate::rpc::{CallError, Disconnect, Peer, PeerOptions};
use crate::transport::{self, Endpoint};

/// When and how often a failed plugin is restarted.
#[derive(Debug, Clone)]
pub struct RestartPolicy {
    /// Consecutive failures (crashes, hangs, failed starts) after which the plugin is not
    /// restarted any more (default 5).
    pub max_restarts: u32,
    /// Delay before the first restart (default 50 ms); doubles with each consecutive
    /// failure.
    pub initial_backoff: Duration,
    /// Longest delay between restarts (default 5 s).
    pub max_backoff: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            max_restarts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RestartPolicy {
    /// The delay before the restart that follows `failures` consecutive failures.
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(20);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Settings of the IPC backend.
#[derive(Debug, Clone)]
pub struct IpcConfig {
    /// Restarts after crashes and hangs.
    pub restart: RestartPolicy,
    /// Time a plugin has to start, listen and answer `initialize` (default 10 s).
    pub start_timeout: Duration,
    /// Framing on sockets (`protocol: "ipc"`); stdio always uses lines.
    pub socket_framing: Framing,
    /// Process limits and Landlock.
    pub sandbox: SandboxConfig,
}

impl Default for IpcConfig {
    fn default() -> Self {
        IpcConfig {
            restart: RestartPolicy::default(),
            start_timeout: Duration::from_secs(10),
            socket_framing: Framing::Lines,
            sandbox: SandboxConfig::default(),
        }
    }
}

/// How the plugin is reached.
#[derive(Debug, Clone)]
enum Launch {
    /// `protocol: "subprocess"`: JSON lines over the child's stdin/stdout.
    Stdio { program: PathBuf, args: Vec<String> },
    /// `protocol: "ipc"` with `command`: start it, then connect.
    Spawn {
        program: PathBuf,
        args: Vec<String>,
        transport: IpcTransport,
        socket_path: Option<PathBuf>,
        address: Option<String>,
    },
    /// `protocol: "ipc"` without `command`: connect to a listening plugin.
    Connect(Endpoint),
}

/// `path` made absolute (the plugin runs in its own directory, so relative paths would
/// change meaning).
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

fn program_path(loaded: &LoadedManifest, command: &str) -> PathBuf {
    if command.contains('/') {
        absolute(loaded.resolve(command))
    } else {
        PathBuf::from(command)
    }
}

impl Launch {
    fn from_manifest(loaded: &LoadedManifest) -> Result<Launch, PluginError> {
        let name = loaded.name();
        match &loaded.manifest.interop {
            Interop::Subprocess(s) => Ok(Launch::Stdio {
                program: program_path(loaded, &s.command),
                args: s.args.clone(),
            }),
            Interop::Ipc(i) => {
                let socket_path = i
                    .socket_path
                    .as_deref()
                    .map(|p| absolute(loaded.resolve(p)));
                match (&i.command, i.transport) {
                    (Some(command), transport) => Ok(Launch::Spawn {
                        program: program_path(loaded, command),
                        args: i.args.clone(),
                        transport,
                        socket_path,
                        address: i.address.clone(),
                    }),
                    (None, IpcTransport::Unix) => socket_path
                        .map(|p| Launch::Connect(Endpoint::Unix(p)))
                        .ok_or_else(|| {
                            PluginError::invalid_input(
                            "interop.socketPath is required for transport `unix` without `command`",
                        )
                        .in_plugin(name)
                        }),
                    (None, IpcTransport::Tcp) => i
                        .address
                        .clone()
                        .map(|a| Launch::Connect(Endpoint::Tcp(a)))
                        .ok_or_else(|| {
                            PluginError::invalid_input(
                                "interop.address is required for transport `tcp` without `command`",
                            )
                            .in_plugin(name)
                        }),
                }
            }
            other => Err(PluginError::invalid_input(format!(
                "the ipc backend cannot load protocol `{}`",
                other.protocol()
            ))
            .in_plugin(name)),
        }
    }
}

/// A private temporary directory (for a plugin's socket), removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(plugin: &str) -> std::io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let safe: String = plugin
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        let path = std::env::temp_dir().join(format!("interop-{safe}-{}-{n}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A plugin process, killed with its whole process group on drop.
struct Process {
    child: Child,
    pid: Option<u32>,
}

impl Process {
    fn kill(&mut self) {
        if let Some(pid) = self.pid {
            // SAFETY: kill(2) on our child's process group (it was created with
            // process_group(0), so its pgid is its pid).
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
        }
        let _ = self.child.start_kill();
    }

    /// The exit status, waiting at most `within`; `None` if still running.
    async fn status_within(&mut self, within: Duration) -> Option<String> {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) => Some(status.to_string()),
            _ => None,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Live {
    peer: Peer,
    process: Option<Process>,
    generation: u64,
    _dir: Option<TempDir>,
}

struct State {
    live: Option<Live>,
    generation: u64,
    not_before: Option<Instant>,
    last_failure: Option<String>,
    unloaded: bool,
}

/// Runs one plugin: see the module docs.
pub(crate) struct Supervisor {
    manifest: Manifest,
    dir: PathBuf,
    launch: Launch,
    services: HostServices,
    config: IpcConfig,
    state: tokio::sync::Mutex<State>,
    /// The live connection, for the fast path of a call.
    current: Mutex<Option<(Peer, u64)>>,
    failures: AtomicU32,
    restarts: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Supervisor {
    pub(crate) fn new(
        loaded: &LoadedManifest,
        services: HostServices,
        config: IpcConfig,
    ) -> Result<Supervisor, PluginError> {
        Ok(Supervisor {
            launch: Launch::from_manifest(loaded)?,
            manifest: loaded.manifest.clone(),
            dir: absolute(loaded.dir.clone()),
            services,
            config,
            state: tokio::sync::Mutex::new(State {
                live: None,
                generation: 0,
                not_before: None,
                last_failure: None,
                unloaded: false,
            }),
            current: Mutex::new(None),
            failures: AtomicU32::new(0),
            restarts: AtomicU64::new(0),
        })
    }

    fn name(&self) -> &str {
        &self.manifest.name
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// How many times the plugin was restarted.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// The OS process id of the running plugin, if a process is running.
    pub(crate) async fn pid(&self) -> Option<u32> {
        let st = self.state.lock().await;
        st.live.as_ref()?.process.as_ref()?.pid
    }

    /// Starts the plugin now (used by `load`, so that a broken plugin fails to load).
    pub(crate) async fn start_now(self: Arc<Self>) -> Result<(), PluginError> {
        self.connection().await.map(|_| ())
    }

    /// The live connection, starting (or restarting) the plugin when there is none.
    async fn connection(&self) -> Result<(Peer, u64), PluginError> {
        if let Some((peer, generation)) = lock(&self.current).as_ref() {
            if !peer.is_closed() {
                return Ok((peer.clone(), *generation));
            }
        }
        let mut st = self.state.lock().await;
        if st.unloaded {
            return Err(interop_protocol::plugin::unloaded(&self.manifest));
        }
        if let Some(live) = &st.live {
            if !live.peer.is_closed() {
                return Ok((live.peer.clone(), live.generation));
            }
            // It died between calls.
            let generation = live.generation;
            let reason = live
                .peer
                .close_reason()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "connection lost".into());
            self.bury(&mut st, generation, reason).await;
        }
        let failures = self.failures.load(Ordering::Relaxed);
        if failures > self.config.restart.max_restarts {
            return Err(PluginError::exec(format!(
                "the plugin failed {failures} times in a row and is not restarted any more \
                 (last failure: {})",
                st.last_failure.as_deref().unwrap_or("unknown")
            ))
            .in_plugin(self.name()));
        }
        if let Some(not_before) = st.not_before.take() {
            tokio::time::sleep_until(not_before.into()).await;
        }
        match self.start().await {
            Ok(mut live) => {
                st.generation += 1;
                live.generation = st.generation;
                if st.generation > 1 {
                    self.restarts.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(target: "interop::ipc", plugin = %self.name(), generation = st.generation, "plugin restarted");
                }
                let out = (live.peer.clone(), live.generation);
                *lock(&self.current) = Some(out.clone());
                st.live = Some(live);
                Ok(out)
            }
            Err(e) => {
                let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                st.not_before = Some(Instant::now() + self.config.restart.backoff(n));
                st.last_failure = Some(e.message.clone());
                Err(e)
            }
        }
    }

    /// Tears down the connection of `generation` (if it is still the live one): kills the
    /// process, counts a failure and schedules the restart. Returns the process's exit
    /// status when it had exited on its own.
    async fn bury(&self, st: &mut State, generation: u64, reason: String) -> Option<String> {
        let live = st.live.take_if(|l| l.generation == generation)?;
        *lock(&self.current) = None;
        let Live {
            peer, mut process, ..
        } = live;
        peer.close().await;
        let mut status = None;
        if let Some(p) = process.as_mut() {
            status = p.status_within(Duration::from_millis(100)).await;
            p.kill();
            if status.is_none() {
                let _ = p.status_within(Duration::from_millis(500)).await;
            }
        }
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let delay = self.config.restart.backoff(n);
        st.not_before = Some(Instant::now() + delay);
        let described = match &status {
            Some(s) => format!("{reason} (process {s})"),
            None => reason,
        };
        tracing::warn!(target: "interop::ipc", plugin = %self.name(), failures = n, "plugin failed: {described}; restart in {} ms", delay.as_millis());
        st.last_failure = Some(described);
        status
    }

    async fn fail_generation(&self, generation: u64, reason: String) -> Option<String> {
        let mut st = self.state.lock().await;
        self.bury(&mut st, generation, reason).await
    }

    /// Calls `method` on the plugin within the policy's time limit, (re)starting it first
    /// if needed (which has its own limit, [`IpcConfig::start_timeout`]).
    pub(crate) async fn call(
        self: Arc<Self>,
        method: &'static str,
        params: Value,
    ) -> Result<Value, PluginError> {
        let limit = self.services.policy().timeout;
        // Starting the process is bounded by its own limits (backoff, `start_timeout`);
        // the call then gets the whole call time limit.
        let (peer, generation) = self.connection().await?;
        let remaining = limit;
        let result = peer
            .call_with_timeout(method, Some(params), Some(remaining))
            .await;
        match result {
            Ok(v) => {
                self.failures.store(0, Ordering::Relaxed);
                Ok(v)
            }
            Err(CallError::Remote(e)) => {
                self.failures.store(0, Ordering::Relaxed);
                Err(e.to_plugin_error().in_plugin(self.name()))
            }
            Err(CallError::Timeout(_)) => {
                self.fail_generation(
                    generation,
                    format!("`{method}` got no answer within {} ms", limit.as_millis()),
                )
                .await;
                Err(PluginError::timeout(format!(
                    "`{method}` got no answer within {} ms (the call time limit); the plugin \
                     process was killed and will be restarted",
                    limit.as_millis()
                ))
                .with_data(json!({"limit": "time"}))
                .in_plugin(self.name()))
            }
            Err(CallError::Disconnected(reason)) => {
                let status = self.fail_generation(generation, reason.to_string()).await;
                Err(disconnect_error(self.name(), method, &reason, status))
            }
            Err(e @ CallError::TooLarge { .. }) => Err(e.to_plugin_error(self.name(), method)),
        }
    }

    /// Asks the plugin to shut down, then stops it; later calls fail as unloaded.
    pub(crate) async fn shutdown(&self) {
        let mut st = self.state.lock().await;
        st.unloaded = true;
        *lock(&self.current) = None;
        if let Some(mut live) = st.live.take() {
            let _ = live
                .peer
                .call_with_timeout(SHUTDOWN, None, Some(Duration::from_secs(1)))
                .await;
            live.peer.close().await;
            if let Some(p) = live.process.as_mut() {
                if p.status_within(Duration::from_secs(1)).await.is_none() {
                    p.kill();
                    let _ = p.status_within(Duration::from_millis(500)).await;
                }
            }
        }
    }

    fn peer_options(&self, framing: Framing) -> PeerOptions {
        let policy = self.services.policy();
        PeerOptions {
            framing,
            max_frame: usize::try_from(policy.max_message_bytes).unwrap_or(usize::MAX),
            timeout: Some(policy.timeout),
            label: self.name().to_owned(),
        }
    }

    /// Starts the process (or connects) and performs the handshake.
    async fn start(&self) -> Result<Live, PluginError> {
        let name = self.name().to_owned();
        let router = host_api::host_router(self.services.clone());
        let mut live = match &self.launch {
            Launch::Stdio { program, args } => {
                let mut process = self.spawn(program, args, &[], &[], true)?;
                let stdin = process.child.stdin.take();
                let stdout = process.child.stdout.take();
                let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
                    return Err(PluginError::internal("child stdio missing").in_plugin(&name));
                };
                let peer = Peer::new(stdout, stdin, router, self.peer_options(Framing::Lines));
                Live {
                    peer,
                    process: Some(process),
                    generation: 0,
                    _dir: None,
                }
            }
            Launch::Spawn {
                program,
                args,
                transport,
                socket_path,
                address,
            } => {
                let (endpoint, env, dir) = match transport {
                    IpcTransport::Unix => {
                        let (path, dir) = match socket_path {
                            Some(p) => {
                                if let Some(parent) = p.parent() {
                                    std::fs::create_dir_all(parent).map_err(|e| {
                                        PluginError::fs(format!(
                                            "cannot create the socket directory {}: {e}",
                                            parent.display()
                                        ))
                                        .in_plugin(&name)
                                    })?;
                                }
                                (p.clone(), None)
                            }
                            None => {
                                let dir = TempDir::new(&name).map_err(|e| {
                                    PluginError::internal(format!("socket directory: {e}"))
                                        .in_plugin(&name)
                                })?;
                                (dir.0.join("plugin.sock"), Some(dir))
                            }
                        };
                        let env = ("INTEROP_SOCKET".to_owned(), path.display().to_string());
                        (Endpoint::Unix(path), env, dir)
                    }
                    IpcTransport::Tcp => {
                        let addr = match address {
                            Some(a) => a.clone(),
                            None => transport::free_loopback_address()
                                .map_err(|e| {
                                    PluginError::internal(format!("no free port: {e}"))
                                        .in_plugin(&name)
                                })?
                                .to_string(),
                        };
                        (
                            Endpoint::Tcp(addr.clone()),
                            ("INTEROP_ADDRESS".to_owned(), addr),
                            None,
                        )
                    }
                };
                let writable: Vec<PathBuf> = match &endpoint {
                    Endpoint::Unix(p) => p.parent().map(Path::to_path_buf).into_iter().collect(),
                    Endpoint::Tcp(_) => Vec::new(),
                };
                let mut process = self.spawn(program, args, &[env], &writable, false)?;
                let options = self.peer_options(self.config.socket_framing);
                let peer = transport::connect_with_retry(
                    &endpoint,
                    router,
                    options,
                    self.config.start_timeout,
                    || match process.child.try_wait() {
                        Ok(Some(status)) => Some(format!(
                            "the plugin process exited ({status}) before listening on {endpoint}"
                        )),
                        _ => None,
                    },
                )
                .await
                .map_err(|e| PluginError::exec(e).in_plugin(&name))?;
                Live {
                    peer,
                    process: Some(process),
                    generation: 0,
                    _dir: dir,
                }
            }
            Launch::Connect(endpoint) => {
                let peer = transport::connect_with_retry(
                    endpoint,
                    router,
                    self.peer_options(self.config.socket_framing),
                    self.config.start_timeout,
                    || None,
                )
                .await
                .map_err(|e| PluginError::exec(e).in_plugin(&name))?;
                Live {
                    peer,
                    process: None,
                    generation: 0,
                    _dir: None,
                }
            }
        };
        let answer = live
            .peer
            .call_with_timeout(
                INITIALIZE,
                Some(json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "plugin": name,
                    "host": "interop",
                })),
                Some(self.config.start_timeout),
            )
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let mut status = None;
                if let Some(p) = live.process.as_mut() {
                    status = p.status_within(Duration::from_millis(200)).await;
                }
                let mut err = e.to_plugin_error(&name, INITIALIZE);
                err.message = format!("handshake failed: {}", err.message);
                if let Some(status) = status {
                    err.message.push_str(&format!(" (process {status})"));
                }
                return Err(err);
            }
        };
        methods::check_handshake(&self.manifest, answer)?;
        Ok(live)
    }

    /// Spawns the plugin process in its sandbox.
    fn spawn(
        &self,
        program: &Path,
        args: &[String],
        extra_env: &[(String, String)],
        extra_write: &[PathBuf],
        stdio: bool,
    ) -> Result<Process, PluginError> {
        let name = self.name();
        let policy = self.services.policy();
        let sandbox = &self.config.sandbox;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .kill_on_drop(true)
            .process_group(0)
            .stdin(if stdio { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for var in &policy.env {
            if let Some(value) = std::env::var_os(var) {
                cmd.env(var, value);
            }
        }
        cmd.env("INTEROP_PLUGIN", name)
            .env("INTEROP_PROTOCOL_VERSION", PROTOCOL_VERSION);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }

        let memory = policy.memory_bytes.max(sandbox.memory_floor_bytes);
        let cpu = sandbox.cpu_seconds;
        let files = sandbox.max_open_files;
        #[cfg(target_os = "linux")]
        let ruleset = if sandbox.landlock {
            let resolved = which(program);
            let rules = confine::fs_rules(policy, resolved.as_deref(), extra_write);
            match confine::landlock_ruleset(&rules) {
                Ok(Some(r)) => Some(r),
                Ok(None) => {
                    tracing::warn!(target: "interop::ipc", plugin = %name, "Landlock is not supported by this kernel: the plugin process runs without filesystem rules (host calls are still checked)");
                    None
                }
                Err(e) => {
                    return Err(PluginError::internal(format!("sandbox: {e}")).in_plugin(name))
                }
            }
        } else {
            None
        };
        #[cfg(target_os = "linux")]
        let ruleset = Mutex::new(ruleset);
        // SAFETY: the closure runs in the child between fork and exec; it only makes
        // system calls (setrlimit, prctl, landlock_restrict_self) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                confine::apply_rlimits(memory, cpu, files)?;
                #[cfg(target_os = "linux")]
                if let Some(r) = ruleset.lock().ok().and_then(|mut g| g.take()) {
                    r.restrict_self()
                        .map_err(|_| std::io::Error::from_raw_os_error(libc::EPERM))?;
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            PluginError::exec(format!(
                "cannot start `{}` (in {}): {e}",
                program.display(),
                self.dir.display()
            ))
            .in_plugin(name)
        })?;
        let pid = child.id();
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_output(name.to_owned(), "stderr", stderr));
        }
        if !stdio {
            if let Some(stdout) = child.stdout.take() {
                tokio::spawn(forward_output(name.to_owned(), "stdout", stdout));
            }
        }
        tracing::debug!(target: "interop::ipc", plugin = %name, ?pid, program = %program.display(), "plugin process started");
        Ok(Process { child, pid })
    }
}

/// The error of a call whose connection ended.
fn disconnect_error(
    plugin: &str,
    method: &str,
    reason: &Disconnect,
    status: Option<String>,
) -> PluginError {
    match reason {
        Disconnect::TooLarge { .. } => {
            CallError::Disconnected(reason.clone()).to_plugin_error(plugin, method)
        }
        _ => {
            let mut message = match reason {
                Disconnect::Eof => format!(
                    "`{method}` failed: the plugin process closed its connection (crashed or exited)"
                ),
                other => format!(
                    "`{method}` failed: lost the connection to the plugin process ({other})"
                ),
            };
            if let Some(status) = status {
                message.push_str(&format!("; process {status}"));
            }
            message.push_str("; it will be restarted");
            PluginError::exec(message).in_plugin(plugin)
        }
    }
}

/// Finds `program` on `PATH` (for the Landlock rules; spawning resolves it itself).
fn which(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return Some(program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Forwards a plugin's stderr (or, for socket plugins, stdout) to the log, line by line.
async fn forward_output(plugin: String, stream: &'static str, output: impl AsyncRead + Unpin) {
    let mut lines = FrameReader::new(BufReader::new(output), Framing::Lines, 64 * 1024);
    loop {
        match lines.next_frame().await {
            Ok(Some(line)) => {
                tracing::info!(target: "interop::plugin", %plugin, stream, "{}", String::from_utf8_lossy(&line))
            }
            Ok(None) | Err(FrameError::Io(_)) | Err(FrameError::BadHeader(_)) => break,
            Err(FrameError::TooLarge { limit }) => {
                tracing::warn!(target: "interop::plugin", %plugin, stream, "line longer than {limit} bytes dropped")
            }
        }
    }
}
