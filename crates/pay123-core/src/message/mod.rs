//! The messages of the protocol and their checksums: what the merchant sends (createOrder,
//! queryOrder, the notify's reply), what 123PAY sends (their answers, the notify, the return
//! redirect's ticket), the rules of their fields, and how each is signed and verified.

/// The impls every code type of the protocol shares, from its `code()` and `from_code()`:
/// `Display` and serde as the code on the wire (`"7201"`, `"123PVCB"`; a code this version does
/// not know is kept), `From<&str>`, and `&a == b` so that a getter compares with a value.
macro_rules! wire_code {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                Self::from_code(code)
            }
        }

        impl PartialEq<$name> for &$name {
            fn eq(&self, other: &$name) -> bool {
                **self == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|code| Self::from_code(&code))
            }
        }
    };
}

/// A merchant's request (createOrder, queryOrder): valid by its table's rules, and signed with
/// the merchant code and passcode it is sent with. The gateway signs a received request with
/// the code and passcode it claims, the merchant with its credentials.
pub(crate) trait SignedRequest: Sized {
    /// The request with its merchant code and passcode, as its checksum signs it.
    type Signed<'a>: checksum::Signed
    where
        Self: 'a;

    /// The rules of the request's table.
    fn validate(&self) -> Result<(), rule::ValidationError>;

    /// The request signed with `merchant_code` and `passcode`.
    fn signed<'a>(&'a self, merchant_code: &'a str, passcode: &'a str) -> Self::Signed<'a>;

    /// The request signed with these credentials' merchant code and passcode.
    fn signed_with<'a>(&'a self, credentials: &'a secret::Credentials) -> Self::Signed<'a> {
        self.signed(
            credentials.merchant_code(),
            credentials.passcode().expose_secret(),
        )
    }
}

pub(crate) mod bank;
pub mod checksum;
pub(crate) mod create_order;
pub(crate) mod endpoint;
pub(crate) mod error;
pub(crate) mod notify;
pub(crate) mod query_order;
pub(crate) mod reply;
pub(crate) mod rule;
pub(crate) mod secret;
pub(crate) mod status;
pub(crate) mod ticket;
pub(crate) mod timestamp;
pub(crate) mod validate;
pub(crate) mod wire;

pub use bank::BankCode;
pub use checksum::{ChecksumError, ChecksumFault};
pub use create_order::{CreateOrder, CreateOrderBuilder, CreatedOrder, Gender};
pub use endpoint::Endpoints;
pub use error::{ErrorChain, ResponseError, VerifyError};
pub use notify::{DEFAULT_WINDOW, Notify, NotifyVerifier};
pub use query_order::{OrderStatus, QueryOrder};
pub use reply::NotifyReply;
pub use rule::{Rule, ValidationError};
pub use secret::{Credentials, Passcode, SecretKey};
pub use status::{NotifyReturnCode, ReturnCode, TransactionStatus};
pub use ticket::{RETURN_WINDOW, ReturnCheck, ReturnTicket};

/// The IPv4 address in a buyer's address as a server sees it: the address itself, or the one an
/// IPv4-mapped IPv6 address carries (`::ffff:203.113.1.10`, what a dual-stack socket reports);
/// `None` for any other IPv6 address. 123PAY's `clientIP` takes IPv4 only; the builders'
/// `client_addr` use this.
///
/// ```
/// use pay123_core::client_ipv4;
/// assert_eq!(client_ipv4("::ffff:10.0.0.7".parse().unwrap()), Some([10, 0, 0, 7].into()));
/// assert_eq!(client_ipv4("2001:db8::1".parse().unwrap()), None);
/// ```
#[must_use]
pub fn client_ipv4(addr: std::net::IpAddr) -> Option<std::net::Ipv4Addr> {
    match addr {
        std::net::IpAddr::V4(v4) => Some(v4),
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}
