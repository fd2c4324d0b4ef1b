//! IPC benchmarks, side by side in one run:
//!
//! - `roundtrip_uds`: raw newline-JSON echoes over a Unix socket (hand-written minimal
//!   clients and servers: write a line, read a line, parse it), once with blocking threads
//!   and once on tokio, against our JSON-RPC `Peer` client and `Router` server doing the
//!   same round trip;
//! - `transport`: the JSON-RPC round trip over UDS, TCP and a child's stdio (the child is
//!   this bench binary re-executed as a stdio echo server);
//! - `pipelined_uds`: 1,000 calls in flight on one UDS connection (throughput).
//!
//! `cargo bench -p interop-ipc`; results in docs/benchmarks.md (`## ipc`).

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use interop_ipc::{transport, Endpoint, Peer, PeerOptions, Router};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::runtime::Runtime;

const STDIO_SERVER_ENV: &str = "INTEROP_IPC_BENCH_STDIO_SERVER";

fn echo_router() -> Router {
    Router::new().inline("echo", |p| Ok(p.unwrap_or(Value::Null)))
}

fn options() -> PeerOptions {
    PeerOptions {
        timeout: Some(Duration::from_secs(10)),
        ..PeerOptions::default()
    }
}

/// The raw baseline server: echoes every line back as is.
async fn raw_echo_server(listener: UnixListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if w.write_all(&line).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// The plain-thread baseline server: a blocking thread per connection, echoing lines.
fn thread_echo_server(listener: std::os::unix::net::UnixListener) {
    use std::io::{BufRead, Write};
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        std::thread::spawn(move || {
            let Ok(mut w) = stream.try_clone() else {
                return;
            };
            let mut r = std::io::BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if w.write_all(&line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

struct Fixture {
    rt: &'static Runtime,
    _dir: tempfile::TempDir,
    raw_path: std::path::PathBuf,
    thread_path: std::path::PathBuf,
    uds: Peer,
    tcp: Peer,
    stdio: Peer,
    _child: tokio::process::Child,
}

fn fixture() -> Fixture {
    let rt = interop_ipc::runtime::runtime().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw_path = dir.path().join("raw.sock");
    let rpc_path = dir.path().join("rpc.sock");
    let thread_path = dir.path().join("thread.sock");
    let thread_listener =
        std::os::unix::net::UnixListener::bind(&thread_path).expect("bind thread echo");
    std::thread::spawn(move || thread_echo_server(thread_listener));
    rt.block_on(async {
        let raw = UnixListener::bind(&raw_path).expect("bind raw");
        tokio::spawn(raw_echo_server(raw));
        let rpc = UnixListener::bind(&rpc_path).expect("bind rpc");
        tokio::spawn(transport::serve_unix(rpc, echo_router(), options()));
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind tcp");
        let tcp_addr = tcp.local_addr().expect("addr").to_string();
        tokio::spawn(transport::serve_tcp(tcp, echo_router(), options()));

        let uds = transport::connect(&Endpoint::Unix(rpc_path.clone()), Router::new(), options())
            .await
            .expect("connect uds");
        let tcp = transport::connect(&Endpoint::Tcp(tcp_addr), Router::new(), options())
            .await
            .expect("connect tcp");
        let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
            .env(STDIO_SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn stdio server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let stdio = Peer::new(stdout, stdin, Router::new(), options());
        Fixture {
            rt,
            _dir: dir,
            raw_path: raw_path.clone(),
            thread_path,
            uds,
            tcp,
            stdio,
            _child: child,
        }
    })
}

fn roundtrip(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("roundtrip_uds");
    // The raw baseline: the same bytes a JSON-RPC call puts on the wire.
    let (r, mut w) =
        f.rt.block_on(UnixStream::connect(&f.raw_path))
            .expect("connect raw")
            .into_split();
    let mut r = BufReader::new(r);
    let request = serde_json::to_vec(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": [1, "two"]}),
    )
    .expect("json");
    let mut line = Vec::new();
    {
        use std::io::{BufRead, Write};
        let stream =
            std::os::unix::net::UnixStream::connect(&f.thread_path).expect("connect thread");
        let mut w = stream.try_clone().expect("clone");
        let mut r = std::io::BufReader::new(stream);
        group.bench_function("thread_newline_json", |b| {
            b.iter(|| {
                let mut frame = request.clone();
                frame.push(b'\n');
                w.write_all(&frame).expect("write");
                line.clear();
                r.read_until(b'\n', &mut line).expect("read");
                let v: Value = serde_json::from_slice(&line).expect("parse");
                v
            })
        });
    }
    group.bench_function("raw_newline_json", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut frame = request.clone();
                frame.push(b'\n');
                w.write_all(&frame).await.expect("write");
                line.clear();
                r.read_until(b'\n', &mut line).await.expect("read");
                let v: Value = serde_json::from_slice(&line).expect("parse");
                v
            })
        })
    });
    let params = json!([1, "two"]);
    group.bench_function("jsonrpc_peer", |b| {
        b.iter(|| {
            f.rt.block_on(f.uds.call("echo", Some(params.clone())))
                .expect("call")
        })
    });
    group.finish();
}

fn transports(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("transport");
    let params = json!([1, "two"]);
    for (name, peer) in [("uds", &f.uds), ("tcp", &f.tcp), ("stdio", &f.stdio)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                f.rt.block_on(peer.call("echo", Some(params.clone())))
                    .expect("call")
            })
        });
    }
    group.finish();
}

fn pipelined(c: &mut Criterion, f: &Fixture) {
    const IN_FLIGHT: u64 = 1000;
    let mut group = c.benchmark_group("pipelined_uds");
    group.throughput(Throughput::Elements(IN_FLIGHT));
    let peer = Arc::new(f.uds.clone());
    group.bench_function("1000_calls_in_flight", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut calls = Vec::with_capacity(IN_FLIGHT as usize);
                for i in 0..IN_FLIGHT {
                    let peer = peer.clone();
                    calls.push(tokio::spawn(async move {
                        peer.call("echo", Some(json!([i]))).await
                    }));
                }
                for call in calls {
                    call.await.expect("join").expect("call");
                }
            })
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    roundtrip(c, &f);
    transports(c, &f);
    pipelined(c, &f);
}

criterion_group! {
    name = ipc;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = benches
}

/// Serves `echo` over stdin/stdout (the `transport/stdio` benchmark's child).
fn stdio_server() {
    let rt = interop_ipc::runtime::runtime().expect("runtime");
    rt.block_on(async {
        let peer = Peer::new(
            tokio::io::stdin(),
            tokio::io::stdout(),
            echo_router(),
            options(),
        );
        peer.closed().await;
    });
}

fn main() {
    if std::env::var_os(STDIO_SERVER_ENV).is_some() {
        stdio_server();
        return;
    }
    ipc();
    Criterion::default().configure_from_args().final_summary();
}
