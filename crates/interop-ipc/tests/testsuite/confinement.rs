//! A process plugin is a sandbox too: the host's environment, memory and processes are
//! out of its reach, every process it starts dies with it (and with the host), and it
//! has no network unless granted. The tests run as root, the strongest attacker.

use crate::common;

use std::time::{Duration, Instant};

use common::{
    call, daemon_code, hostile_manifest, load, load_with, plugin_dir, processes_with, python,
};
use interop_ipc::IpcConfig;
use interop_protocol::ErrorKind;
use serde_json::json;

fn plugin() -> (tempfile::TempDir, interop_ipc::IpcPlugin) {
    let (dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    (dir, plugin)
}

/// Waits up to `within` for no process to carry `marker`.
fn all_gone(marker: &str, within: Duration) -> Vec<i32> {
    let until = Instant::now() + within;
    loop {
        let left = processes_with(marker);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_hosts_environment_and_memory_are_unreadable_through_proc() {
    // SAFETY (edition 2021: set_var is safe): read by no other test of this binary.
    std::env::set_var("CONFINEMENT_TEST_SECRET", "host-secret-4f2a");
    let (_dir, plugin) = plugin();
    let host = std::process::id();
    for path in [
        "/proc/{ppid}/environ".to_owned(),
        "/proc/{ppid}/mem".to_owned(),
        format!("/proc/{host}/environ"),
        format!("/proc/{host}/cmdline"),
    ] {
        let code = format!(
            "import os\npath = {path:?}.replace('{{ppid}}', str(os.getppid()))\n\
             result = open(path, 'rb').read(4096).decode('latin-1')"
        );
        match python(&plugin, &code) {
            Ok(text) => assert!(
                !text.to_string().contains("host-secret-4f2a"),
                "{path} is readable: {text}"
            ),
            Err(why) => assert!(why.contains("Error"), "{path} refused with an error: {why}"),
        }
    }
    let seen = python(
        &plugin,
        "import os\nresult = [p for p in os.listdir('/proc') if p.isdigit()]",
    )
    .unwrap();
    assert!(
        !seen.as_array().unwrap().contains(&json!(host.to_string())),
        "the host is visible in the plugin's /proc: {seen}"
    );
}

#[test]
fn signals_and_ptrace_cannot_reach_the_host() {
    let (_dir, plugin) = plugin();
    let host = std::process::id();
    for signal in [0, 19] {
        let got = python(
            &plugin,
            &format!("import os\nos.kill({host}, {signal})\nresult = 'sent'"),
        );
        assert!(got.is_err(), "signal {signal} reached the host: {got:?}");
        let got = python(
            &plugin,
            &format!("import os\nos.kill(os.getppid(), {signal})\nresult = os.getppid()"),
        );
        assert_ne!(got, Ok(json!(host)), "the plugin's parent is the host");
    }
    let attach = format!(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n\
         result = [libc.ptrace(16, pid, 0, 0) for pid in ({host}, __import__('os').getppid())]"
    );
    assert_eq!(
        python(&plugin, &attach),
        Ok(json!([-1, -1])),
        "PTRACE_ATTACH must fail"
    );
}

#[test]
fn no_capability_is_left_even_when_the_host_is_root() {
    let (_dir, plugin) = plugin();
    let caps = python(
        &plugin,
        "result = [l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapBnd'))]",
    )
    .unwrap();
    assert_eq!(caps, json!(["0000000000000000", "0000000000000000"]));
}

#[test]
fn a_setsid_daemon_dies_when_its_plugin_is_unloaded() {
    let (_dir, plugin) = plugin();
    let marker = "confinement-daemon-unload-7d1";
    assert_eq!(python(&plugin, &daemon_code(marker)), Ok(json!("started")));
    assert_eq!(processes_with(marker).len(), 1, "the daemon runs");
    interop_protocol::Plugin::unload(&plugin).unwrap();
    assert_eq!(all_gone(marker, Duration::from_secs(3)), Vec::<i32>::new());
}

#[test]
fn a_setsid_daemon_dies_when_its_plugin_crashes() {
    let (_dir, plugin) = plugin();
    let marker = "confinement-daemon-crash-92c";
    assert_eq!(python(&plugin, &daemon_code(marker)), Ok(json!("started")));
    let err = call(&plugin, "crash", json!(null)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec, "{err}");
    assert_eq!(all_gone(marker, Duration::from_secs(3)), Vec::<i32>::new());
}

#[test]
fn a_plugin_granted_no_network_cannot_connect_to_a_local_listener() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_dir, plugin) = plugin();
    let got = python(
        &plugin,
        &format!("import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)\nresult = 'connected'"),
    );
    assert!(got.is_err(), "connected to the host's listener: {got:?}");
}

#[test]
fn cpu_time_past_the_limit_is_reported_as_the_cpu_limit() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(
        &[],
        json!({"limits": {"timeoutMs": 20000}}),
    ));
    let mut config = common::fast_config();
    config.sandbox.cpu_seconds = Some(1);
    let (plugin, _) = load_with(&loaded, IpcConfig { ..config }).unwrap();
    let started = Instant::now();
    let err = call(&plugin, "python", json!("while True: pass")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("cpu"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15), "{err}");
    assert_eq!(
        call(&plugin, "echo", json!(1)).unwrap(),
        json!(1),
        "restarted"
    );
}

/// The host side of [`a_plugin_dies_with_its_host_even_when_the_host_is_sigkilled`]: run
/// only as that test's child (it loads a plugin that starts a daemon, then waits).
#[test]
fn host_of_the_sigkill_test() {
    let Ok(marker) = std::env::var("CONFINEMENT_HOST_MARKER") else {
        return;
    };
    let (_dir, plugin) = plugin();
    assert_eq!(python(&plugin, &daemon_code(&marker)), Ok(json!("started")));
    println!("plugin-ready");
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_plugin_dies_with_its_host_even_when_the_host_is_sigkilled() {
    use std::io::{BufRead, BufReader};
    let marker = "confinement-host-sigkill-5e0";
    let mut host = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "confinement::host_of_the_sigkill_test",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CONFINEMENT_HOST_MARKER", marker)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = host.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("plugin-ready"));
    assert!(ready, "the host child loaded its plugin");
    assert_eq!(processes_with(marker).len(), 1, "the daemon runs");
    host.kill().unwrap(); // SIGKILL: no destructor, no unload
    host.wait().unwrap();
    assert_eq!(all_gone(marker, Duration::from_secs(3)), Vec::<i32>::new());
}

#[test]
fn a_plugin_that_signals_itself_ends_by_that_signal() {
    // PID 1 of a namespace is deaf to its own signals; the plugin must not be it, or
    // `abort()` ends in SIGSEGV and `raise(SIGTERM)` does nothing.
    for (code, signal) in [
        ("import os\nos.abort()", "SIGABRT"),
        (
            "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\nimport time\ntime.sleep(5)",
            "SIGTERM",
        ),
    ] {
        let (_dir, plugin) = plugin();
        let err = call(&plugin, "python", json!(code)).expect_err("the plugin killed itself");
        assert!(err.message.contains(signal), "{signal}: {err}");
    }
}
