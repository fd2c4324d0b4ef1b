//! HTTP fetch for plugins, after the policy has allowed the URL and method.
//!
//! Redirects are never followed: a 3xx comes back to the plugin as is, because following
//! it would reach a URL the policy never checked. The response body is read up to the
//! policy's size limit and no further; a larger body is a `limit_exceeded` error.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use interop_protocol::PluginError;

/// A request, as plugins send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchRequest {
    /// Absolute http(s) URL.
    pub url: String,
    /// Method (default `GET`).
    #[serde(default = "get")]
    pub method: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Binary body, base64-encoded (instead of `body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

fn get() -> String {
    "GET".into()
}

impl FetchRequest {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        FetchRequest {
            url: url.into(),
            method: get(),
            ..Default::default()
        }
    }

    fn body_bytes(&self) -> Result<Option<Vec<u8>>, PluginError> {
        match (&self.body, &self.body_base64) {
            (Some(_), Some(_)) => Err(PluginError::invalid_input(
                "give `body` or `bodyBase64`, not both",
            )),
            (Some(text), None) => Ok(Some(text.clone().into_bytes())),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(Some)
                .map_err(|e| {
                    PluginError::invalid_input(format!("`bodyBase64` is not base64: {e}"))
                }),
            (None, None) => Ok(None),
        }
    }
}

/// A response, as plugins receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchResponse {
    /// HTTP status code (3xx included: redirects are not followed).
    pub status: u16,
    /// Response headers (lower-case names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// The body.
    #[serde(with = "body_serde")]
    pub body: Vec<u8>,
}

impl FetchResponse {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// In JSON the body is `body` (text) when it is UTF-8, else `bodyBase64`.
mod body_serde {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.serialize_str(&format!(
                "base64:{}",
                base64::engine::general_purpose::STANDARD.encode(body)
            )),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        match text.strip_prefix("base64:") {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(serde::de::Error::custom),
            None => Ok(text.into_bytes()),
        }
    }
}

pub(crate) fn perform(
    request: &FetchRequest,
    url: &url::Url,
    timeout: Duration,
    max_bytes: u64,
) -> Result<FetchResponse, PluginError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(request.method.to_ascii_uppercase().as_str())
        .uri(url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = request.body_bytes()?.unwrap_or_default();
    let http_request = builder
        .body(body)
        .map_err(|e| PluginError::invalid_input(format!("bad request to {url}: {e}")))?;
    let mut response = agent
        .run(http_request)
        .map_err(|e| map_error(url, timeout, e))?;
    let status = response.status().as_u16();
    let mut headers = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value)
            })
            .or_insert(value);
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => PluginError::limit(
                "response_size",
                format!("{url}: response body is larger than the {max_bytes}-byte limit"),
            ),
            other => map_error(url, timeout, other),
        })?;
    Ok(FetchResponse {
        status,
        headers,
        body,
    })
}

fn map_error(url: &url::Url, timeout: Duration, e: ureq::Error) -> PluginError {
    match e {
        ureq::Error::Timeout(_) => {
            PluginError::timeout(format!("{url}: no response within {timeout:?}"))
        }
        other => PluginError::network(format!("{url}: {other}")),
    }
}
