//! Namespaces and the keeper of a plugin process (Linux).
//!
//! Between `fork` and `exec`, the host's child becomes the plugin's *keeper*: it enters
//! new namespaces (PID, mount, and network when the plugin has no network; a user
//! namespace first when the host is not root), then forks the namespace's *init* (its
//! PID 1), which mounts a fresh `/proc` showing only the namespace's processes and forks
//! the plugin. The plugin is not PID 1 itself because PID 1 is deaf to its own signals:
//! `abort()` would end in `SIGSEGV`, `raise(SIGTERM)` would do nothing, and orphans of
//! its children would never be reaped. The init reaps every orphan, and when the plugin
//! ends it hands the plugin's wait status to the keeper (through a pipe) and exits.
//! The keeper stays outside the namespace, in the host's, and never execs:
//!
//! - it holds no descriptor of the host (all are closed) and is not dumpable, so the
//!   plugin cannot read its memory (a copy of the host's) through `/proc` or `ptrace`
//!   (the plugin cannot see it at all: its parent is outside its PID namespace);
//! - it waits for the plugin and exits with the plugin's status (the same exit code, or
//!   killed by the same signal), so that the host sees the plugin's end as its own;
//! - it watches the host through a pidfd: when the host dies, even by `SIGKILL`, it
//!   kills the plugin;
//! - when it dies (the host kills it on restart, unload or drop), the init gets
//!   `SIGKILL` (`PR_SET_PDEATHSIG`, and the plugin too when the init dies); when the
//!   init, PID 1 of the namespace, dies (it exits as soon as the plugin ends), the kernel
//!   kills every process left in the namespace: `setsid` daemons and double-forked
//!   children included.
//!
//! Everything here runs between `fork` and `exec` of a multi-threaded host: only system
//! calls, no allocation and no locks (what needs memory is prepared by the parent).

use std::ffi::CStr;
use std::io;
use std::sync::OnceLock;

/// The namespaces a plugin process gets, decided by the host before it forks.
#[derive(Debug, Clone)]
pub(crate) struct Isolation {
    /// Whether there are namespaces at all (without them, only the keeper remains: the
    /// plugin still dies with the host, but its descendants can outlive it).
    namespaces: bool,
    /// A new user namespace first (the host is not root): `uid_map` and `gid_map` map
    /// the host's ids to themselves.
    user: Option<IdMaps>,
    /// A new network namespace (only a loopback interface).
    pub(crate) net: bool,
    /// `kernel.pid_max` of the plugin's PID namespace (Linux 6.14+ namespaces it).
    pid_max: Option<&'static CStr>,
    /// The host's process id, watched by the keeper.
    host: libc::pid_t,
    /// `RLIMIT_CPU` of the plugin, in seconds (see [`relay`]).
    pub(crate) cpu_seconds: Option<u64>,
}

/// The identity mappings written in a new user namespace.
#[derive(Debug, Clone)]
struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

/// Where creating the namespaces failed, for the warning that says what is not enforced.
const STEPS: [&str; 6] = [
    "",
    "unshare (user namespaces disabled, or not permitted)",
    "writing the user namespace's id maps",
    "making mounts private",
    "forking into the PID namespace",
    "mounting a fresh /proc in the PID namespace",
];

impl Isolation {
    /// The namespaces of a plugin with (or without) network, if this host can create
    /// them; else why not (probed once per process, in a throwaway child).
    pub(crate) fn new(net: bool) -> Result<Isolation, String> {
        static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
        let isolation = Isolation::unprobed(net);
        let probe = Isolation::unprobed(true);
        PROBE.get_or_init(|| probe.probe()).clone()?;
        Ok(isolation)
    }

    /// Whether the plugin's number of processes is bounded (`kernel.pid_max`).
    pub(crate) fn bounds_processes(&self) -> bool {
        self.pid_max.is_some()
    }

    /// No namespace: the keeper alone (they could not be created, or are off).
    pub(crate) fn keeper_only() -> Isolation {
        Isolation {
            namespaces: false,
            net: false,
            pid_max: None,
            user: None,
            ..Isolation::unprobed(false)
        }
    }

