//! Hostile process plugins (`subprocess`): Python and shell programs written into the
//! arena that attack the host from outside its address space: through `/proc`, signals
//! and `ptrace`, processes that try to outlive them, resources, the network, and the
//! JSON-RPC stream itself.
//!
//! Most are Python plugins made from one template: a line-based JSON-RPC server whose
//! action `run` calls `attack(message)` and answers what it returns. An attack may also
//! write raw frames itself (`raw(text)`) and never return.

use std::time::Duration;

use interop_hostile::{invoke, load, Case, ErrorKind, Expect, Host, PluginError, SECRET_TEXT};
use serde_json::{json, Value};

/// The Python plugin: `ATTACK` is replaced by the body of `attack(message)`.
const TEMPLATE: &str = r#"import json, os, signal, socket, sys, time

def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

def raw(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]

def attack(message):
ATTACK

for line in sys.stdin:
    message = json.loads(line)
    method, id = message.get("method"), message.get("id")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": id, "result": {"name": "hostile", "protocolVersion": "1.0"}})
    elif method == "action.invoke":
        send({"jsonrpc": "2.0", "id": id, "result": attack(message)})
    elif id is not None:
        send({"jsonrpc": "2.0", "id": id, "result": None})
"#;

fn manifest(command: &str, script: &str, limits: Value) -> Value {
    json!({
        "name": "hostile", "version": "1.0.0",
        "interop": {"protocol": "subprocess", "command": command, "args": [script]},
        "actions": [{"name": "run"}],
        "limits": limits
    })
}

/// `body` indented into the template's `attack`.
fn python(body: &str) -> String {
    let body: String = body
        .trim_matches('\n')
        .lines()
        .map(|line| format!("    {line}\n"))
        .collect();
    TEMPLATE.replace("ATTACK\n", &body)
}

/// A Python plugin whose action runs `body`.
fn py(name: &str, expect: Expect, limits: Value, body: &str) -> Case {
    py_script(name, expect, limits, python(body))
}

/// A Python plugin whose handshake answers `field` with `value` instead.
fn py_handshake(name: &str, expect: Expect, field: &str, value: &str) -> Case {
    let script = python("return None").replace(
        &format!("\"{field}\": "),
        &format!("\"{field}\": \"{value}\", \"_{field}\": "),
    );
    py_script(name, expect, json!({}), script)
}

fn py_script(name: &str, expect: Expect, limits: Value, script: String) -> Case {
    let manifest = manifest("python3", "plugin.py", limits);
    Case::new("process", name, expect, move |arena, host| {
        arena.write("plugin.py", &script);
        let plugin = load(host, &arena.manifest(manifest.clone()))?;
        invoke(host, &plugin, "run", Value::Null)
    })
}

/// A shell plugin: `script` is the whole program.
fn sh(name: &str, expect: Expect, script: &'static str) -> Case {
    Case::invoke(
        "process",
        name,
        expect,
        manifest("sh", "plugin.sh", json!({})),
        &[("plugin.sh", script)],
        "run",
        Value::Null,
    )
}

/// Fails the case when the attack's answer says it succeeded.
fn refused(outcome: Result<Value, PluginError>, what: &str) -> Result<Value, PluginError> {
    let value = outcome?;
    if value.to_string().contains("SUCCEEDED") {
        return Err(PluginError::internal(format!("{what}: {value}")));
    }
    Ok(value)
}

/// A protocol violation must fail the call at once, saying so.
fn at_once() -> Expect {
    Expect::error(ErrorKind::Parse).within(Duration::from_secs(3))
}

