//! Who may drive the admin API (`/_sandbox/...`): it forces statuses and makes the sandbox send
//! genuinely signed notifies, so a request from a web page the developer happens to visit must
//! never reach it.
//!
//! - **Host**: the request must be addressed to the sandbox by an IP address, `localhost`, or
//!   the host of [`Config::public_url`](crate::Config::public_url). A page on another site that
//!   rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own name: refused.
//! - **Client**: with no [`AdminToken`] configured, only this machine (a loopback peer); with
//!   one, any client that sends it as `Authorization: Bearer <token>`, or the dashboard's
//!   session cookie (set by `POST /_sandbox/login` for the token: a random value of this
//!   process, never the token, `SameSite=Strict`, `HttpOnly`, on the admin path). The login form and
//!   the dashboard's script hold no data: any client of an allowed host may fetch them. A browser
//!   without the token is sent to the login form.
//! - **JSON only**: every `POST` must say `Content-Type: application/json`. A cross-origin page
//!   can send a form or `text/plain` without asking, but not JSON: the browser first sends a
//!   CORS preflight (`OPTIONS`), which the sandbox does not answer with a permission.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::dashboard;
use crate::gateway::Gateway;

/// The token that opens the admin API to clients on other machines (`Authorization: Bearer
/// <token>`). `Debug` never shows it.
#[derive(Clone)]
pub struct AdminToken(SecretString);

impl AdminToken {
    /// Wraps a token; `None` for an empty one.
    #[must_use]
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        (!token.trim().is_empty()).then(|| Self(SecretString::from(token.trim().to_owned())))
    }

    pub(crate) fn matches(&self, given: &[u8]) -> bool {
        let expected = self.0.expose_secret().as_bytes();
        expected.len() == given.len() && bool::from(expected.ct_eq(given))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

/// Middleware of the whole router: checks requests under `/_sandbox`, passes the others.
pub(crate) async fn admin(
    State(gateway): State<Gateway>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path != "/_sandbox" && !path.starts_with("/_sandbox/") {
        return next.run(request).await;
    }
    match check(&gateway, &request) {
        Ok(()) => next.run(request).await,
        Err((StatusCode::UNAUTHORIZED, _))
            if request.method() == Method::GET && dashboard::wants_html(request.headers()) =>
        {
            dashboard::to_login(path)
        }
        Err((status, reason)) => {
            if status == StatusCode::UNAUTHORIZED
                && (request.headers().contains_key(header::AUTHORIZATION)
                    || request.headers().contains_key(header::COOKIE))
            {
                // A wrong token or session: guessing one costs time.
                tokio::time::sleep(WRONG_TOKEN_DELAY).await;
            }
            tracing::warn!(
                method = %request.method(),
                path,
                status = status.as_u16(),
                reason,
                "admin request refused"
            );
            (status, axum::Json(serde_json::json!({ "error": reason }))).into_response()
        }
    }
}

type Refusal = (StatusCode, &'static str);

fn check(gateway: &Gateway, request: &Request) -> Result<(), Refusal> {
    let config = gateway.config();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or("");
    let public_host = config
        .public_url
        .as_deref()
        .and_then(|url| url.parse::<http::Uri>().ok())
        .and_then(|uri| uri.host().map(str::to_owned));
    if !host_is_ours(host, public_host.as_deref()) {
        return Err((
            StatusCode::MISDIRECTED_REQUEST,
            "the admin API answers requests addressed to the sandbox by its IP address, \
             localhost or its public URL's host only: a page of another site cannot reach it \
             by pointing its own name at this machine",
        ));
    }
    // The login form and the dashboard's script, which hold no data.
    let open = matches!(
        request.uri().path(),
        "/_sandbox/login" | "/_sandbox/dashboard.js"
    );
    match &config.admin_token {
        Some(_) if open => {}
        Some(token) => {
            let bearer = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|v| v.trim().as_bytes().to_vec());
            let by_bearer = bearer.is_some_and(|given| token.matches(&given));
            if !by_bearer && !has_session(gateway, request.headers()) {
                return Err((
                    StatusCode::UNAUTHORIZED,
                    "the admin API needs the admin token: Authorization: Bearer <token> \
                     (PAY123_SANDBOX_ADMIN_TOKEN)",
                ));
            }
        }
        None => {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip());
            match peer {
                Some(ip) if is_loopback(ip) => {}
                Some(_) => {
                    return Err((
                        StatusCode::FORBIDDEN,
                        "the admin API answers this machine only; to open it to others, start \
                         the sandbox with an admin token (--admin-token, \
                         PAY123_SANDBOX_ADMIN_TOKEN)",
                    ));
                }
                None => {
                    return Err((
                        StatusCode::FORBIDDEN,
                        "the client's address is unknown (serve the router with ConnectInfo), \
                         and no admin token is set: the admin API stays closed",
                    ));
                }
            }
        }
    }
    if request.method() == Method::POST {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "admin requests are JSON: send Content-Type: application/json (a web page of \
                 another site cannot, without a CORS preflight the sandbox refuses)",
            ));
        }
    }
    Ok(())
}

/// How long a request with a wrong admin token (or session) waits for its refusal.
pub(crate) const WRONG_TOKEN_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// The cookie the dashboard's login sets.
pub(crate) const COOKIE: &str = "pay123_sandbox_admin";

/// The items of a header that lists them (`Accept`, `Cookie`), in every line of it, trimmed.
pub(crate) fn items(
    headers: &http::HeaderMap,
    name: header::HeaderName,
    separator: char,
) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(move |v| v.split(separator))
        .map(str::trim)
}

/// Whether the request carries the dashboard's session cookie (any of the cookies of that
/// name: a page of another port of this host may plant a wrong one beside it).
fn has_session(gateway: &Gateway, headers: &http::HeaderMap) -> bool {
    let session = gateway.inner.dashboard_session.expose_secret().as_bytes();
    items(headers, header::COOKIE, ';').any(|pair| {
        pair.split_once('=').is_some_and(|(name, value)| {
            name == COOKIE
                && value.len() == session.len()
                && bool::from(value.as_bytes().ct_eq(session))
        })
    })
}

/// An IP address, `localhost`, or the public URL's host; with or without a port.
fn host_is_ours(host: &str, public_host: Option<&str>) -> bool {
    let name = match host.strip_prefix('[') {
        // `[::1]:3123`
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        }),
    };
    !name.is_empty()
        && (name.parse::<IpAddr>().is_ok()
            || name.eq_ignore_ascii_case("localhost")
            || public_host.is_some_and(|public| {
                public
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .eq_ignore_ascii_case(name)
            }))
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for host in [
            "127.0.0.1:3123",
            "localhost:3123",
            "[::1]:3123",
            "10.0.0.5",
            "LOCALHOST",
        ] {
            assert!(host_is_ours(host, None), "{host}");
        }
        for host in [
            "evil.example:3123",
            "evil.example",
            "",
            "127.0.0.1.nip.io:3123",
        ] {
            assert!(!host_is_ours(host, None), "{host}");
        }
        assert!(host_is_ours("pay.test:8443", Some("pay.test")));
        assert!(!host_is_ours("pay.test.evil:8443", Some("pay.test")));
    }

    #[test]
    fn the_token_is_never_shown() {
        let token = AdminToken::new("s3cr3t").unwrap();
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(token.matches(b"s3cr3t"));
        assert!(!token.matches(b"s3cr3"));
        assert!(AdminToken::new("  ").is_none());
    }
}