    /// Whether the plugin gets its own PID and mount namespaces (and a fresh `/proc`).
    pub(crate) fn has_namespaces(&self) -> bool {
        self.namespaces
    }

    fn unprobed(net: bool) -> Isolation {
        // SAFETY: these calls take no arguments and cannot fail.
        let (uid, gid, host) = unsafe { (libc::geteuid(), libc::getegid(), libc::getpid()) };
        Isolation {
            namespaces: true,
            user: (uid != 0).then(|| IdMaps {
                uid_map: format!("{uid} {uid} 1\n").into_bytes(),
                gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            }),
            net,
            pid_max: pid_max_is_namespaced().then_some(c"512"),
            host,
            cpu_seconds: None,
        }
    }

    /// Creates the namespaces in a throwaway child, with the steps of the real start.
    fn probe(&self) -> Result<(), String> {
        // SAFETY: the child only makes system calls and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let step = match self.enter() {
                Err(step) => step,
                // SAFETY: fork again; the grandchild only makes system calls and exits.
                Ok(()) => match unsafe { libc::fork() } {
                    -1 => 4,
                    0 => {
                        let code = if mount_proc().is_ok() { 0 } else { 5 };
                        // SAFETY: ends the grandchild without running any destructor.
                        unsafe { libc::_exit(code) }
                    }
                    grandchild => wait_exit_code(grandchild),
                },
            };
            // SAFETY: ends the child without running any destructor.
            unsafe { libc::_exit(step) }
        }
        if pid < 0 {
            return Err(format!("fork: {}", io::Error::last_os_error()));
        }
        match wait_exit_code(pid) {
            0 => Ok(()),
            step => Err(format!(
                "cannot create namespaces: {} failed",
                STEPS.get(step as usize).copied().unwrap_or("a step")
            )),
        }
    }

    /// Enters the new namespaces (all but the PID one, which only children enter).
    /// Returns the failed step's number.
    fn enter(&self) -> Result<(), i32> {
        if !self.namespaces {
            return Ok(());
        }
        let mut flags = libc::CLONE_NEWPID | libc::CLONE_NEWNS;
        if self.net {
            flags |= libc::CLONE_NEWNET;
        }
        if self.user.is_some() {
            flags |= libc::CLONE_NEWUSER;
        }
        // SAFETY: unshare takes flags only.
        if unsafe { libc::unshare(flags) } != 0 {
            return Err(1);
        }
        if let Some(maps) = &self.user {
            write_file(c"/proc/self/setgroups", b"deny").map_err(|_| 2)?;
            write_file(c"/proc/self/uid_map", &maps.uid_map).map_err(|_| 2)?;
            write_file(c"/proc/self/gid_map", &maps.gid_map).map_err(|_| 2)?;
        }
        // Our /proc mount must not propagate back into the host's mount namespace.
        // SAFETY: mount with null source/type/data and static flags changes propagation only.
        let private = unsafe {
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        };
        if private != 0 {
            return Err(3);
        }
        if self.net {
            loopback_up();
        }
        Ok(())
    }

    /// In the host's child between fork and exec: enters the namespaces, forks the
    /// plugin (through the namespace's init) and returns in it (to exec); the child
    /// itself stays the keeper until the plugin ends, and never returns.
    pub(crate) fn become_plugin(&self) -> io::Result<()> {
        // (Errors here allocate nothing: the last OS error is a number.)
        self.enter().map_err(|_| io::Error::last_os_error())?;
        // SAFETY: prctl with integer arguments; not dumpable: no core, no /proc/<pid>/mem.
        // Inherited by the init, which holds the same copy of the host's memory.
        unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        // SAFETY: getpid takes no arguments.
        let keeper = unsafe { libc::getpid() };
        // The init's report of how the plugin ended: [read end, write end].
        let mut status_pipe = [-1; 2];
        if self.namespaces {
            // SAFETY: pipe2 fills a local array of two descriptors.
            if unsafe { libc::pipe2(status_pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        // SAFETY: the child only makes system calls until it execs.
        let child = unsafe { libc::fork() };
        if child < 0 {
            return Err(io::Error::last_os_error());
        }
        if child > 0 {
            keep(child, self.host, self.cpu_seconds, status_pipe[0]);
        }
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        // SAFETY: getppid takes no arguments. Our parent is the keeper (seen as 0 from
        // inside our PID namespace); anything else means it died before PR_SET_PDEATHSIG.
        let parent = if self.namespaces { 0 } else { keeper };
        if unsafe { libc::getppid() } != parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        if !self.namespaces {
            // SAFETY: setsid takes no arguments: the plugin's own session and process
            // group, so that `kill(0, ...)` reaches only its own processes.
            unsafe { libc::setsid() };
            return Ok(());
        }
        // The init: PID 1 of the namespace.
        // SAFETY: as above.
        unsafe { libc::setsid() };
        mount_proc()?;
        if let Some(pid_max) = self.pid_max {
            // Best effort: bounds a fork bomb to a few hundred processes.
            let _ = write_file(c"/proc/sys/kernel/pid_max", pid_max.to_bytes());
        }
        // SAFETY: as above.
        let plugin = unsafe { libc::fork() };
        if plugin < 0 {
            return Err(io::Error::last_os_error());
        }
        if plugin > 0 {
            init(plugin, status_pipe[1]);
        }
        // The plugin: PID 2, its own process group in the init's session.
        // SAFETY: prctl with integer arguments; getppid and setpgid take integers.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            if libc::getppid() != 1 {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            libc::setpgid(0, 0);
        }
        Ok(())
    }
}

/// The init's life (PID 1 of the plugin's namespace): reaps every process that ends in
/// it, and when the plugin ends writes its wait status to `report` and exits, which
/// kills whatever is left in the namespace. Never returns.
fn init(plugin: libc::pid_t, report: libc::c_int) -> ! {
    close_all_descriptors_but(report);
    loop {
        let mut status = 0;
        // SAFETY: wait for any child with a pointer to a local.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == plugin {
            let bytes = status.to_ne_bytes();
            // SAFETY: write a local buffer to our own pipe, then end without destructors.
            unsafe {
                libc::write(report, bytes.as_ptr().cast(), bytes.len());
                libc::_exit(0)
            }
        }
        if pid < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            // No child left: the plugin is gone without being seen (cannot happen).
            // SAFETY: as above.
            unsafe { libc::_exit(1) }
        }
    }
}

