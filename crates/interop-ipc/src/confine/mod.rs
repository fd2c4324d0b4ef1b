//! The confinement of a plugin process, applied between `fork` and `exec`; what it
//! enforces is listed for plugin authors and embedders in `docs/ipc.md` ("Sandbox").
//!
//! - Environment: cleared, then only `PATH` (so that `python3`/`node` resolve), the
//!   variables the policy grants (when set in the host), and the `INTEROP_*` variables
//!   the host passes (`INTEROP_PLUGIN`, `INTEROP_PROTOCOL_VERSION`, `INTEROP_SOCKET` or
//!   `INTEROP_ADDRESS`). Working directory: the plugin directory.
//! - Namespaces ([`namespaces`], Linux): the plugin runs in its own PID namespace (under
//!   a minimal init that reaps orphans) with a fresh `/proc` (the host and every other process are out of sight and out of reach
//!   of its signals), in its own mount namespace, and in its own network namespace (only
//!   a loopback) when it is granted no network and does not listen on TCP; a user
//!   namespace makes this work without root. A keeper process ties the plugin's life to
//!   the host's, and every descendant's to the plugin's.
//! - Limits ([`limits`]): `RLIMIT_DATA` = the policy's memory limit, but never below
//!   [`SandboxConfig::memory_floor_bytes`] (interpreters need tens of MiB before running
//!   a line of plugin code; `RLIMIT_AS` is not used because V8 and glibc reserve far more
//!   address space than they use), `RLIMIT_CPU`, `RLIMIT_NOFILE`, no core dumps,
//!   `kernel.pid_max` of its PID namespace (Linux 6.14+); every capability dropped and
//!   `no_new_privs` set.
//! - Landlock ([`landlock`], Linux 5.13+): reads and executes only under the system
//!   directories interpreters need, the directories on `PATH` (and the installation prefix
//!   above each), the plugin directory and the policy's filesystem roots; writes only
//!   under roots the policy grants for writing, the socket directory and `/dev/null`;
//!   with no network granted, no TCP connect and no bind but its own port (ABI 4+); no
//!   signal to a process outside the sandbox (ABI 6+); and, as for any Landlock domain,
//!   no `ptrace` (nor `/proc/<pid>/mem` or `environ`) of a process outside it.
//!
//! Whatever the kernel or the host's privileges lack is left out, and each plugin start
//! logs one warning listing what is not enforced ([`Confinement::unenforced`]).

pub mod landlock;
pub(crate) mod limits;
#[cfg(target_os = "linux")]
pub(crate) mod namespaces;

use std::path::{Path, PathBuf};

use interop_sandbox::Policy;

pub use self::landlock::{fs_rules, FsRules};

/// Process-level limits and switches of the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Smallest `RLIMIT_DATA` applied, whatever the policy says (default 256 MiB).
    pub memory_floor_bytes: u64,
    /// `RLIMIT_CPU` in seconds of CPU time over the process's life (default 3600;
    /// `None`: unlimited). A process killed by it is restarted like any crashed one.
    pub cpu_seconds: Option<u64>,
    /// `RLIMIT_NOFILE` (default 256).
    pub max_open_files: u64,
    /// Apply Landlock rules when the kernel supports them (default true).
    pub landlock: bool,
    /// Run the plugin in its own PID, mount (and, without network, network) namespaces
    /// when the host can create them (default true).
    pub namespaces: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            memory_floor_bytes: 256 * 1024 * 1024,
            cpu_seconds: Some(3600),
            max_open_files: 256,
            landlock: true,
            namespaces: true,
        }
    }
}

/// The Landlock ABI version the running kernel supports, or `None` when it has none
/// (not built in, not enabled at boot, or not Linux).
pub fn landlock_abi() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
        // SAFETY: with a null attribute pointer, size 0 and the VERSION flag, the syscall
        // only returns the ABI version (or an error); it touches no memory.
        let v = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                LANDLOCK_CREATE_RULESET_VERSION,
            )
        };
        (v > 0).then_some(v as u32)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// How a plugin process is to be confined, prepared by the host before it forks.
pub(crate) struct Confinement {
    /// The keeper and the namespaces it enters (none when they could not be created).
    #[cfg(target_os = "linux")]
    pub(crate) isolation: namespaces::Isolation,
    /// The Landlock rules to enforce.
    #[cfg(target_os = "linux")]
    pub(crate) ruleset: Option<::landlock::RulesetCreated>,
    /// `RLIMIT_DATA`, in bytes.
    pub(crate) memory: u64,
    /// `RLIMIT_CPU`, in seconds.
    pub(crate) cpu: Option<u64>,
    /// `RLIMIT_NOFILE`.
    pub(crate) files: u64,
    /// What this host cannot enforce for this plugin, one item each.
    pub(crate) unenforced: Vec<String>,
}

/// What a plugin process needs from its confinement besides its policy.
pub(crate) struct Needs<'a> {
    /// The program, resolved on `PATH` (its installation prefix must stay readable).
    pub(crate) program: Option<&'a Path>,
    /// Directories it must be able to write (its socket's).
    pub(crate) extra_write: &'a [PathBuf],
    /// Whether it listens on TCP (it then shares the host's network), and on which port.
    pub(crate) tcp_port: Option<Option<u16>>,
}

