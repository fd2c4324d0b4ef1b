//! HTTP through the host (`net.fetch`): only URLs under the plugin's
//! `permissions.network.allowedUrlPrefixes`, with its methods, timeout and response size
//! limit; redirects are not followed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{base64, host_call, Error};

/// An HTTP request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Absolute http(s) URL.
    pub url: String,
    /// Method (`GET` when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// Request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request {
            url: url.into(),
            method: "GET".into(),
            ..Default::default()
        }
    }

    /// A `POST` of `body` to `url`.
    pub fn post(url: impl Into<String>, body: impl Into<String>) -> Self {
        Request {
            url: url.into(),
            method: "POST".into(),
            body: Some(body.into()),
            ..Default::default()
        }
    }
}

/// An HTTP response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Status code (3xx included: redirects are not followed).
    pub status: u16,
    /// Headers, with lower-case names.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body: its text, or `base64:` and the base64 of a body that is not UTF-8.
    #[serde(default)]
    pub body: String,
}

impl Response {
    /// The body's bytes (decoding a `base64:` body).
    pub fn bytes(&self) -> Vec<u8> {
        match self.body.strip_prefix("base64:") {
            Some(b64) => base64::decode(b64).unwrap_or_else(|| self.body.clone().into_bytes()),
            None => self.body.clone().into_bytes(),
        }
    }
}

/// Performs `request` through the host.
pub fn fetch(request: &Request) -> Result<Response, Error> {
    let reply = host_call("net.fetch", &json!(request))?;
    serde_json::from_value(reply)
        .map_err(|e| Error::new("internal", format!("net.fetch: unexpected reply: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_serializes_as_the_host_reads_it() {
        let mut r = Request::post("https://a.example/x", "hi");
        r.headers.insert("content-type".into(), "text/plain".into());
        assert_eq!(
            json!(r),
            json!({"url": "https://a.example/x", "method": "POST",
                   "headers": {"content-type": "text/plain"}, "body": "hi"})
        );
        assert_eq!(
            json!(Request {
                url: "u".into(),
                ..Default::default()
            }),
            json!({"url": "u"})
        );
    }

    #[test]
    fn a_base64_body_decodes_to_its_bytes() {
        let r: Response =
            serde_json::from_value(json!({"status": 200, "headers": {}, "body": "base64:AP8="}))
                .unwrap();
        assert_eq!(r.bytes(), vec![0x00, 0xff]);
        let text = Response {
            body: "plain".into(),
            ..Default::default()
        };
        assert_eq!(text.bytes(), b"plain");
    }
}