/// The keeper's life: see the module docs. Never returns.
///
/// `plugin` is the keeper's child: the plugin itself, or the init of its namespace, which
/// reports the plugin's wait status on `report` (-1 without namespaces).
fn keep(
    plugin: libc::pid_t,
    host: libc::pid_t,
    cpu_seconds: Option<u64>,
    report: libc::c_int,
) -> ! {
    // Hold nothing of the host's: not its files or sockets, not the plugin's pipes
    // (their other end must see the plugin's end), not the start-up error pipe; only the
    // read end of the init's report.
    close_all_descriptors_but(report);
    let plugin_fd = pidfd_open(plugin);
    let host_fd = pidfd_open(host);
    // SAFETY: getppid takes no arguments.
    let host_gone = unsafe { libc::getppid() } != host;
    if let (Some(plugin_fd), Some(host_fd), false) = (plugin_fd, host_fd, host_gone) {
        let mut fds = [
            libc::pollfd {
                fd: plugin_fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: host_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            // SAFETY: poll on a local array of two pollfd structs.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if n > 0 && fds[1].revents != 0 && fds[0].revents == 0 {
                // The host died: the plugin goes with it.
                // SAFETY: kill our own child.
                unsafe { libc::kill(plugin, libc::SIGKILL) };
            }
            if n > 0 {
                break;
            }
        }
    } else if host_gone {
        // SAFETY: kill our own child.
        unsafe { libc::kill(plugin, libc::SIGKILL) };
    }
    // Without pidfds (Linux < 5.3) the host's death is not watched: the keeper only waits.
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our child with pointers to locals.
    while unsafe { libc::wait4(plugin, &mut status, 0, &mut usage) } < 0
        && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
    {}
    if report >= 0 {
        // The init's exit says nothing of the plugin's: its report does (nothing when
        // the init was killed first, and then its own status stands).
        let mut bytes = [0u8; 4];
        // SAFETY: read into a local buffer from our own pipe.
        if unsafe { libc::read(report, bytes.as_mut_ptr().cast(), bytes.len()) } == 4 {
            status = libc::c_int::from_ne_bytes(bytes);
        }
    }
    // The init's usage includes the plugin's, which it waited for.
    let used = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec;
    let cpu_limit_hit = cpu_seconds.is_some_and(|limit| used as u64 >= limit);
    relay(status, cpu_limit_hit)
}

