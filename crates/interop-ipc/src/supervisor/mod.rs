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
//!   failures calls fail without restarting. A successful call resets the count;
//! - the error of a call that failed with its process says how the process ended (exit
//!   status), what happens next (restart after a delay, or none any more) and the last
//!   lines the process wrote to stderr (a traceback), in its message and `data`.
//!
//! Replies are matched by id on each connection, and a connection's calls only ever
//! complete with that connection's replies, so a restart cannot hand one call's reply to
//! another.

mod ending;
mod launch;
mod process;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interop_protocol::manifest::Manifest;
use interop_protocol::{LoadedManifest, PluginError, PROTOCOL_VERSION};
use interop_sandbox::HostServices;
use serde_json::{json, Value};

use crate::confine::SandboxConfig;
use crate::framing::Framing;
use crate::host_api;
use crate::methods::{self, INITIALIZE, SHUTDOWN};
use crate::rpc::{CallError, Peer, PeerOptions, Router};
use crate::transport::{self, Endpoint};
use ending::{disconnect_error, Ending, Next};
use launch::{absolute, prepare_endpoint, Launch, PreparedEndpoint, TempDir};
use process::{Process, Spawn};

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
    /// Process limits and Landlock.
    pub sandbox: SandboxConfig,
}

impl Default for IpcConfig {
    fn default() -> Self {
        IpcConfig {
            restart: RestartPolicy::default(),
            start_timeout: Duration::from_secs(10),
            sandbox: SandboxConfig::default(),
        }
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
    framing: Framing,
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
            framing: launch::framing(&loaded.manifest.interop),
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
                self.next_after(&mut st, n);
                st.last_failure = Some(e.message.clone());
                Err(e)
            }
        }
    }

    /// Tears down the connection of `generation` (if it is still the live one): kills the
    /// process, counts a failure and schedules the restart. Returns how the process ended
    /// (`None` when that generation was already buried).
    async fn bury(&self, st: &mut State, generation: u64, reason: String) -> Option<Ending> {
        let live = st.live.take_if(|l| l.generation == generation)?;
        *lock(&self.current) = None;
        let Live {
            peer, mut process, ..
        } = live;
        peer.close().await;
        let mut status = None;
        let mut output = Vec::new();
        if let Some(p) = process.as_mut() {
            status = p.status_within(Duration::from_millis(100)).await;
            p.kill();
            if status.is_none() {
                let _ = p.status_within(Duration::from_millis(500)).await;
            }
            output = p.last_output(Duration::from_millis(200)).await;
        }
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let next = self.next_after(st, n);
        let described = match &status {
            Some(s) => format!("{reason} (process {s})"),
            None => reason,
        };
        // The caller gets the error; the log says what the host did about it (info, so that
        // a one-shot caller such as the CLI does not print the cause twice).
        tracing::info!(target: "interop::ipc", plugin = %self.name(), failures = n, ?next, "plugin failed: {described}");
        st.last_failure = Some(described);
        Some(Ending {
            status,
            output,
            next: Some(next),
        })
    }

    /// What follows the `failures`-th failure in a row: a restart after the backoff, or
    /// none any more.
    fn next_after(&self, st: &mut State, failures: u32) -> Next {
        if failures > self.config.restart.max_restarts {
            return Next::GiveUp(failures);
        }
        let delay = self.config.restart.backoff(failures);
        st.not_before = Some(Instant::now() + delay);
        Next::Restart(delay)
    }

    async fn fail_generation(&self, generation: u64, reason: String) -> Option<Ending> {
        let mut st = self.state.lock().await;
        self.bury(&mut st, generation, reason).await
    }

    /// `err` (or the limit the process died of), completed with how the process of
    /// `generation` ended, once it is buried.
    async fn failed(
        &self,
        generation: u64,
        method: &str,
        reason: String,
        err: PluginError,
    ) -> PluginError {
        let Some(ending) = self.fail_generation(generation, reason).await else {
            return err;
        };
        let memory =
            (self.services.policy().memory_bytes).max(self.config.sandbox.memory_floor_bytes);
        let err = match ending.limit(method, memory) {
            Some(limit) => limit.in_plugin(self.name()),
            None => err,
        };
        ending.report(err)
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
                Err(crate::rpc::remote_error(&e).in_plugin(self.name()))
            }
            Err(CallError::Timeout(_)) => {
                let err = PluginError::timeout(format!(
                    "`{method}` got no answer within {} ms (the call time limit); the plugin \
                     process was killed",
                    limit.as_millis()
                ))
                .with_data(json!({"limit": "time"}))
                .in_plugin(self.name());
                let reason = format!("`{method}` got no answer within {} ms", limit.as_millis());
                Err(self.failed(generation, method, reason, err).await)
            }
            Err(CallError::Disconnected(reason)) => {
                let err = disconnect_error(self.name(), method, &reason);
                Err(self
                    .failed(generation, method, reason.to_string(), err)
                    .await)
            }
            Err(e @ (CallError::TooLarge { .. } | CallError::BadReply(_))) => {
                Err(e.to_plugin_error(self.name(), method))
            }
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

    fn peer_options(&self) -> PeerOptions {
        let policy = self.services.policy();
        PeerOptions {
            framing: self.framing,
            max_frame: usize::try_from(policy.max_message_bytes).unwrap_or(usize::MAX),
            timeout: Some(policy.timeout),
            label: self.name().to_owned(),
        }
    }

    /// Starts the process (or connects) and performs the handshake.
    async fn start(&self) -> Result<Live, PluginError> {
        let router = host_api::host_router(self.services.clone());
        let mut live = match &self.launch {
            Launch::Stdio { program, args } => self.start_stdio(program, args, router)?,
            Launch::Spawn {
                program,
                args,
                transport,
                socket_path,
                address,
            } => {
                let prepared = prepare_endpoint(
                    self.name(),
                    *transport,
                    socket_path.as_deref(),
                    address.as_deref(),
                )?;
                self.start_socket(program, args, prepared, router).await?
            }
            Launch::Connect(endpoint) => Live {
                peer: self.connect(endpoint, router, || None).await?,
                process: None,
                generation: 0,
                _dir: None,
            },
        };
        self.handshake(&mut live).await?;
        Ok(live)
    }

    fn spawn(
        &self,
        program: &Path,
        args: &[String],
        extra_env: &[(String, String)],
        extra_write: &[PathBuf],
        stdio: bool,
        tcp_port: Option<Option<u16>>,
    ) -> Result<Process, PluginError> {
        process::spawn(&Spawn {
            plugin: self.name(),
            dir: &self.dir,
            program,
            args,
            extra_env,
            extra_write,
            stdio,
            policy: self.services.policy(),
            sandbox: &self.config.sandbox,
            tcp_port,
        })
    }

    /// `protocol: "subprocess"`: the process, and a peer over its stdin/stdout.
    fn start_stdio(
        &self,
        program: &Path,
        args: &[String],
        router: Router,
    ) -> Result<Live, PluginError> {
        let mut process = self.spawn(program, args, &[], &[], true, None)?;
        let stdin = process.child.stdin.take();
        let stdout = process.child.stdout.take();
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
            return Err(PluginError::internal("child stdio missing").in_plugin(self.name()));
        };
        let peer = Peer::new(stdout, stdin, router, self.peer_options());
        Ok(Live {
            peer,
            process: Some(process),
            generation: 0,
            _dir: None,
        })
    }

    /// `protocol: "ipc"` with `command`: the process, told where to listen, and a peer
    /// connected to it once it does.
    async fn start_socket(
        &self,
        program: &Path,
        args: &[String],
        prepared: PreparedEndpoint,
        router: Router,
    ) -> Result<Live, PluginError> {
        let PreparedEndpoint {
            endpoint,
            env,
            writable,
            dir,
        } = prepared;
        let tcp_port = match &endpoint {
            Endpoint::Tcp(address) => Some(address.rsplit(':').next().and_then(|p| p.parse().ok())),
            Endpoint::Unix(_) => None,
        };
        let mut process = self.spawn(program, args, &[env], &writable, false, tcp_port)?;
        let peer = self
            .connect(&endpoint, router, || match process.child.try_wait() {
                Ok(Some(status)) => Some(format!(
                    "the plugin process exited ({status}) before listening on {endpoint}"
                )),
                _ => None,
            })
            .await?;
        Ok(Live {
            peer,
            process: Some(process),
            generation: 0,
            _dir: dir,
        })
    }

    /// Connects to `endpoint`, retrying until [`IpcConfig::start_timeout`] or until
    /// `give_up` says why not.
    async fn connect(
        &self,
        endpoint: &Endpoint,
        router: Router,
        give_up: impl FnMut() -> Option<String>,
    ) -> Result<Peer, PluginError> {
        transport::connect_with_retry(
            endpoint,
            router,
            self.peer_options(),
            self.config.start_timeout,
            give_up,
        )
        .await
        .map_err(|e| PluginError::exec(e).in_plugin(self.name()))
    }

    /// Sends `initialize` and checks the answer against the manifest.
    async fn handshake(&self, live: &mut Live) -> Result<(), PluginError> {
        let name = self.name();
        let answer = live
            .peer
            .call_with_timeout(
                INITIALIZE,
                Some(json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "plugin": name,
                    "host": "interop",
                    "config": self.services.config(),
                })),
                Some(self.config.start_timeout),
            )
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let mut err = e.to_plugin_error(name, INITIALIZE);
                err.message = format!("handshake failed: {}", err.message);
                let Some(p) = live.process.as_mut() else {
                    return Err(err);
                };
                let status = p.status_within(Duration::from_millis(200)).await;
                if status.is_none() {
                    p.kill();
                }
                let ending = Ending {
                    status,
                    output: p.last_output(Duration::from_millis(200)).await,
                    next: None,
                };
                return Err(ending.report(err));
            }
        };
        methods::check_handshake(&self.manifest, answer)?;
        Ok(())
    }
}
