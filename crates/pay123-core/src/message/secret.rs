//! Credentials: the merchant code, the passcode and the secret key.
//!
//! The passcode and the secret key are secret types: their `Debug` prints `[redacted]`, they
//! have no `Display`, no `Serialize` and no `==`, and their value is reached only through
//! `expose_secret`.

use subtle::ConstantTimeEq;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::message::rule::{Rule, ValidationError};
use crate::message::validate;

/// The secret key 123PAY shares with a merchant; the last part of every checksum.
#[derive(Clone)]
pub struct SecretKey(SecretString);

impl SecretKey {
    /// Wraps a secret key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }

    /// The key itself. Call it only to compute a checksum.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// The passcode 123PAY gives a merchant; sent in createOrder and queryOrder requests.
#[derive(Clone)]
pub struct Passcode(SecretString);

impl Passcode {
    /// Wraps a passcode.
    pub fn new(passcode: impl Into<String>) -> Self {
        Self(SecretString::from(passcode.into()))
    }

    /// The passcode itself. Call it only to build a request or a checksum.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Compares with a received passcode in constant time.
    #[must_use]
    pub fn matches(&self, received: &str) -> bool {
        constant_time_eq(self.expose_secret().as_bytes(), received.as_bytes())
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode([redacted])")
    }
}

/// The longest passcode: createOrder's table.
const PASSCODE_MAX: usize = 255;

/// A merchant's credentials at 123PAY.
#[derive(Clone, Debug)]
pub struct Credentials {
    merchant_code: String,
    passcode: Passcode,
    secret_key: SecretKey,
}

impl Credentials {
    /// Credentials from the values 123PAY handed out.
    ///
    /// The merchant code must be 1 to 20 ASCII characters, the passcode 1 to 255 characters
    /// (createOrder's table; queryOrder's says 20, but 123PAY hands out one passcode for both
    /// calls, so a longer one it gave is sent to both: see [`docs::protocol`](crate::docs::protocol)).
    pub fn new(
        merchant_code: impl Into<String>,
        passcode: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        let merchant_code = merchant_code.into();
        validate::required("merchantCode", &merchant_code)?;
        validate::token("merchantCode", &merchant_code, 20)?;
        let passcode = passcode.into();
        validate::required("passcode", &passcode)?;
        if passcode.chars().count() > PASSCODE_MAX {
            // The length only: the value is secret.
            return Err(ValidationError::new(
                "passcode",
                Rule::TooLong {
                    max: PASSCODE_MAX,
                    actual: passcode.chars().count(),
                },
            ));
        }
        let secret_key = secret_key.into();
        validate::required("secretKey", &secret_key)?;
        Ok(Self {
            merchant_code,
            passcode: Passcode::new(passcode),
            secret_key: SecretKey::new(secret_key),
        })
    }

    /// The public sandbox merchant of the specification: `MICODE` / `MIPASSCODE` / `MIKEY`.
    #[must_use]
    pub fn sandbox() -> Self {
        Self {
            merchant_code: "MICODE".to_owned(),
            passcode: Passcode::new("MIPASSCODE"),
            secret_key: SecretKey::new("MIKEY"),
        }
    }

    /// The merchant code.
    #[must_use]
    pub fn merchant_code(&self) -> &str {
        &self.merchant_code
    }

    /// The passcode.
    #[must_use]
    pub fn passcode(&self) -> &Passcode {
        &self.passcode
    }

    /// The secret key.
    #[must_use]
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }
}

impl AsRef<Credentials> for Credentials {
    fn as_ref(&self) -> &Credentials {
        self
    }
}
/// Constant-time equality of two byte strings (the lengths are not secret).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