/// Ends the keeper the way the plugin ended: the same exit code, or the same signal.
///
/// A process killed by `RLIMIT_CPU`'s hard limit gets `SIGKILL` (one that ignored the
/// soft limit's `SIGXCPU`): when the plugin had used up its CPU time (`cpu_limit_hit`),
/// that `SIGKILL` is relayed as the `SIGXCPU` it stands for.
fn relay(status: libc::c_int, cpu_limit_hit: bool) -> ! {
    if libc::WIFSIGNALED(status) {
        let mut signal = libc::WTERMSIG(status);
        if signal == libc::SIGKILL && cpu_limit_hit {
            signal = libc::SIGXCPU;
        }
        // SAFETY: restore the default action, unblock every signal and raise it on
        // ourselves (no core: the keeper is not dumpable).
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal)
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    };
    // SAFETY: ends the keeper without running any destructor.
    unsafe { libc::_exit(code) }
}

/// Mounts a `/proc` of the current PID namespace over `/proc`.
fn mount_proc() -> io::Result<()> {
    // SAFETY: mount with static C strings.
    let r = unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Brings the loopback interface of a new network namespace up (it starts down).
fn loopback_up() {
    // SAFETY: a datagram socket used only for interface ioctls on a zeroed local ifreq
    // whose name is "lo", then closed.
    unsafe {
        let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if sock < 0 {
            return;
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        req.ifr_name[0] = b'l' as libc::c_char;
        req.ifr_name[1] = b'o' as libc::c_char;
        if libc::ioctl(sock, libc::SIOCGIFFLAGS, &mut req) == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(sock, libc::SIOCSIFFLAGS, &req);
        }
        libc::close(sock);
    }
}

fn write_file(path: &CStr, bytes: &[u8]) -> io::Result<()> {
    // SAFETY: open a static path, write a borrowed buffer, close what we opened.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let result = if n == bytes.len() as isize {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        };
        libc::close(fd);
        result
    }
}

/// Closes every descriptor but `keep` (none when it is negative).
fn close_all_descriptors_but(keep: libc::c_int) {
    let close_range = |from: u32, to: u32| {
        // SAFETY: close_range closes our own descriptors; the fallback closes them one
        // by one.
        unsafe {
            if from <= to && libc::syscall(libc::SYS_close_range, from, to, 0u32) != 0 {
                for fd in from..to.min(4095) + 1 {
                    libc::close(fd as libc::c_int);
                }
            }
        }
    };
    match u32::try_from(keep) {
        Ok(keep) => {
            if keep > 0 {
                close_range(0, keep - 1);
            }
            close_range(keep + 1, u32::MAX);
        }
        Err(_) => close_range(0, u32::MAX),
    }
}

fn pidfd_open(pid: libc::pid_t) -> Option<libc::c_int> {
    // SAFETY: pidfd_open takes a pid and flags.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    (fd >= 0).then_some(fd as libc::c_int)
}

/// Waits for a child; its exit code (or 128 + the signal that killed it).
fn wait_exit_code(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waitpid on our child with a pointer to a local.
    if unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        return 127;
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

/// Whether `kernel.pid_max` is per PID namespace (Linux 6.14+); before, writing it in a
/// namespace would change the whole machine's, so it is not written at all.
fn pid_max_is_namespaced() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (6, 14)
}
