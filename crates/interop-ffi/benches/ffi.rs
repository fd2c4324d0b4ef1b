//! Side by side in one run: a raw libloading call of `atoi` through a typed function
//! pointer, the same call through raw libffi (a prepared `Cif`), through interop's
//! declared types (`Function::call`), and calls through the native plugin ABI with a
//! small JSON payload (in-process; and isolated, when `INTEROP_RUNNER` names an `interop`
//! binary built with the `ffi` and `ipc` features).
//!
//! `cargo bench -p interop-ffi` (the sample plugins must be built: cargo xtask
//! build-plugins).

use std::ffi::{c_char, c_int, c_void};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use interop_ffi::{Arg, Library, NativePlugin, Type};
use interop_protocol::{load_manifest, ActionInvoke, Plugin};
use interop_sandbox::{HostServices, Policy};
use serde_json::json;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`: the calling thread's CPU time, so that the
/// `*_cpu` rows leave out time spent preempted on a busy machine.
fn thread_cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write to.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.sec as u64, ts.nsec as u32)
}

/// Measures `f` in CPU time of this thread.
fn cpu<O>(b: &mut criterion::Bencher<'_>, mut f: impl FnMut() -> O) {
    b.iter_custom(|iters| {
        let start = thread_cpu_time();
        for _ in 0..iters {
            black_box(f());
        }
        thread_cpu_time() - start
    })
}

fn calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("ffi/atoi");
    let input = c"12345";

    // SAFETY: libc's atoi has this signature.
    let raw_lib = unsafe { libloading::Library::new("libc.so.6") }.expect("libc");
    let raw_atoi = unsafe {
        raw_lib
            .get::<unsafe extern "C" fn(*const c_char) -> c_int>(b"atoi")
            .expect("atoi")
    };
    g.bench_function("raw_libloading", |b| {
        b.iter(|| unsafe { raw_atoi(black_box(input.as_ptr())) })
    });

    let cif = libffi::middle::Cif::new(
        [libffi::middle::Type::pointer()],
        libffi::middle::Type::i32(),
    );
    let code = libffi::middle::CodePtr::from_ptr(*raw_atoi as *const c_void);
    g.bench_function("raw_libffi", |b| {
        b.iter(|| {
            let p = black_box(input.as_ptr());
            // SAFETY: the cif matches atoi's signature.
            unsafe { cif.call::<c_int>(code, &[libffi::middle::arg(&p)]) }
        })
    });

    // SAFETY: libc is loaded in this process already.
    let libc = unsafe { Library::open("c") }.expect("libc");
    let atoi = libc.func("atoi", Type::I32, &[Type::CStr]).expect("atoi");
    // SAFETY: declared as its prototype, `int atoi(const char *)`, given a C string.
    let call = |input: &std::ffi::CStr| unsafe { atoi.call([Arg::from(input)]) }.expect("call");
    g.bench_function("declared_types", |b| b.iter(|| call(black_box(input))));

    g.bench_function("raw_libffi_cpu", |b| {
        cpu(b, || {
            let p = black_box(input.as_ptr());
            // SAFETY: as above.
            unsafe { cif.call::<c_int>(code, &[libffi::middle::arg(&p)]) }
        })
    });
    g.bench_function("declared_types_cpu", |b| cpu(b, || call(black_box(input))));
    g.finish();
}

fn native_plugin(name: &str) -> NativePlugin {
    let loaded = load_manifest(repo().join(format!("examples/plugins/{name}/plugin.json")))
        .expect("manifest");
    let services = HostServices::new(Policy::from_manifest(&loaded).expect("policy"));
    // SAFETY: the repository's own sample plugins keep the ABI contract.
    unsafe { NativePlugin::load(&loaded, services) }
        .unwrap_or_else(|e| panic!("{e}: run cargo xtask build-plugins"))
}

fn plugin_abi(c: &mut Criterion) {
    let mut g = c.benchmark_group("ffi/plugin_abi");
    // No host call in the action: the ABI's cost alone (JSON in, JSON out, free).
    let segfault = native_plugin("native-segfault");
    let ok = ActionInvoke::new("ok", json!({"name": "World"}));
    g.bench_function("in_process_json_call", |b| {
        b.iter(|| segfault.invoke(black_box(&ok)).expect("ok"))
    });
    g.bench_function("in_process_json_call_cpu", |b| {
        cpu(b, || segfault.invoke(black_box(&ok)).expect("ok"))
    });
    // The C greeter's `farewell`: parses the name, logs through the host (audited).
    let greeter = native_plugin("c-native-greeter");
    let bye = ActionInvoke::new("farewell", json!("World"));
    g.bench_function("in_process_greeter_farewell", |b| {
        b.iter(|| greeter.invoke(black_box(&bye)).expect("farewell"))
    });

    if std::env::var_os(interop_host::isolation::RUNNER_ENV).is_some() {
        let host = interop_host::Host::new();
        match host.load(repo().join("examples/plugins/native-segfault/plugin.json")) {
            Ok(isolated) => {
                g.bench_function("isolated_json_call", |b| {
                    b.iter(|| isolated.invoke(black_box(&ok)).expect("ok"))
                });
            }
            Err(e) => eprintln!("isolated mode not benchmarked: {e}"),
        }
    } else {
        eprintln!("isolated mode not benchmarked: set INTEROP_RUNNER to an interop binary");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = calls, plugin_abi
}
criterion_main!(benches);
