//! Memory outside the V8 heap (ArrayBuffers, typed arrays, WebAssembly memories) is held
//! to the runtime's memory limit, wherever V8 allocates it from.

use interop_js::{Error, Runtime, RuntimeConfig};
use serde_json::json;

/// A runtime with a 16 MiB limit.
fn small() -> Runtime {
    Runtime::new(RuntimeConfig::default().with_max_heap_size(16 << 20)).unwrap()
}

fn assert_memory_limit(result: Result<serde_json::Value, Error>) {
    match result {
        Err(Error::Limit { limit, message }) => {
            assert_eq!(limit, "memory", "{message}");
            assert!(message.contains("16 MiB"), "{message}");
        }
        other => panic!("expected a memory limit, got {other:?}"),
    }
}

#[test]
fn a_webassembly_memory_larger_than_the_limit_is_refused() {
    let rt = small();
    // 4096 pages of 64 KiB: 256 MiB.
    assert_memory_limit(rt.eval("new WebAssembly.Memory({ initial: 4096 }).buffer.byteLength"));
    // One that fits is fine, with or without a maximum, and so is growing it a little.
    assert_eq!(
        rt.eval(
            "const m = new WebAssembly.Memory({ initial: 16 }); m.grow(16); m.buffer.byteLength"
        )
        .unwrap(),
        json!(2 << 20)
    );
    assert_eq!(
        rt.eval("new WebAssembly.Memory({ initial: 1, maximum: 8 }).grow(7)")
            .unwrap(),
        json!(1)
    );
}

#[test]
fn growing_a_webassembly_memory_from_js_stops_at_the_limit() {
    let rt = small();
    assert_memory_limit(rt.eval(
        "{ const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(16) }",
    ));
    assert_eq!(rt.eval("'alive'").unwrap(), json!("alive"));
}

/// `wat` compiled, as a JS expression making the module's bytes.
fn module_bytes(wat: &str) -> String {
    let bytes = wat::parse_str(wat).expect("valid WAT");
    let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
    format!("new Uint8Array([{}])", list.join(","))
}

#[test]
fn growing_a_webassembly_memory_from_wasm_code_stops_at_the_limit() {
    let rt = small();
    // Grows by 1 MiB until refused, then traps.
    let module = module_bytes(
        r#"(module (memory 1)
             (func (export "grow")
               (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
               unreachable))"#,
    );
    let script =
        format!("new WebAssembly.Instance(new WebAssembly.Module({module})).exports.grow()");
    assert_memory_limit(rt.eval(&script));
    // A module declaring a memory larger than the limit does not instantiate.
    let big = module_bytes("(module (memory 4096))");
    assert_memory_limit(rt.eval(&format!(
        "new WebAssembly.Instance(new WebAssembly.Module({big})); 'instantiated?!'"
    )));
}

#[test]
fn array_buffers_allocated_in_a_loop_stop_at_the_limit() {
    let rt = small();
    assert_memory_limit(
        rt.eval("{ const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20)) }"),
    );
    assert_memory_limit(
        rt.eval("{ const keep = []; for (;;) keep.push(new Float64Array(1 << 17)) }"),
    );
    assert_memory_limit(rt.eval("new SharedArrayBuffer(64 << 20)"));
    // Garbage is collected to make room: a loop that keeps nothing never hits the limit.
    assert_eq!(
        rt.eval("{ let n = 0; for (let i = 0; i < 200; i++) n += new ArrayBuffer(1 << 20).byteLength; n }")
            .unwrap(),
        json!(200 << 20)
    );
}

#[test]
fn a_script_that_catches_the_refusal_goes_on_within_its_limit() {
    let rt = small();
    assert_eq!(
        rt.eval("try { new ArrayBuffer(1 << 30); 'allocated?!' } catch (e) { e.name }")
            .unwrap(),
        json!("RangeError")
    );
}

#[test]
fn one_allocation_larger_than_the_heap_limit_stops_the_script_instead_of_aborting() {
    let rt = small();
    // Each of these made V8 abort the whole process ("Fatal javascript OOM") or passed
    // the limit unnoticed: one allocation of 32-80 MB, in a 16 MiB isolate.
    for script in [
        "new Array(4e6).fill(1.5).length",
        "new Array(1e7).fill(0).length",
        "JSON.parse('[' + '1,'.repeat(3e6) + '1]').length",
    ] {
        assert_memory_limit(rt.eval(script));
        // The garbage it left does not count against the next call.
        assert_eq!(
            rt.eval("'alive'").unwrap(),
            json!("alive"),
            "after {script}"
        );
    }
    // What the script keeps past its limit keeps failing its calls.
    assert_memory_limit(rt.eval("globalThis.hoard = new Array(4e6).fill(1.5); 1"));
    assert_memory_limit(rt.eval("1"));
    // Once it lets go, the collection that follows frees it.
    let _ = rt.eval("globalThis.hoard = null");
    assert_eq!(rt.eval("'free'").unwrap(), json!("free"));
}
