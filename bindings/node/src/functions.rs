//! `host.registerFunction(name, fn)`: a JavaScript function as a host function, callable
//! by plugins of every backend from whatever thread runs them.
//!
//! The plugin's thread queues the call onto Node's event loop (a threadsafe function) and
//! waits for the answer: the function's value, or what its promise settles to. It waits
//! at most the host's call time limit, so a function that never settles fails the host
//! call with `limit_exceeded` instead of hanging the plugin.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::Duration;

use napi::bindgen_prelude::{FnArgs, FromNapiValue, Function, JsObjectValue, Object, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsError, JsValue};
use serde_json::Value;

use interop_protocol::PluginError;

use crate::convert::to_json;
use crate::error::from_js;
use crate::options::Callback;

/// A registered JavaScript function: called with the plugin's arguments and its name.
pub(crate) type JsFunction = Callback<FnArgs<(Value, String)>>;

type Answer = Result<Value, PluginError>;

/// A settlement callback of `promise.then`.
type Settle<'env> = Function<'env, Unknown<'env>, ()>;

/// Calls `function` (registered as `name`) from a plugin's thread and waits for its answer.
pub(crate) fn call(
    function: &JsFunction,
    name: &str,
    plugin: &str,
    args: Value,
    wait: Duration,
) -> Answer {
    let (tx, rx) = sync_channel::<Answer>(1);
    let owned = name.to_owned();
    let status = function.call_with_return_value(
        FnArgs::from((args, plugin.to_owned())),
        ThreadsafeFunctionCallMode::NonBlocking,
        move |returned, env| {
            settle(&env, &owned, returned, tx);
            // An error here would be fatal to the process: everything went to `tx`.
            Ok(())
        },
    );
    if status != napi::Status::Ok {
        return Err(PluginError::internal(format!(
            "host function `{name}`: cannot reach JavaScript ({status}): the host is closing"
        )));
    }
    rx.recv_timeout(wait).unwrap_or_else(|_| {
        Err(PluginError::limit(
            "time",
            format!(
                "host function `{name}` did not answer within {} ms",
                wait.as_millis()
            ),
        ))
    })
}

/// Runs on Node's thread with what the function returned (or threw): sends its JSON, or
/// waits for its promise to settle and sends that.
fn settle(env: &Env, name: &str, returned: napi::Result<Unknown>, tx: SyncSender<Answer>) {
    let value = match returned {
        Ok(value) => value,
        Err(thrown) => {
            let error = from_js(name, JsError::from(thrown).into_unknown(*env));
            let _ = tx.try_send(Err(error));
            return;
        }
    };
    if !value.is_promise().unwrap_or(false) {
        let _ = tx.try_send(to_json(value));
        return;
    }
    if let Err(e) = on_settled(env, name, value, tx.clone()) {
        let _ = tx.try_send(Err(PluginError::internal(format!(
            "host function `{name}`: cannot wait for its promise: {e}"
        ))));
    }
}

/// `promise.then(resolve, reject)` with both sending to `tx`.
fn on_settled(env: &Env, name: &str, promise: Unknown, tx: SyncSender<Answer>) -> napi::Result<()> {
    let promise = Object::from_unknown(promise)?;
    let then: Function<FnArgs<(Settle, Settle)>, Unknown> = promise.get_named_property("then")?;
    let resolved = tx.clone();
    let on_value = env.create_function_from_closure("resolve", move |ctx| {
        let value: Unknown = ctx.get(0)?;
        let _ = resolved.try_send(to_json(value));
        Ok(())
    })?;
    let owned = name.to_owned();
    let on_error = env.create_function_from_closure("reject", move |ctx| {
        let thrown: Unknown = ctx.get(0)?;
        let _ = tx.try_send(Err(from_js(&owned, thrown)));
        Ok(())
    })?;
    then.apply(promise, FnArgs::from((on_value, on_error)))?;
    Ok(())
}