pub fn cases() -> Vec<Case> {
    vec![
        py(
            "reading every /proc/<pid>/environ, the parent's first, finds no host secret",
            Expect::harmless(),
            json!({}),
            r#"
found = []
for pid in [os.getppid()] + pids():
    try:
        found.append(open("/proc/%d/environ" % pid, "rb").read().decode("latin-1"))
    except Exception as e:
        found.append(str(e))
return found"#,
        )
        .in_host(host_with_secret_env),
        py(
            "reading /proc/<pid>/mem of every visible process finds no host secret",
            Expect::harmless(),
            json!({}),
            r#"
found = []
for pid in [os.getppid()] + pids():
    try:
        maps = open("/proc/%d/maps" % pid).read().splitlines()
        mem = open("/proc/%d/mem" % pid, "rb")
        for region in maps[:64]:
            start, end = [int(x, 16) for x in region.split()[0].split("-")]
            mem.seek(start)
            found.append(mem.read(min(end - start, 1 << 20)).decode("latin-1"))
    except Exception as e:
        found.append(str(e))
return found"#,
        )
        .in_host(host_with_secret_env),
        py(
            "kill(getppid(), SIGKILL) and SIGKILL to every visible process leave the host alive",
            Expect::harmless(),
            json!({}),
            r#"
for pid in [os.getppid()] + pids():
    try:
        os.kill(pid, signal.SIGKILL)
    except Exception:
        pass
return "still here""#,
        ),
        py(
            "SIGSTOP to the parent and to every process it may signal stops nothing of the host",
            Expect::harmless(),
            json!({}),
            r#"
for pid in [os.getppid(), -1] + pids():
    try:
        os.kill(pid, signal.SIGSTOP)
    except Exception:
        pass
return "stopped what I could""#,
        ),
        Case::new(
            "process",
            "ptrace of the parent and every visible process is refused",
            Expect::harmless(),
            |arena, host| {
                arena.write(
                    "plugin.py",
                    python(
                        r#"
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
attached = [pid for pid in [os.getppid()] + pids() if libc.ptrace(16, pid, 0, 0) == 0]
return "SUCCEEDED %s" % attached if attached else "refused""#,
                    ),
                );
                let plugin = load(host, &arena.manifest(manifest("python3", "plugin.py", json!({}))))?;
                refused(invoke(host, &plugin, "run", Value::Null), "ptrace attached")
            },
        ),
        py(
            "a setsid daemon does not outlive its plugin",
            Expect::harmless(),
            json!({}),
            r#"
if os.fork() == 0:
    os.setsid()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    time.sleep(3600)
    os._exit(0)
return "daemon started""#,
        ),
        py(
            "a double-forked child does not outlive its plugin",
            Expect::harmless(),
            json!({}),
            r#"
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        time.sleep(3600)
    os._exit(0)
os.wait()
return "orphan started""#,
        ),
        py(
            "a fork bomb is stopped at the time limit and leaves nothing behind",
            Expect::error(ErrorKind::Timeout).within(Duration::from_secs(10)),
            json!({"timeoutMs": 1500}),
            r#"
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)"#,
        ),
        py(
            "a memory bomb fails as the memory limit",
            Expect::limit("memory").within(Duration::from_secs(10)),
            json!({"memoryMb": 64}),
            r#"
hoard = []
while True:
    hoard.append(bytearray(16 << 20))"#,
        ),
        py(
            "a CPU spin is stopped at the time limit",
            Expect::error(ErrorKind::Timeout).within(Duration::from_secs(3)),
            json!({"timeoutMs": 500}),
            "while True:\n    pass",
        ),
        py(
            "a stdout flood without a newline hits the message size limit",
            Expect::limit("message_size").within(Duration::from_secs(10)),
            json!({"maxMessageBytes": 1048576}),
            r#"
chunk = "x" * (1 << 20)
while True:
    sys.stdout.write(chunk)
    sys.stdout.flush()"#,
        ),
        py(
            "a giant reply frame hits the message size limit",
            Expect::limit("message_size").within(Duration::from_secs(10)),
            json!({"maxMessageBytes": 1048576}),
            r#"return "y" * (8 << 20)"#,
        ),
        py(
            "malformed JSON in reply fails the call at once",
            at_once(),
            json!({"timeoutMs": 30000}),
            r#"
raw('{"jsonrpc": "2.0", "id": %d, "result": ' % message["id"])
time.sleep(3600)"#,
        ),
        py(
            "a reply without jsonrpc fails the call at once",
            at_once().containing("jsonrpc"),
            json!({"timeoutMs": 30000}),
            r#"
send({"id": message["id"], "result": "no version"})
time.sleep(3600)"#,
        ),
        py(
            "a reply whose id is a string for a numeric request fails the call at once",
            at_once().containing("string"),
            json!({"timeoutMs": 30000}),
            r#"
send({"jsonrpc": "2.0", "id": str(message["id"]), "result": "wrong id type"})
time.sleep(3600)"#,
        ),
        py(
            "an error with a null id fails the call at once with its message",
            at_once().containing("no idea which request"),
            json!({"timeoutMs": 30000}),
            r#"
send({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no idea which request"}})
time.sleep(3600)"#,
        ),
        py(
            "a reply nested a hundred thousand deep fails the call at once",
            at_once(),
            json!({"timeoutMs": 30000}),
            r#"
raw('{"jsonrpc": "2.0", "id": %d, "result": %s%s}' % (message["id"], "[" * 100000, "]" * 100000))
time.sleep(3600)"#,
        ),
        py(
            "exiting during a call fails it as an exec error",
            Expect::error(ErrorKind::Exec).within(Duration::from_secs(3)),
            json!({}),
            "os._exit(7)",
        ),
        py(
            "reading the secret outside the plugin directory directly is refused",
            Expect::harmless(),
            json!({}),
            r#"
try:
    return open("{SECRET}").read()
except Exception as e:
    return str(e)"#,
        ),
        py(
            "writing outside the plugin directory directly is refused",
            Expect::harmless(),
            json!({}),
            r#"
try:
    open("{OUTSIDE}/planted.txt", "w").write("planted")
    return "SUCCEEDED"
except Exception as e:
    return str(e)"#,
        ),
        Case::new(
            "process",
            "connecting to a TCP listener of the host without a network grant is refused",
            Expect::harmless(),
            |arena, host| {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
                let port = listener.local_addr().expect("address").port();
                // Whoever connects is handed the secret: the harness finds it if it leaks.
                std::thread::spawn(move || {
                    if let Ok((mut stream, _)) = listener.accept() {
                        let _ = std::io::Write::write_all(&mut stream, SECRET_TEXT.as_bytes());
                    }
                });
                let body = format!(
                    "try:\n    return socket.create_connection((\"127.0.0.1\", {port}), 2).recv(100).decode()\nexcept Exception as e:\n    return str(e)"
                );
                arena.write("plugin.py", python(&body));
                let plugin = load(host, &arena.manifest(manifest("python3", "plugin.py", json!({}))))?;
                invoke(host, &plugin, "run", Value::Null)
            },
        ),
        py_handshake(
            "answering the handshake with another plugin's name fails the load",
            Expect::error(ErrorKind::InvalidInput).containing("impostor"),
            "name",
            "impostor",
        ),
        py_handshake(
            "answering the handshake with another protocol version fails the load",
            Expect::error(ErrorKind::InvalidInput).containing("protocol version 9.0"),
            "protocolVersion",
            "9.0",
        ),
        sh(
            "a shell plugin that never answers the handshake fails the load at the start timeout",
            Expect::error(ErrorKind::Timeout).within(Duration::from_secs(15)),
            "exec sleep 3600\n",
        ),
        sh(
            "a shell plugin that signals its parent and every process, then exits, harms nothing",
            Expect::error(ErrorKind::Exec),
            "kill -STOP $PPID 2>/dev/null; kill -KILL -1 2>/dev/null; kill -KILL $PPID 2>/dev/null\n\
             cat /proc/$PPID/environ >&2 2>/dev/null\nexit 3\n",
        ),
    ]
}

/// A default host, with the secret in the host process's environment (where a plugin
/// reading `/proc/<pid>/environ` or memory would find it).
fn host_with_secret_env() -> Host {
    std::env::set_var("INTEROP_HOSTILE_HOST_SECRET", SECRET_TEXT);
    interop_hostile::default_host()
}
