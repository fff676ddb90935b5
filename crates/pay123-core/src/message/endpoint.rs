//! Where createOrder and queryOrder are sent: the sandbox, production, or any URL.

use http::Uri;

use crate::message::rule::{Rule, ValidationError};

/// The URLs of 123PAY's two methods. Each is configurable on its own. `Debug` shows them
/// without their query (it may carry a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoints {
    create_order: Uri,
    query_order: Uri,
}

impl Endpoints {
    /// 123PAY's sandbox: `https://sandbox.123pay.vn/miservice/{createOrder1,queryOrder1}`.
    #[must_use]
    pub fn sandbox() -> Self {
        Self {
            create_order: Uri::from_static("https://sandbox.123pay.vn/miservice/createOrder1"),
            query_order: Uri::from_static("https://sandbox.123pay.vn/miservice/queryOrder1"),
        }
    }

    /// 123PAY's production: `https://mi.123pay.vn/{createOrder1,queryOrder1}` (no `/miservice`,
    /// as seen in production integrations).
    #[must_use]
    pub fn production() -> Self {
        Self {
            create_order: Uri::from_static("https://mi.123pay.vn/createOrder1"),
            query_order: Uri::from_static("https://mi.123pay.vn/queryOrder1"),
        }
    }

    /// Two URLs of your choice.
    pub fn custom(create_order: &str, query_order: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            create_order: parse("createOrder endpoint", create_order)?,
            query_order: parse("queryOrder endpoint", query_order)?,
        })
    }

    /// `{base}/createOrder1` and `{base}/queryOrder1`, such as a local sandbox at
    /// `http://127.0.0.1:3123/miservice`.
    pub fn from_base(base: &str) -> Result<Self, ValidationError> {
        if base.contains(['?', '#']) {
            let reason = "a base URL has no query or fragment: the method's name follows it".into();
            return Err(ValidationError::new("API base URL", Rule::Url(reason)));
        }
        let base = base.trim_end_matches('/');
        Self::custom(
            &format!("{base}/createOrder1"),
            &format!("{base}/queryOrder1"),
        )
    }

    /// The createOrder URL.
    #[must_use]
    pub fn create_order(&self) -> &Uri {
        &self.create_order
    }

    /// The queryOrder URL.
    #[must_use]
    pub fn query_order(&self) -> &Uri {
        &self.query_order
    }

    /// Whether both methods are on this machine (`localhost` or a loopback address): a local
    /// sandbox, the one place plain `http` is fit for.
    #[must_use]
    pub fn is_on_this_machine(&self) -> bool {
        let local = |uri: &Uri| {
            let host = uri.host().unwrap_or("");
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        };
        local(&self.create_order) && local(&self.query_order)
    }
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |uri: &Uri| {
            let scheme = uri.scheme_str().unwrap_or("");
            let authority = uri.authority().map_or("", |a| a.as_str());
            format!("{scheme}://{authority}{}", uri.path())
        };
        f.debug_struct("Endpoints")
            .field("create_order", &shown(&self.create_order))
            .field("query_order", &shown(&self.query_order))
            .finish()
    }
}

fn parse(field: &'static str, url: &str) -> Result<Uri, ValidationError> {
    crate::message::validate::url(field, url, 2000)?;
    let uri = url
        .parse::<Uri>()
        .map_err(|e| ValidationError::new(field, Rule::Url(e.to_string())))?;
    // A password in the URL would reach logs and Debug output: 123PAY authenticates with the
    // passcode and the checksum, not with the URL.
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        let reason = "user info (user:password@) is not allowed".into();
        return Err(ValidationError::new(field, Rule::Url(reason)));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_in_the_url_and_no_query_in_debug() {
        let e = Endpoints::from_base("https://u:hunter2@mi.123pay.vn").unwrap_err();
        assert!(e.to_string().contains("user info"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = Endpoints::from_base("https://mi.123pay.vn/?token=T0KEN").unwrap_err();
        assert!(!e.to_string().contains("T0KEN"), "{e}");
        let custom = Endpoints::custom(
            "https://gw.shop.vn/createOrder1?token=T0KEN",
            "https://gw.shop.vn/queryOrder1?token=T0KEN",
        )
        .unwrap();
        let debug = format!("{custom:?}");
        assert!(debug.contains("https://gw.shop.vn/createOrder1"), "{debug}");
        assert!(!debug.contains("T0KEN"), "{debug}");
    }
}
