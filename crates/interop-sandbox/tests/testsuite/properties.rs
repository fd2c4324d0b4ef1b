//! Property tests of the sandbox's path and URL checks: whatever `..`, `.`, `//`, NUL,
//! unicode and symlinks a path holds, nothing outside its root is read or written; and
//! whatever look-alike host, userinfo, port or percent-encoding a URL holds, an allowed
//! URL is, to a second parser (the `http` crate's, which HTTP clients use), under a grant.
//!
//! Each property runs `PROPTEST_CASES` cases (256 unless set), a few seconds in all.

use crate::common;

use std::path::Path;

use interop_sandbox::{Access, HostServices, Policy};
use proptest::prelude::*;

use common::{Fixture, SECRET};

/// `PROPTEST_CASES` cases (256 unless set); failures are kept as named tests, not files.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Path components an attacker would try, around the fixture's names and links.
const COMPONENTS: &[&str] = &[
    "..",
    ".",
    "",
    "data",
    "ro",
    "sub",
    "note.txt",
    "secret.txt",
    "outside",
    "plugin",
    "abs-dir",
    "rel-dir",
    "abs-file",
    "in-link",
    "dangling",
    "loop",
    "new",
    "é",
    "\u{202e}txt",
    "a\0b",
    "...",
    " ",
    "data\\..\\..",
];

/// A path as a plugin might write it: `{PLUGIN}` stands for the plugin directory's
/// absolute path, known once the fixture exists. Most start in a root, so that the
/// links inside it are reached.
fn hostile_path() -> impl Strategy<Value = String> {
    let start = prop_oneof![
        4 => Just("data/"),
        2 => Just("{PLUGIN}/data/"),
        1 => Just("ro/"),
        1 => prop::sample::select(&["", "./", "/", "//", "{PLUGIN}/", "./data//./"][..]),
    ];
    let parts = prop::collection::vec(prop::sample::select(COMPONENTS), 0..6);
    (start, parts).prop_map(|(start, parts)| format!("{start}{}", parts.join("/")))
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Read,
    Write,
    Stat,
    Readdir,
    Exists,
    Mkdir,
    Rm,
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(
        &[
            Op::Read,
            Op::Write,
            Op::Stat,
            Op::Readdir,
            Op::Exists,
            Op::Mkdir,
            Op::Rm,
        ][..],
    )
}

