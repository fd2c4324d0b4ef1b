//! Landlock rules of a plugin process: what it may read, execute and write, and (where
//! the kernel has them) which TCP ports it may use and whom it may signal.

use std::path::{Path, PathBuf};

use interop_sandbox::{Access, Policy};
#[cfg(target_os = "linux")]
use landlock::{Access as _, AccessFs, RulesetCreated};

/// The highest Landlock ABI the rules use (signal and abstract socket scoping); on older
/// kernels, the crate's best-effort mode leaves out what they lack.
#[cfg(target_os = "linux")]
const ABI: landlock::ABI = landlock::ABI::V6;

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
///
/// Besides files: when `tcp` is `Some`, TCP is handled too (ABI 4+): the process may
/// connect nowhere and bind only the given port (`Some(None)`: no port at all); and on
/// ABI 6+ it may not signal processes outside its domain, nor reach abstract Unix sockets
/// outside it.
#[cfg(target_os = "linux")]
pub(crate) fn ruleset(
    rules: &FsRules,
    tcp: Option<Option<u16>>,
) -> Result<Option<RulesetCreated>, String> {
    use landlock::{
        path_beneath_rules, AccessNet, NetPort, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
    };
    if super::landlock_abi().is_none() {
        return Ok(None);
    }
    let all = AccessFs::from_all(ABI);
    let read = AccessFs::from_read(ABI) | AccessFs::Execute;
    let mut ruleset = Ruleset::default()
        .handle_access(all)
        .and_then(|r| r.scope(Scope::Signal | Scope::AbstractUnixSocket));
    if tcp.is_some() {
        ruleset = ruleset.and_then(|r| r.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp));
    }
    let mut created = ruleset
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&rules.read, read)))
        .and_then(|r| r.add_rules(path_beneath_rules(&rules.write, all)));
    if let Some(Some(port)) = tcp {
        created = created.and_then(|r| r.add_rule(NetPort::new(port, AccessNet::BindTcp)));
    }
    created.map(Some).map_err(|e| format!("landlock: {e}"))
}

/// The ruleset, also allowing reads of the `/proc` mounted over the host's in the
/// process's own PID namespace (rules name the directories opened by the host, and the
/// fresh `/proc` is another mount). Called between fork and exec: system calls only.
#[cfg(target_os = "linux")]
pub(crate) fn with_fresh_proc(ruleset: RulesetCreated) -> std::io::Result<RulesetCreated> {
    use landlock::{PathBeneath, RulesetCreatedAttr};
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: open a static path; the descriptor is owned below.
    let fd = unsafe { libc::open(c"/proc".as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    let proc = unsafe { OwnedFd::from_raw_fd(fd) };
    let read = AccessFs::from_read(ABI);
    ruleset
        .add_rule(PathBeneath::new(proc, read))
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EPERM))
}
