//! A minimal HTTP/1.1 `GET` over plain HTTP (no TLS), to read an issuer's JWKS or OpenID
//! configuration from a local or test issuer. Redirects are not followed; bodies are capped at
//! [`MAX_BODY`].

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{header, Request, StatusCode, Uri};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

/// The largest body read, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// Why a `GET` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Not an `http://` URL.
    #[error("{0}: only plain http:// URLs can be fetched (save an https JWKS to a file and pass it with --jwks-file)")]
    Unsupported(String),
    /// The request failed (connection, protocol, timeout).
    #[error("GET {url}: {reason}")]
    Request {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with a non-2xx status.
    #[error("GET {url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
    },
}

/// `GET url` and the body of a 2xx answer.
pub async fn get(url: &str, timeout: Duration) -> Result<Bytes, HttpError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| HttpError::Unsupported(url.to_owned()))?;
    if uri.scheme_str() != Some("http") {
        return Err(HttpError::Unsupported(url.to_owned()));
    }
    let fail = |reason: String| HttpError::Request {
        url: url.to_owned(),
        reason,
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(uri)
        .header(header::ACCEPT, "application/json")
        .body(Empty::new())
        .map_err(|e| fail(e.to_string()))?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(HttpError::Status {
                url: url.to_owned(),
                status,
            });
        }
        Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .map_err(|e| fail(e.to_string()))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| fail(format!("no answer within {} s", timeout.as_secs())))?
}