/// Runs `op` on `path`; what it returned (or its error), as text.
fn perform(services: &HostServices, op: Op, path: &str) -> String {
    let shown = |r: Result<String, interop_protocol::PluginError>| match r {
        Ok(text) => text,
        Err(e) => format!("{e} {:?}", e.data),
    };
    shown(match op {
        Op::Read => services
            .read_file(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        Op::Write => services
            .write_file(path, b"written")
            .map(|()| String::new()),
        Op::Stat => services.stat(path).map(|s| format!("{s:?}")),
        Op::Readdir => services.readdir(path).map(|e| format!("{e:?}")),
        Op::Exists => services.exists(path).map(|e| e.to_string()),
        Op::Mkdir => services.mkdir(path).map(|()| String::new()),
        Op::Rm => services.rm(path).map(|()| String::new()),
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_host_call_reads_or_writes_outside_its_root(
        calls in prop::collection::vec((op(), hostile_path()), 1..8)
    ) {
        let fx = Fixture::new().with_hostile_links();
        let services = fx.services();
        let before = fx.outside_snapshot();
        let plugin = fx.plugin.to_str().unwrap().to_owned();
        for (op, path) in &calls {
            let path = path.replace("{PLUGIN}", &plugin);
            let said = perform(&services, *op, &path);
            prop_assert!(!said.contains(SECRET), "{op:?} {path}: {said}");
            prop_assert!(!said.contains(fx.outside.to_str().unwrap()), "{op:?} {path}: {said}");
        }
        prop_assert_eq!(fx.outside_snapshot(), before);
        prop_assert!(fx.plugin.join("data").is_dir() && fx.plugin.join("ro").is_dir());
    }

    #[test]
    fn a_resolved_path_lies_in_a_root_granting_the_access(
        path in hostile_path(),
        write in any::<bool>(),
    ) {
        let fx = Fixture::new().with_hostile_links();
        let services = fx.services();
        let policy: &Policy = services.policy();
        let path = path.replace("{PLUGIN}", fx.plugin.to_str().unwrap());
        let access = if write { Access::Write } else { Access::Read };
        if let Ok(real) = policy.resolve_path(&path, access) {
            let inside = |p: &Path| policy.fs.iter().any(|r| r.grants(access) && p.starts_with(&r.path));
            prop_assert!(inside(&real), "{path} -> {}", real.display());
            if let Ok(canonical) = real.canonicalize() {
                prop_assert!(inside(&canonical), "{path} -> {}", canonical.display());
            }
        }
        if let Ok(at) = policy.locate(&path, access) {
            prop_assert!(at.root.grants(access));
            prop_assert!(at.relative.components().all(|c| matches!(c, std::path::Component::Normal(_))));
        }
    }
}

/// The grants of the URL properties.
const GRANTS: &[&str] = &["https://api.example.com/v1", "http://127.0.0.1:8080/data/"];

/// A URL near a grant: each part is the granted one, or now and then a trick.
fn hostile_url() -> impl Strategy<Value = String> {
    fn sometimes(tricks: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
        prop::option::weighted(0.2, prop::sample::select(tricks))
    }
    let granted = prop::sample::select(
        &[
            ("https", "api.example.com", "", "v1"),
            ("http", "127.0.0.1", ":8080", "data"),
        ][..],
    );
    let scheme = sometimes(&["http", "https", "HTTPS", "ftp", "file", "javascript"]);
    let userinfo = sometimes(&["user@", "user:pw@", "api.example.com@", ":@", "%40@"]);
    let host = sometimes(&[
        "api.example.com",
        "127.0.0.1",
        "API.Example.COM",
        "api.example.com.",
        "api.example.com.evil.com",
        "evil.com",
        "xapi.example.com",
        "api%2eexample.com",
        "api.example.com%00",
        "\u{430}pi.example.com",
        "0x7f.0.0.1",
        "2130706433",
        "127.1",
        "[::1]",
        "localhost",
        "api.example.com\\@evil.com",
        "127.0.0.1:8080@evil.com",
    ]);
    let port = sometimes(&["", ":8080", ":443", ":80", ":08080", ":0443", ":65536", ":"]);
    let segment = prop_oneof![
        3 => prop::sample::select(&["v1", "data", "x"][..]),
        1 => prop::sample::select(&[
            "v10", "V1", "admin", "..", ".", "%2e%2e", "%2E.", ".%2e", "%2f", "%5c", "\\", "",
            "%00", "\u{e9}", "v1%2f..", "data%2f..",
        ][..]),
    ];
    let first = sometimes(&["v10", "V1", "..", "%2e%2e", "data2", "", "v1%2f..", "./v1"]);
    let rest = prop::collection::vec(segment, 0..4);
    let tail = sometimes(&["?q=1", "#f", "?../admin", "#/../admin"]);
    (granted, scheme, userinfo, host, port, first, rest, tail).prop_map(
        |((s0, h0, p0, f0), s, u, h, p, f, rest, t)| {
            let path = std::iter::once(f.unwrap_or(f0))
                .chain(rest)
                .collect::<Vec<_>>();
            format!(
                "{}://{}{}{}/{}{}",
                s.unwrap_or(s0),
                u.unwrap_or(""),
                h.unwrap_or(h0),
                p.unwrap_or(p0),
                path.join("/"),
                t.unwrap_or("")
            )
        },
    )
}

/// The grant `uri` is under, seen by the `http` crate's parser, if any.
fn under_a_grant(uri: &http::Uri) -> bool {
    let decoded = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if decoded.split(['/', '\\']).any(|s| s == ".." || s == ".") {
        return false;
    }
    GRANTS.iter().any(|grant| {
        let grant: http::Uri = grant.parse().unwrap();
        let port = |u: &http::Uri| {
            u.port_u16().or(match u.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            })
        };
        let path = uri.path();
        let prefix = grant.path();
        uri.scheme() == grant.scheme()
            && uri.host().map(str::to_ascii_lowercase).as_deref() == grant.host()
            && port(uri) == port(&grant)
            && !uri.authority().is_some_and(|a| a.as_str().contains('@'))
            && (path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| prefix.ends_with('/') || rest.starts_with('/')))
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_allowed_url_is_under_a_grant_to_a_second_parser(url in hostile_url()) {
        let policy = Policy::new("p", "/tmp").with_network(GRANTS, &["GET"]).unwrap();
        if let Ok(parsed) = policy.check_url(&url, "GET") {
            // What is sent is the parsed URL; an HTTP client parses it again.
            let uri: http::Uri = parsed.as_str().parse()
                .map_err(|e| TestCaseError::fail(format!("{url} -> {parsed}: {e}")))?;
            prop_assert!(under_a_grant(&uri), "{url} was allowed as {parsed}");
        }
    }

    #[test]
    fn a_url_under_a_grant_with_a_plain_path_is_allowed(
        grant in prop::sample::select(GRANTS),
        rest in prop::collection::vec("[a-z0-9_-]{1,8}", 0..4),
    ) {
        let policy = Policy::new("p", "/tmp").with_network(GRANTS, &["GET"]).unwrap();
        let sep = if grant.ends_with('/') || rest.is_empty() { "" } else { "/" };
        let url = format!("{grant}{sep}{}", rest.join("/"));
        prop_assert!(policy.check_url(&url, "GET").is_ok(), "{url}");
    }
}
