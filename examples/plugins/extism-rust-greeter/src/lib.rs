//! An Extism plugin as the extism-pdk documentation writes one: nothing in it knows of
//! interop, which runs it through its `extism:host/env` imports (docs/extism.md).

use extism_pdk::*;

/// `"World"` -> `"Hello, World!"`, logging the name it greets.
#[plugin_fn]
pub fn greet(name: String) -> FnResult<String> {
    info!("greeting {}", name);
    Ok(format!("Hello, {}!", name))
}

/// Greets the `user` named in the plugin's config.
#[plugin_fn]
pub fn greet_user() -> FnResult<String> {
    let user = config::get("user")?.unwrap_or_else(|| "stranger".to_string());
    Ok(format!("Hello, {}!", user))
}

/// Counts its calls in a variable, which lives as long as the plugin is loaded.
#[plugin_fn]
pub fn count() -> FnResult<Json<i64>> {
    let mut c = var::get("count")?.unwrap_or(0);
    c = c + 1;
    var::set("count", c)?;
    Ok(Json(c))
}

/// Makes the HTTP request it is given and returns the response body.
#[plugin_fn]
pub fn http_get(Json(req): Json<HttpRequest>) -> FnResult<Vec<u8>> {
    let res = http::request::<()>(&req, None)?;
    Ok(res.body())
}
