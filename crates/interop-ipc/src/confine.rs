//! The confinement of a plugin process: environment, working directory, resource limits and
//! Landlock filesystem rules, applied between `fork` and `exec`.
//!
//! - Environment: cleared, then only `PATH` (so that `python3`/`node` resolve), the
//!   variables the policy grants (when set in the host), and the `INTEROP_*` variables
//!   the host passes (`INTEROP_PLUGIN`, `INTEROP_PROTOCOL_VERSION`, `INTEROP_SOCKET` or
//!   `INTEROP_ADDRESS`).
//! - Working directory: the plugin directory.
//! - Limits (`setrlimit`): `RLIMIT_DATA` = the policy's memory limit, but never below
//!   [`SandboxConfig::memory_floor_bytes`] (interpreters need tens of MiB before running
//!   a line of plugin code; `RLIMIT_AS` is not used because V8 and glibc reserve far more
//!   address space than they use), `RLIMIT_CPU` (total CPU seconds of the process) and
//!   `RLIMIT_NOFILE`. `RLIMIT_CORE` is 0.
//! - Landlock (Linux 5.13+, when enabled): reads and executes only under the system
//!   directories interpreters need, the directories on `PATH` (and the installation prefix
//!   above each), the plugin directory and the policy's filesystem roots; writes only
//!   under roots the policy grants for writing, the socket directory and `/dev/null`.
//!   Where the kernel has no Landlock, the process runs without it and
//!   [`landlock_abi`] says so (a warning is logged once per plugin start).
//! - The process gets its own process group, killed as a whole with `SIGKILL` when the
//!   plugin is restarted, unloaded or dropped.

use std::path::{Path, PathBuf};

use interop_sandbox::{Access, Policy};

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
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            memory_floor_bytes: 256 * 1024 * 1024,
            cpu_seconds: Some(3600),
            max_open_files: 256,
            landlock: true,
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

/// System directories an interpreter needs to read (and execute from).
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt", "/proc", "/sys", "/dev",
    "/run",
];

/// What a process may touch, as path lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FsRules {
    /// Read and execute under these.
    pub read: Vec<PathBuf>,
    /// Read, write, create and remove under these.
    pub write: Vec<PathBuf>,
}

/// The filesystem rules of a plugin process: see the module docs.
pub fn fs_rules(policy: &Policy, program: Option<&Path>, extra_write: &[PathBuf]) -> FsRules {
    let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    let mut write: Vec<PathBuf> = vec![PathBuf::from("/dev/null")];
    let add_prefix = |dir: &Path, read: &mut Vec<PathBuf>| {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        // `.../bin` -> the installation prefix above it (pyenv, nvm, /usr/local...).
        let prefix = match dir.file_name().and_then(|n| n.to_str()) {
            Some("bin" | "shims" | "sbin") => dir.parent().map(Path::to_path_buf).unwrap_or(dir),
            _ => dir,
        };
        if prefix != Path::new("/") {
            read.push(prefix);
        }
    };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.is_absolute() {
                add_prefix(&dir, &mut read);
            }
        }
    }
    if let Some(program) = program.and_then(|p| p.canonicalize().ok()) {
        if let Some(dir) = program.parent() {
            add_prefix(dir, &mut read);
        }
    }
    read.push(policy.base_dir.clone());
    for root in &policy.fs {
        if root.grants(Access::Write) {
            write.push(root.path.clone());
        } else if root.grants(Access::Read) {
            read.push(root.path.clone());
        }
    }
    write.extend(extra_write.iter().cloned());
    read.sort();
    read.dedup();
    FsRules { read, write }
}

/// Builds the Landlock ruleset for `rules` in the parent (opening the directories), ready
/// to be enforced in the child. `Ok(None)`: the kernel has no Landlock.
#[cfg(target_os = "linux")]
pub(crate) fn landlock_ruleset(
    rules: &FsRules,
) -> Result<Option<landlock::RulesetCreated>, String> {
    use landlock::{
        path_beneath_rules, Access as _, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, ABI,
    };
    if landlock_abi().is_none() {
        return Ok(None);
    }
    let abi = ABI::V5;
    let all = AccessFs::from_all(abi);
    let read = AccessFs::from_read(abi) | AccessFs::Execute;
    Ruleset::default()
        .handle_access(all)
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&rules.read, read)))
        .and_then(|r| r.add_rules(path_beneath_rules(&rules.write, all)))
        .map(Some)
        .map_err(|e| format!("landlock: {e}"))
}

/// Applies the resource limits; called in the child between fork and exec, so it only
/// makes system calls (no allocation, no locks).
pub(crate) fn apply_rlimits(memory: u64, cpu: Option<u64>, files: u64) -> std::io::Result<()> {
    fn set(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
        let lim = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: value as libc::rlim_t,
        };
        // SAFETY: setrlimit with a valid pointer to a local struct.
        if unsafe { libc::setrlimit(resource, &lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    set(libc::RLIMIT_DATA, memory)?;
    if let Some(cpu) = cpu {
        set(libc::RLIMIT_CPU, cpu)?;
    }
    set(libc::RLIMIT_NOFILE, files)?;
    set(libc::RLIMIT_CORE, 0)?;
    Ok(())
}
