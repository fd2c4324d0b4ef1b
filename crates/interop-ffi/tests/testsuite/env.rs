//! An environment variable the host grants reaches native plugins. Its own test binary: it sets
//! a variable of the test process.

use crate::common;

use interop_host::{Grants, Host};
use serde_json::json;

#[test]
fn greet_is_prefixed_by_the_granted_greeter_prefix() {
    std::env::set_var("GREETER_PREFIX", "[native]");
    for greeter in ["rust-native-greeter", "c-native-greeter"] {
        let mut host = Host::new();
        host.set_grants(Grants::default().allow_env("GREETER_PREFIX"));
        host.load(common::sample(greeter)).unwrap();
        let hello = host.invoke(greeter, "greet", json!("World")).unwrap();
        assert_eq!(
            hello.text.as_deref(),
            Some("[native] Hello, World!"),
            "{greeter}"
        );
        let bye = host.invoke(greeter, "farewell", json!("World")).unwrap();
        assert_eq!(bye.text.as_deref(), Some("Goodbye, World!"), "{greeter}");
    }
}
