//! The native sample plugins (Rust cdylib and C) through the host, like every greeter.

use crate::common;

use std::sync::Arc;

use interop_host::Host;
use interop_protocol::ErrorKind;
use interop_sandbox::{AuditOutcome, LogLevel, MemorySink};
use serde_json::json;

const GREETERS: &[&str] = &["rust-native-greeter", "c-native-greeter"];

fn host_with_sink() -> (Host, Arc<MemorySink>) {
    let mut host = Host::new();
    let sink = Arc::new(MemorySink::new());
    host.set_sink(sink.clone());
    (host, sink)
}

#[test]
fn native_greeters_greet_and_say_goodbye() {
    for greeter in GREETERS {
        let (host, sink) = host_with_sink();
        let plugin = host.load(common::sample(greeter)).unwrap();
        assert_eq!(plugin.name(), *greeter);
        let hello = host.invoke(greeter, "greet", json!("World")).unwrap();
        assert_eq!(hello.text.as_deref(), Some("Hello, World!"), "{greeter}");
        assert!(hello.success);
        let bye = host.invoke(greeter, "farewell", json!("Ada")).unwrap();
        assert_eq!(bye.text.as_deref(), Some("Goodbye, Ada!"), "{greeter}");
        // Non-ASCII and JSON escapes survive the round trip.
        let odd = host
            .invoke(greeter, "greet", json!("\"Zoë\" \\ 世界"))
            .unwrap();
        assert_eq!(
            odd.text.as_deref(),
            Some("Hello, \"Zoë\" \\ 世界!"),
            "{greeter}"
        );
        let logs = sink.logs();
        assert!(
            logs.iter()
                .any(|l| l.level == LogLevel::Info && l.message == "greet World"),
            "{greeter}: {logs:?}"
        );
    }
}

#[test]
fn native_greeters_read_their_greeting_through_the_host_fs_api() {
    for greeter in GREETERS {
        let (host, _) = host_with_sink();
        host.load(common::sample(greeter)).unwrap();
        let answer = host.get_provider(greeter, "greeting").unwrap();
        let expected = std::fs::read_to_string(
            common::repo().join(format!("examples/plugins/{greeter}/data/greeting.txt")),
        )
        .unwrap();
        assert_eq!(
            answer.text.as_deref(),
            Some(expected.trim_end()),
            "{greeter}"
        );
        let reads: Vec<_> = host
            .audit()
            .events()
            .into_iter()
            .filter(|e| e.function == "fs.readFile")
            .collect();
        assert_eq!(reads.len(), 1, "{greeter}: {reads:?}");
        assert_eq!(reads[0].outcome, AuditOutcome::Ok);
    }
}

#[test]
fn native_greeters_handle_the_reload_hook() {
    for greeter in GREETERS {
        let (host, sink) = host_with_sink();
        host.load(common::sample(greeter)).unwrap();
        let mut results = host.emit("config.reload", json!({}));
        let result = results
            .remove(*greeter)
            .expect("the greeter handles config.reload");
        assert_eq!(result.unwrap(), json!([null]), "{greeter}");
        assert!(
            sink.logs()
                .iter()
                .any(|l| l.message == "greeter: configuration reloaded"),
            "{greeter}"
        );
        // An event no hook handles reaches no handler.
        assert!(host.emit("other", json!(null)).is_empty());
    }
}

#[test]
fn bad_input_and_unknown_actions_are_errors_naming_the_plugin() {
    for greeter in GREETERS {
        let (host, _) = host_with_sink();
        let plugin = host.load(common::sample(greeter)).unwrap();
        // The host checks the input against the manifest's inputSchema first...
        let err = host.invoke(greeter, "greet", json!(42)).unwrap_err();
        assert!(err.to_string().contains("inputSchema"), "{err}");
        // ...and the plugin itself refuses what it cannot use, with its status code.
        let err = plugin
            .invoke(&interop_protocol::ActionInvoke::new("greet", json!(42)))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{greeter}: {err}");
        assert_eq!(err.message, "greet: expected the name as a JSON string");
        assert_eq!(err.plugin.as_deref(), Some(*greeter));
        let err = host.invoke(greeter, "dance", json!("x")).unwrap_err();
        assert!(err.to_string().contains("has no action `dance`"), "{err}");
    }
}

