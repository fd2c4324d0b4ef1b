//! The V8 runtime: eval, calls both ways, typed errors, limits, unload.

use std::time::{Duration, Instant};

use interop_js::{Error, Runtime, RuntimeConfig};
use interop_protocol::PluginError;
use serde_json::{json, Value};

fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig::default()).expect("runtime")
}

#[test]
fn eval_returns_the_completion_value_as_json() {
    let rt = runtime();
    assert_eq!(rt.eval("1 + 1").unwrap(), json!(2));
    assert_eq!(
        rt.eval("({a: [1, 'x', null]})").unwrap(),
        json!({"a": [1, "x", null]})
    );
    assert_eq!(rt.eval("undefined").unwrap(), Value::Null);
}

#[test]
fn globals_persist_and_methods_are_called_with_json_arguments() {
    let rt = runtime();
    rt.eval("function add(a, b) { return a + b }; var plugin = { n: 10, plus(x) { return this.n + x } };")
        .unwrap();
    assert_eq!(rt.call("add", &[json!(2), json!(3)]).unwrap(), json!(5));
    assert_eq!(rt.call("plugin.plus", &[json!(5)]).unwrap(), json!(15));
}

#[test]
fn an_async_function_result_is_awaited() {
    let rt = runtime();
    rt.eval("async function later(x) { await null; return x * 2 }")
        .unwrap();
    assert_eq!(rt.call("later", &[json!(21)]).unwrap(), json!(42));
}

#[test]
fn a_thrown_error_comes_back_with_message_and_stack() {
    let rt = runtime();
    rt.eval_named(
        "boom.js",
        "function boom() { throw new TypeError('bad input') }",
    )
    .unwrap();
    match rt.call("boom", &[]) {
        Err(Error::Thrown(e)) => {
            assert_eq!(e.name, "TypeError");
            assert_eq!(e.message, "bad input");
            assert!(e.stack.contains("boom.js"), "stack: {}", e.stack);
        }
        other => panic!("expected a thrown error, got {other:?}"),
    }
    assert!(
        matches!(rt.eval("syntax error here"), Err(Error::Thrown(e)) if e.name == "SyntaxError")
    );
}

