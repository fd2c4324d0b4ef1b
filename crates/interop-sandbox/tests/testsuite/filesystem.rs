//! The filesystem host services against a hostile filesystem: symlinks out of the root
//! (also swapped in while calls run), hard links, FIFOs, and removals of roots.

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop_protocol::ErrorKind;
use interop_sandbox::{HostServices, Policy};

use common::{Fixture, SECRET};

fn kind<T: std::fmt::Debug>(r: Result<T, interop_protocol::PluginError>) -> ErrorKind {
    r.unwrap_err().kind
}

fn mkfifo(path: &Path) {
    use rustix::fs::{mknodat, FileType, Mode, CWD};
    mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o600), 0).expect("mkfifo");
}

#[test]
fn a_symlink_swapped_in_while_calls_run_never_leads_outside_the_root() {
    let fx = Fixture::new();
    let services = fx.services();
    // `data/swap` is a directory, `data/other` a symlink to `outside/`; a thread keeps
    // exchanging the two atomically (renameat2 RENAME_EXCHANGE), the strongest form of
    // the race, while another streams host calls through `data/swap`.
    std::fs::create_dir_all(fx.plugin.join("data/swap/sub")).unwrap();
    std::fs::write(fx.plugin.join("data/swap/secret.txt"), "inside").unwrap();
    fx.link(&fx.outside, "data/other");
    let before = fx.outside_snapshot();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, data) = (stop.clone(), fx.plugin.join("data"));
        std::thread::spawn(move || {
            let dir = rustix::fs::open(
                &data,
                rustix::fs::OFlags::DIRECTORY,
                rustix::fs::Mode::empty(),
            )
            .unwrap();
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                rustix::fs::renameat_with(
                    &dir,
                    "swap",
                    &dir,
                    "other",
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .unwrap();
                swaps += 1;
            }
            swaps
        })
    };
    let (mut calls, mut succeeded, mut denied) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let results: Vec<Result<String, interop_protocol::PluginError>> = vec![
            services.read_text("data/swap/secret.txt"),
            services
                .write_file("data/swap/secret.txt", b"overwritten")
                .map(|()| String::new()),
            services
                .write_file("data/swap/new.txt", b"new")
                .map(|()| String::new()),
            services
                .stat("data/swap/secret.txt")
                .map(|s| format!("{s:?}")),
            services.readdir("data/swap").map(|e| format!("{e:?}")),
            services
                .exists("data/swap/secret.txt")
                .map(|e| e.to_string()),
            services
                .mkdir("data/swap/sub/deeper/still")
                .map(|()| String::new()),
            services.rm("data/swap/sub/deeper").map(|()| String::new()),
            services.rm("data/swap/new.txt").map(|()| String::new()),
            services.rm("data/swap/secret.txt").map(|()| String::new()),
        ];
        for result in results {
            calls += 1;
            match result {
                Ok(text) => {
                    succeeded += 1;
                    assert!(!text.contains(SECRET), "the secret was read: {text}");
                }
                Err(e) => {
                    if e.kind == ErrorKind::Denied {
                        denied += 1;
                    }
                    assert!(!e.message.contains(SECRET), "{e}");
                    assert!(!e.message.contains(fx.outside.to_str().unwrap()), "{e}");
                }
            }
        }
        // Put back the file the calls remove, wherever the directory is now.
        let _ = services.write_file("data/swap/secret.txt", b"inside");
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert_eq!(
        fx.outside_snapshot(),
        before,
        "something outside the root changed"
    );
    // The race really ran: calls went through the directory and were refused through the
    // symlink, many times over.
    assert!(swaps > 1000 && calls > 1000, "{swaps} swaps, {calls} calls");
    assert!(
        succeeded > 100 && denied > 100,
        "{succeeded} succeeded, {denied} denied of {calls}"
    );
}

