//! Time, through the host: the wall clock, sleeping within the call's time limit, and
//! trace events.

use serde_json::{json, Value};

use crate::{host_call, sys, Error};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    // SAFETY: no arguments.
    unsafe { sys::ft_now_ms() }
}

/// Sleeps `ms` milliseconds; a `limit_exceeded` error (without sleeping) if that is
/// longer than the call's time limit.
pub fn sleep(ms: u64) -> Result<(), Error> {
    // SAFETY: no pointers.
    let code = unsafe { sys::ft_sleep_ms(ms.min(i64::MAX as u64) as i64) };
    if code < 0 {
        return Err(Error::new(
            "limit_exceeded",
            format!("sleep of {ms} ms is longer than the call's time limit"),
        ));
    }
    Ok(())
}

/// Sends a trace event (`category`, `name`, and how long it took, if it measures
/// something) to the host's trace sink.
pub fn trace(category: &str, name: &str, duration_ms: Option<f64>) -> Result<(), Error> {
    let mut event = json!({ "category": category, "name": name });
    if let (Some(ms), Value::Object(map)) = (duration_ms, &mut event) {
        map.insert("durationMs".into(), json!(ms));
    }
    host_call("trace", &event).map(drop)
}
