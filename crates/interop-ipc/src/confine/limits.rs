//! Resource limits and privileges of a plugin process, applied between fork and exec.

/// Applies the resource limits; called in the child between fork and exec, so it only
/// makes system calls (no allocation, no locks).
pub(crate) fn apply_rlimits(memory: u64, cpu: Option<u64>, files: u64) -> std::io::Result<()> {
    fn set(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
        let lim = libc::rlimit {
            rlim_cur: soft as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: setrlimit with a valid pointer to a local struct.
        if unsafe { libc::setrlimit(resource, &lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    set(libc::RLIMIT_DATA, memory, memory)?;
    if let Some(cpu) = cpu {
        // SIGXCPU at the soft limit, which the host reports as the `cpu` limit; SIGKILL
        // a second later if the process handles it.
        set(libc::RLIMIT_CPU, cpu, cpu.saturating_add(1))?;
    }
    set(libc::RLIMIT_NOFILE, files, files)?;
    set(libc::RLIMIT_CORE, 0, 0)?;
    Ok(())
}

/// Gives up every capability for good: the bounding and ambient sets are emptied and
/// `no_new_privs` set, so that after `exec` the process has no capability even as root
/// (no `CAP_SYS_PTRACE`, `CAP_KILL`, `CAP_SYS_ADMIN`...) and cannot regain any through a
/// set-uid program. Errors are ignored: an unprivileged process has nothing to drop.
pub(crate) fn drop_capabilities() {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        for cap in 0..64 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
    }
}