#[test]
fn relative_symlinks_inside_the_root_are_followed() {
    let fx = Fixture::new();
    fx.link("sub", "data/alias");
    fx.link("note.txt", "data/note-link");
    let services = fx.services();
    services
        .write_file("data/alias/x.txt", b"via alias")
        .unwrap();
    assert_eq!(services.read_text("data/sub/x.txt").unwrap(), "via alias");
    assert_eq!(services.read_text("data/note-link").unwrap(), "inside");
    let stat = services.stat("data/note-link").unwrap();
    assert!(
        stat.is_symbolic_link && stat.is_file && stat.size == 6,
        "{stat:?}"
    );
}

#[test]
fn symlinks_out_of_the_root_are_denied_for_every_operation() {
    let fx = Fixture::new();
    fx.link(&fx.outside, "data/abs-dir");
    fx.link("../../outside", "data/rel-dir");
    fx.link(fx.outside.join("secret.txt"), "data/abs-file");
    // An absolute symlink is refused even when it points inside the root: the root is
    // where paths are resolved, never the host's `/`.
    fx.link(fx.plugin.join("data/note.txt"), "data/abs-inside");
    let services = fx.services();
    let before = fx.outside_snapshot();
    for link in [
        "data/abs-dir/secret.txt",
        "data/rel-dir/secret.txt",
        "data/abs-file",
        "data/abs-inside",
    ] {
        assert_eq!(kind(services.read_file(link)), ErrorKind::Denied, "{link}");
        assert_eq!(
            kind(services.write_file(link, b"x")),
            ErrorKind::Denied,
            "{link}"
        );
    }
    // Through a link it is denied; the link itself exists (nothing is read).
    assert_eq!(
        kind(services.exists("data/abs-dir/secret.txt")),
        ErrorKind::Denied
    );
    assert!(services.exists("data/abs-file").unwrap());
    for dir in ["data/abs-dir", "data/rel-dir"] {
        assert_eq!(kind(services.readdir(dir)), ErrorKind::Denied, "{dir}");
        assert_eq!(kind(services.stat(dir)), ErrorKind::Denied, "{dir}");
        assert_eq!(
            kind(services.mkdir(&format!("{dir}/new/deeper"))),
            ErrorKind::Denied
        );
        assert_eq!(kind(services.rm(&format!("{dir}/sub"))), ErrorKind::Denied);
    }
    let err = services.read_file("data/abs-dir/secret.txt").unwrap_err();
    assert_eq!(
        err.message,
        "path `data/abs-dir/secret.txt`: resolves through a symlink outside its granted root"
    );
    assert_eq!(fx.outside_snapshot(), before);
}

#[test]
fn removing_a_symlink_removes_the_link_and_never_its_target() {
    let fx = Fixture::new();
    fx.link(&fx.outside, "data/abs-dir");
    let services = fx.services();
    let before = fx.outside_snapshot();
    services.rm("data/abs-dir").unwrap();
    assert!(!fx.plugin.join("data/abs-dir").exists());
    assert_eq!(fx.outside_snapshot(), before);
}

#[test]
fn writing_through_a_dangling_symlink_out_of_the_root_is_denied() {
    let fx = Fixture::new();
    fx.link(fx.outside.join("created.txt"), "data/dangling");
    fx.link("../../outside/created-too.txt", "data/dangling-rel");
    let services = fx.services();
    for link in ["data/dangling", "data/dangling-rel"] {
        assert_eq!(
            kind(services.write_file(link, b"x")),
            ErrorKind::Denied,
            "{link}"
        );
    }
    assert!(!fx.outside.join("created.txt").exists());
    assert!(!fx.outside.join("created-too.txt").exists());
    // A dangling symlink exists, and is described as a symlink.
    assert!(services.exists("data/dangling").unwrap());
}

#[test]
fn a_root_swapped_for_a_symlink_is_not_entered() {
    let fx = Fixture::new();
    let services = fx.services();
    std::fs::rename(fx.plugin.join("data"), fx.plugin.join("data.old")).unwrap();
    fx.link(&fx.outside, "data");
    assert_eq!(
        kind(services.read_file("data/secret.txt")),
        ErrorKind::Denied
    );
    assert_eq!(kind(services.readdir("data")), ErrorKind::Denied);
    assert_eq!(kind(services.write_file("data/x", b"x")), ErrorKind::Denied);
    assert!(!fx.outside.join("x").exists());
}

