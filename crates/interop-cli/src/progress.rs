//! A sign of life for slow steps (the first compile of a large guest takes seconds): a
//! spinner on stderr, only when stderr is a terminal and only once the step has run
//! longer than [`SHOW_AFTER`], so quick commands and pipes see nothing.

use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use interop_host::{Host, HostError};
use interop_protocol::{LoadedManifest, Plugin};

/// How long a step runs before the spinner appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Loads the plugin of `manifest` into `host`, under a spinner when that is slow (the
/// first load of a large wasm guest compiles it).
pub fn load(host: &Host, manifest: LoadedManifest) -> Result<Arc<dyn Plugin>, HostError> {
    let message = format!(
        "loading `{}` (compiling it the first time)",
        manifest.name()
    );
    spin(&message, || host.load_manifest(manifest))
}

/// Runs `work`, with a spinner saying `message` if it takes longer than [`SHOW_AFTER`].
pub fn spin<T>(message: &str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let (done, finished) = mpsc::channel::<()>();
    let message = message.to_owned();
    let spinner = std::thread::spawn(move || {
        if finished.recv_timeout(SHOW_AFTER) != Err(RecvTimeoutError::Timeout) {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        // Until the work ends (the sender is dropped).
        let _ = finished.recv();
        bar.finish_and_clear();
    });
    let out = work();
    drop(done);
    let _ = spinner.join();
    out
}
