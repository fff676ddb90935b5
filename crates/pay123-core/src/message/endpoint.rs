//! Where createOrder and queryOrder are sent: the sandbox, production, or any URL.

use http::Uri;

use crate::message::rule::{Rule, ValidationError};

/// The URLs of 123PAY's two methods. Each is configurable on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

fn parse(field: &'static str, url: &str) -> Result<Uri, ValidationError> {
    crate::message::validate::url(field, url, 2000)?;
    url.parse::<Uri>()
        .map_err(|e| ValidationError::new(field, Rule::Url(e.to_string())))
}