#[test]
fn a_fifo_in_the_root_is_refused_at_once_for_reading_and_writing() {
    let fx = Fixture::new();
    mkfifo(&fx.plugin.join("data/pipe"));
    let services = fx.services();
    let started = Instant::now();
    let err = services.read_file("data/pipe").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fs);
    assert_eq!(
        err.message,
        "read `data/pipe`: a FIFO (named pipe) is not a regular file"
    );
    // No reader: opening for writing fails at once instead of waiting for one.
    assert_eq!(kind(services.write_file("data/pipe", b"x")), ErrorKind::Fs);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_file_with_several_hard_links_is_neither_read_nor_written() {
    let fx = Fixture::new();
    std::fs::hard_link(fx.outside.join("secret.txt"), fx.plugin.join("data/hard")).unwrap();
    let services = fx.services();
    let err = services.read_file("data/hard").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert!(!err.message.contains(SECRET));
    assert_eq!(
        kind(services.write_file("data/hard", b"x")),
        ErrorKind::Denied
    );
    assert_eq!(
        std::fs::read_to_string(fx.outside.join("secret.txt")).unwrap(),
        SECRET
    );
}

#[test]
fn granted_roots_and_directories_holding_them_are_not_removed() {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.plugin.join("data/nested/root")).unwrap();
    let services = HostServices::new(
        Policy::new("fs-plugin", &fx.plugin)
            .with_fs_root("data", true, true)
            .with_fs_root("data/nested/root", true, false),
    );
    fx.link("nested", "data/via");
    for path in [
        "data",
        "./data",
        "data/",
        "data/nested",
        "data/via/root",
        fx.plugin.join("data").to_str().unwrap(),
    ] {
        let err = services.rm(path).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied, "{path}: {err}");
        assert!(
            err.message.ends_with("a granted root cannot be removed"),
            "{err}"
        );
    }
    assert!(fx.plugin.join("data/nested/root").is_dir());
    services.rm("data/via").unwrap();
    assert!(
        fx.plugin.join("data/nested/root").is_dir(),
        "the link went, not its target"
    );
}

#[test]
fn a_file_granted_by_itself_is_read_but_its_siblings_are_not() {
    let fx = Fixture::new();
    std::fs::write(fx.plugin.join("config.json"), "{}").unwrap();
    std::fs::write(fx.plugin.join("other.json"), "no").unwrap();
    let services = HostServices::new(Policy::new("fs-plugin", &fx.plugin).with_fs_root(
        "config.json",
        true,
        false,
    ));
    assert_eq!(services.read_text("config.json").unwrap(), "{}");
    assert!(services.stat("config.json").unwrap().is_file);
    assert_eq!(kind(services.read_file("other.json")), ErrorKind::Denied);
    // Swapped for a symlink to a sibling, the granted file is not followed.
    std::fs::remove_file(fx.plugin.join("config.json")).unwrap();
    fx.link("other.json", "config.json");
    assert_eq!(kind(services.read_file("config.json")), ErrorKind::Denied);
}

#[test]
fn mkdir_creates_parents_and_rm_removes_trees_inside_the_root() {
    let fx = Fixture::new();
    let services = fx.services();
    services.mkdir("data/a/b/c").unwrap();
    services.mkdir("data/a/b/c").unwrap();
    services.write_file("data/a/b/c/f.txt", b"f").unwrap();
    fx.link(&fx.outside, "data/a/b/out");
    services.rm("data/a").unwrap();
    assert!(!fx.plugin.join("data/a").exists());
    assert_eq!(
        std::fs::read_to_string(fx.outside.join("secret.txt")).unwrap(),
        SECRET
    );
    services.rm("data/a").unwrap();
    services.rm("data/missing/deeper").unwrap();
}