#[test]
fn host_api_denials_are_errors_and_audited() {
    // Each greeter again, from a copy whose manifest grants nothing.
    for greeter in GREETERS {
        let src = common::sample(greeter);
        let src_dir = src.parent().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
        manifest.as_object_mut().unwrap().remove("permissions");
        manifest.as_object_mut().unwrap().remove("$schema");
        let lib = manifest["interop"]["libraryPath"]
            .as_str()
            .unwrap()
            .to_owned();
        std::fs::create_dir_all(dir.path().join(&lib).parent().unwrap()).unwrap();
        std::fs::copy(src_dir.join(&lib), dir.path().join(&lib)).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/greeting.txt"), "secret").unwrap();
        std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();

        let (host, _) = host_with_sink();
        host.load(dir.path().join("plugin.json")).unwrap();
        let err = host.get_provider(greeter, "greeting").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("denied"), "{greeter}: {text}");
        assert!(text.contains("data/greeting.txt"), "{greeter}: {text}");
        // The action still works; its env lookup is refused and audited.
        let hello = host.invoke(greeter, "greet", json!("World")).unwrap();
        assert_eq!(hello.text.as_deref(), Some("Hello, World!"));
        let denied: Vec<String> = host
            .audit()
            .denied()
            .into_iter()
            .map(|e| e.function)
            .collect();
        assert!(denied.contains(&"fs.readFile".to_owned()), "{denied:?}");
        assert!(denied.contains(&"env.get".to_owned()), "{denied:?}");
    }
}

#[test]
fn unloaded_plugins_refuse_calls_and_unloading_twice_is_fine() {
    let (host, _) = host_with_sink();
    let plugin = host.load(common::sample("rust-native-greeter")).unwrap();
    plugin.unload().unwrap();
    plugin.unload().unwrap();
    let err = plugin
        .invoke(&interop_protocol::ActionInvoke::new("greet", json!("x")))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("unloaded"), "{err}");
}

#[test]
fn calls_from_many_threads_are_serialised_safely() {
    let (host, _) = host_with_sink();
    let plugin = host.load(common::sample("c-native-greeter")).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let plugin = plugin.clone();
            s.spawn(move || {
                for i in 0..50 {
                    let name = format!("t{t}-{i}");
                    let r = plugin
                        .invoke(&interop_protocol::ActionInvoke::new("greet", json!(name)))
                        .unwrap();
                    assert_eq!(r.text, Some(format!("Hello, {name}!")));
                }
            });
        }
    });
}

#[test]
fn isolated_manifests_without_isolation_are_a_clear_error() {
    let (host, _) = host_with_sink();
    let manifest = common::sample("native-segfault");
    let loaded = interop_protocol::load_manifest(&manifest).unwrap();
    let services = host.services_for(&loaded).unwrap();
    let err =
        match interop_sandbox::Backend::load(&interop_ffi::FfiBackend::new(), &loaded, services) {
            Ok(_) => panic!("loaded an isolated plugin without isolation"),
            Err(e) => e,
        };
    assert!(
        err.message
            .contains("`isolated: true` needs a subprocess backend"),
        "{err}"
    );
}

#[test]
fn each_library_loaded_is_itself_even_after_others_were_unloaded() {
    // Libraries are loaded through their open descriptor (`/proc/self/fd/N`), a name the
    // loader remembers: one loaded earlier under a number since reused must not be
    // handed back for another library.
    for round in 0..3 {
        for greeter in GREETERS {
            let (host, _) = host_with_sink();
            let plugin = host.load(common::sample(greeter)).unwrap();
            assert_eq!(plugin.name(), *greeter, "round {round}");
            let hello = host.invoke(greeter, "greet", json!("World")).unwrap();
            assert_eq!(hello.text.as_deref(), Some("Hello, World!"));
        }
    }
    let (host, _) = host_with_sink();
    for greeter in GREETERS {
        host.load(common::sample(greeter)).unwrap();
    }
    assert_eq!(
        host.plugin_names(),
        ["c-native-greeter", "rust-native-greeter"]
    );
}