#[test]
fn calling_a_missing_function_is_not_found() {
    let rt = runtime();
    assert!(matches!(rt.call("nope", &[]), Err(Error::NotFound(m)) if m.contains("nope")));
    assert!(matches!(
        rt.call("plugin.nope", &[]),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn host_functions_return_values_and_their_errors_become_js_exceptions() {
    let rt = runtime();
    rt.bind_function("double", |args| {
        Ok(json!(args[0].as_i64().unwrap_or(0) * 2))
    })
    .unwrap();
    rt.bind_function("app.refuse", |_| Err(PluginError::denied("not for you")))
        .unwrap();
    rt.bind_object("config", &json!({"version": "1.0.0"}))
        .unwrap();
    assert_eq!(
        rt.eval("double(21) + config.version").unwrap(),
        json!("421.0.0")
    );
    assert_eq!(
        rt.eval("try { app.refuse() } catch (e) { e.kind + ' / ' + e.message }")
            .unwrap(),
        json!("denied / denied: not for you")
    );
    // Uncaught, the host's error comes back with its kind.
    match rt.eval("app.refuse()") {
        Err(Error::Host(e)) => {
            assert_eq!(e.kind, interop_protocol::ErrorKind::Denied);
            assert_eq!(e.message, "not for you");
        }
        other => panic!("expected the host error, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_is_stopped_at_the_timeout_and_the_runtime_still_works() {
    let rt =
        Runtime::new(RuntimeConfig::default().with_timeout(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    match rt.eval("while (true) {}") {
        Err(Error::Limit { limit, .. }) => assert_eq!(limit, "time"),
        other => panic!("expected a time limit, got {other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(rt.eval("6 * 7").unwrap(), json!(42));
}

#[test]
fn a_heap_bomb_is_stopped_at_the_heap_limit_without_aborting() {
    let rt = Runtime::new(RuntimeConfig::default().with_max_heap_size(16 << 20)).unwrap();
    let bomb = "{ const a = []; while (true) { a.push('x'.repeat(1024) + a.length) } }";
    match rt.eval(bomb) {
        Err(Error::Limit { limit, message }) => {
            assert_eq!(limit, "memory");
            assert!(message.contains("16 MiB"), "{message}");
        }
        other => panic!("expected a memory limit, got {other:?}"),
    }
    assert_eq!(rt.eval("'still ' + 'alive'").unwrap(), json!("still alive"));
    // A second bomb in the same runtime is stopped too.
    let second = rt.eval(bomb);
    assert!(
        matches!(
            second,
            Err(Error::Limit {
                limit: "memory",
                ..
            })
        ),
        "{second:?}"
    );
}

#[test]
fn a_closed_runtime_refuses_calls() {
    let rt = runtime();
    rt.close();
    assert!(matches!(rt.eval("1"), Err(Error::Closed)));
    rt.close();
}

#[test]
fn deep_recursion_is_a_range_error_not_a_crash() {
    let rt = runtime();
    assert!(matches!(
        rt.eval("function f(n) { return f(n + 1) + 1 } f(0)"),
        Err(Error::Thrown(e)) if e.name == "RangeError"
    ));
    assert_eq!(rt.eval("1").unwrap(), json!(1));
}

/// A call reads its dotted path afresh each time and calls what it finds with the path's
/// last object as `this`; whatever a script does to the built-ins it could reach, the
/// call means the same.
#[test]
fn a_call_resolves_its_path_every_time_and_scripts_cannot_change_what_it_means() {
    let rt = runtime();
    rt.eval_named(
        "paths.js",
        "globalThis.plugin = { name: 'p', who() { return this.name }, add(a, b) { return a + b } };
         globalThis.notFn = { x: 1 };
         globalThis.trap = { get bad() { throw new Error('getter') } };
         undefined",
    )
    .unwrap();
    assert_eq!(rt.call("plugin.who", &[]).unwrap(), json!("p"));
    assert_eq!(
        rt.call("plugin.add", &[json!(2), json!(3)]).unwrap(),
        json!(5)
    );
    // A reassigned method is what the next call runs.
    rt.eval("plugin.who = function () { return 'again ' + this.name }; undefined")
        .unwrap();
    assert_eq!(rt.call("plugin.who", &[]).unwrap(), json!("again p"));
    for (path, what) in [
        ("plugin.missing", "not found"),
        ("nothing.at.all", "not found"),
        ("notFn.x", "not a function"),
        // A primitive on the way has no properties to call.
        ("plugin.name.length", "not found"),
        ("notFn.x.y", "not found"),
    ] {
        match rt.call(path, &[]) {
            Err(Error::NotFound(text)) => {
                assert_eq!(text, format!("`{path}` is {what}"), "{path}")
            }
            other => panic!("{path}: expected {what}, got {other:?}"),
        }
    }
    assert!(matches!(
        rt.call("trap.bad", &[]),
        Err(Error::Thrown(e)) if e.message == "getter"
    ));
    // A name is a name, whatever characters it has: never code.
    rt.eval("globalThis.odd = { 'a\"b\\\\c\\nd': () => 'odd' }; undefined")
        .unwrap();
    assert_eq!(rt.call("odd.a\"b\\c\nd", &[]).unwrap(), json!("odd"));
    for path in [
        "odd.x\"]; globalThis.pwned = 1; //",
        "odd.x\n]; globalThis.pwned = 1",
    ] {
        assert!(
            matches!(rt.call(path, &[]), Err(Error::NotFound(_))),
            "{path}"
        );
    }
    assert_eq!(
        rt.eval("typeof globalThis.pwned").unwrap(),
        json!("undefined")
    );
    // Built-ins a script may replace are not what a call goes through.
    rt.eval(
        "Reflect.apply = () => 'hijacked';
         Function.prototype.apply = () => 'hijacked';
         Function.prototype.call = () => 'hijacked';
         globalThis.globalThis = { plugin: { who: () => 'hijacked' } };
         undefined",
    )
    .unwrap();
    assert_eq!(rt.call("plugin.who", &[]).unwrap(), json!("again p"));
    assert_eq!(
        rt.call("plugin.add", &[json!(1), json!(1)]).unwrap(),
        json!(2)
    );
}

/// A runtime keeps each thread's V8 state between its calls (stack limits included), and
/// hands it over when another thread comes: every thread, one after another and then all
/// at once, more threads than the runtime keeps state for, must find runaway recursion a
/// RangeError measured against its own stack (another thread's limit would throw at once
/// or let the recursion run off the end of this stack) and get right answers after it.
#[test]
fn many_threads_in_turn_each_get_their_own_stack_limit() {
    let rt = runtime();
    rt.eval("globalThis.plugin = { n: 0, next() { return ++this.n } }")
        .unwrap();
    let work = |rt: &Runtime| {
        for _ in 0..3 {
            assert!(matches!(
                rt.eval("function f(n) { return f(n + 1) + 1 } f(0)"),
                Err(Error::Thrown(e)) if e.name == "RangeError"
            ));
            assert!(rt.call("plugin.next", &[]).unwrap().is_u64());
        }
    };
    std::thread::scope(|scope| {
        let spawn = || {
            std::thread::Builder::new()
                .stack_size(4 << 20)
                .spawn_scoped(scope, || work(&rt))
                .unwrap()
        };
        for _ in 0..24 {
            spawn().join().unwrap();
        }
        let all: Vec<_> = (0..24).map(|_| spawn()).collect();
        for t in all {
            t.join().unwrap();
        }
    });
    work(&rt);
    assert_eq!(
        rt.call("plugin.next", &[]).unwrap(),
        json!(24 * 3 * 2 + 3 + 1)
    );
}

#[test]
fn a_tiny_heap_limit_still_starts_and_stops_a_bomb() {
    let rt = Runtime::new(RuntimeConfig::default().with_max_heap_size(1 << 20)).unwrap();
    assert_eq!(rt.eval("'ok'").unwrap(), json!("ok"));
    assert!(matches!(
        rt.eval("{ const a = []; for (;;) a.push({ n: a.length }) }"),
        Err(Error::Limit {
            limit: "memory",
            ..
        })
    ));
}

#[test]
fn host_function_arguments_keep_their_json_values() {
    let rt = runtime();
    rt.bind_function("echo", |args| Ok(Value::Array(args.to_vec())))
        .unwrap();
    assert_eq!(
        rt.eval("echo(0.1, -2, 2 ** 52, NaN, 'a\"\\n', true, null, undefined, [1, {b: 2}])")
            .unwrap(),
        json!([0.1, -2, 4503599627370496u64, null, "a\"\n", true, null, null, [1, {"b": 2}]])
    );
}

/// What a host function answers is what JS gets, the literals (answered without the
/// JSON parser) as much as anything else.
#[test]
fn host_function_answers_keep_their_json_values() {
    let rt = runtime();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for (name, answer) in [
        ("giveNull", json!(null)),
        ("giveTrue", json!(true)),
        ("giveFalse", json!(false)),
        ("giveZero", json!(0)),
        ("giveText", json!("null")),
        ("giveList", json!([null, true])),
    ] {
        let calls = calls.clone();
        rt.bind_function(name, move |_| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(answer.clone())
        })
        .unwrap();
    }
    assert_eq!(
        rt.eval(
            "[giveNull() === null, giveTrue() === true, giveFalse() === false, \
              giveZero() === 0, giveText() === 'null', JSON.stringify(giveList())]"
        )
        .unwrap(),
        json!([true, true, true, true, true, "[null,true]"])
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 6);
}

#[test]
fn runtimes_run_in_parallel_and_a_runaway_is_stopped_by_close() {
    let looping = std::sync::Arc::new(
        Runtime::new(RuntimeConfig {
            timeout: None,
            ..RuntimeConfig::default()
        })
        .unwrap(),
    );
    let l = looping.clone();
    let handle = std::thread::spawn(move || l.eval("for (;;) {}"));
    std::thread::sleep(Duration::from_millis(100));
    // Another runtime answers while the first one loops.
    let other = runtime();
    assert_eq!(other.eval("2 + 2").unwrap(), json!(4));
    looping.close();
    assert!(matches!(
        handle.join().unwrap(),
        Err(Error::Limit { limit: "time", .. })
    ));
    assert!(matches!(looping.eval("1"), Err(Error::Closed)));
}

#[test]
fn object_keys_keep_their_order_from_javascript_to_the_host_and_back() {
    let rt = runtime();
    let back = rt.eval("({b: 1, a: 2, c: {z: 0, y: 1}})").unwrap();
    assert_eq!(back.to_string(), r#"{"b":1,"a":2,"c":{"z":0,"y":1}}"#);
    rt.eval("function keys(o) { return Object.keys(o).join(','); }")
        .unwrap();
    let mut input = serde_json::Map::new();
    input.insert("zeta".into(), json!(1));
    input.insert("alpha".into(), json!(2));
    assert_eq!(
        rt.call("keys", &[serde_json::Value::Object(input)])
            .unwrap(),
        json!("zeta,alpha")
    );
}

#[test]
fn first_calls_from_many_threads_all_find_a_const_plugin_object() {
    // Each first call finds `plugin` missing on the global object and publishes the
    // script's `const plugin`; one published while another was between its lookup and
    // its own attempt must not make that one fail.
    for _ in 0..20 {
        let rt = std::sync::Arc::new(runtime());
        rt.eval("const plugin = { twice: (n) => n * 2 }").unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let rt = rt.clone();
                std::thread::spawn(move || rt.call("plugin.twice", &[json!(i)]))
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            assert_eq!(t.join().unwrap().unwrap(), json!(i * 2));
        }
    }
}