/// The confinement of a plugin with `policy`: see the module docs.
pub(crate) fn prepare(
    policy: &Policy,
    config: &SandboxConfig,
    needs: &Needs<'_>,
) -> Result<Confinement, String> {
    let mut unenforced = Vec::new();
    let network_granted = policy
        .network
        .as_ref()
        .is_some_and(|n| !n.prefixes.is_empty());
    let listens_on_tcp = needs.tcp_port.is_some();
    // TCP is handled by Landlock when no network is granted: no connect, and no bind but
    // the plugin's own port when it listens on one.
    let tcp_rules = (!network_granted).then(|| needs.tcp_port.flatten());
    let abi = landlock_abi();
    #[cfg(target_os = "linux")]
    let ruleset = if config.landlock {
        let rules = fs_rules(policy, needs.program, needs.extra_write);
        let ruleset = self::landlock::ruleset(&rules, tcp_rules)?;
        match abi {
            None => unenforced.push("filesystem rules (the kernel has no Landlock)".to_owned()),
            Some(v) if v < 4 && !network_granted => {
                unenforced.push(format!("TCP rules (Landlock ABI {v} < 4)"))
            }
            _ => {}
        }
        if abi.is_some_and(|v| v < 6) {
            unenforced.push("signal scoping (Landlock ABI < 6)".to_owned());
        }
        ruleset
    } else {
        unenforced.push("filesystem rules (Landlock is off)".to_owned());
        None
    };
    #[cfg(target_os = "linux")]
    let mut isolation = if config.namespaces {
        let net = !network_granted && !listens_on_tcp;
        match namespaces::Isolation::new(net) {
            Ok(isolation) => {
                if !network_granted && listens_on_tcp {
                    unenforced.push(
                        "a network namespace (the plugin listens on TCP, so it shares the \
                         host's network; use transport `unix` to confine it)"
                            .to_owned(),
                    );
                }
                if !isolation.bounds_processes() {
                    unenforced.push(
                        "a bound on its number of processes (kernel.pid_max is per \
                         namespace from Linux 6.14)"
                            .to_owned(),
                    );
                }
                isolation
            }
            Err(why) => {
                unenforced.push(format!(
                    "PID, mount and network namespaces ({why}): the plugin can see the \
                     processes of its user, and its descendants can outlive it"
                ));
                namespaces::Isolation::keeper_only()
            }
        }
    } else {
        unenforced.push("namespaces (off)".to_owned());
        namespaces::Isolation::keeper_only()
    };
    #[cfg(target_os = "linux")]
    {
        isolation.cpu_seconds = config.cpu_seconds;
    }
    #[cfg(not(target_os = "linux"))]
    unenforced.push("namespaces and Landlock (Linux only)".to_owned());
    Ok(Confinement {
        #[cfg(target_os = "linux")]
        isolation,
        #[cfg(target_os = "linux")]
        ruleset,
        memory: policy.memory_bytes.max(config.memory_floor_bytes),
        cpu: config.cpu_seconds,
        files: config.max_open_files,
        unenforced,
    })
}

/// Confines `cmd` (not spawned yet) as [`prepare`] says, in its `pre_exec`; returns what
/// this host cannot enforce. The spawned child is the keeper: killing it ends the
/// confined process and all its descendants.
pub(crate) fn apply(
    cmd: &mut std::process::Command,
    policy: &Policy,
    config: &SandboxConfig,
    needs: &Needs<'_>,
) -> Result<Vec<String>, String> {
    use std::os::unix::process::CommandExt;
    let Confinement {
        #[cfg(target_os = "linux")]
        isolation,
        #[cfg(target_os = "linux")]
        ruleset,
        memory,
        cpu,
        files,
        unenforced,
    } = prepare(policy, config, needs)?;
    #[cfg(target_os = "linux")]
    let ruleset = std::sync::Mutex::new(ruleset);
    // SAFETY: the closure runs in the child between fork and exec; it only makes system
    // calls (unshare, fork, mount, setrlimit, prctl, landlock) and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            // The host's child stays the keeper here; only the plugin returns.
            #[cfg(target_os = "linux")]
            isolation.become_plugin()?;
            limits::apply_rlimits(memory, cpu, files)?;
            limits::drop_capabilities();
            #[cfg(target_os = "linux")]
            if let Some(mut r) = ruleset.lock().ok().and_then(|mut g| g.take()) {
                if isolation.has_namespaces() {
                    r = self::landlock::with_fresh_proc(r)?;
                }
                r.restrict_self()
                    .map_err(|_| std::io::Error::from_raw_os_error(libc::EPERM))?;
            }
            Ok(())
        });
    }
    Ok(unenforced)
}

/// Confines `cmd` (not spawned yet) as a plugin process with `policy` is confined: the
/// namespaces, keeper, limits and Landlock rules of the module docs, for any program
/// (`program`: the one `cmd` runs, resolved on `PATH`, whose installation must stay
/// readable). The environment is the caller's to clear. Returns what this host cannot
/// enforce. The spawned child is the keeper: killing it ends the confined process and
/// every descendant.
pub fn confine_command(
    cmd: &mut std::process::Command,
    policy: &Policy,
    config: &SandboxConfig,
    program: Option<&Path>,
) -> Result<Vec<String>, String> {
    let needs = Needs {
        program,
        extra_write: &[],
        tcp_port: None,
    };
    apply(cmd, policy, config, &needs)
}
