//! The failure taxonomy: for every [`Error`], whether trying again may help, the HTTP status,
//! what to tell the buyer (Vietnamese, with English alongside) and what the operator needs.
//!
//! Every framework adapter answers `?` on pay123's errors with [`Error::to_response`], and logs
//! the operator's detail ([`ErrorChain`](crate::ErrorChain)); the demo shops do the same.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Serialize;

use crate::client::ClientError;
use crate::listener::PlainResponse;
use crate::merchant::error::Error;
use crate::merchant::payments::{NotCreated, PaymentState, StoreError};
use crate::message::error::ResponseError;
use crate::message::status::ReturnCode;

/// The class of a failure, which decides its HTTP status and whether to retry.
///
/// | class | status | retry | examples |
/// |---|---|---|---|
/// | [`BadRequest`](Self::BadRequest) | 400 | no | a notify or a return redirect refused |
/// | [`Merchant`](Self::Merchant) | 500 | no | the merchant's own mistake: a value of the merchant's that breaks the specification's rules (a catalogue text), `6000` (credentials, checksum), `6100`, `6206` (an id used twice), a gateway URL that answers 404, an answer signed with another key, the payment store failing |
/// | [`Unavailable`](Self::Unavailable) | 503 | yes | `5000`, `7300`, HTTP 5xx, 123PAY unreachable |
/// | [`Timeout`](Self::Timeout) | 504 | yes | no answer in time |
/// | [`Refused`](Self::Refused) | 502 | no | 123PAY refused this payment: `6200`, `6203`, `6212`, `7200` |
/// | [`BadGateway`](Self::BadGateway) | 502 | no | 123PAY's answer is not what the specification describes |
///
/// The merchant's own mistakes are never blamed on the buyer: they answer 500 with a text that
/// says the shop has a problem, and the detail goes to the log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The request is not acceptable (a notify or a return redirect that failed verification).
    BadRequest,
    /// The merchant's own mistake or system: configuration, credentials, a value that breaks a
    /// rule, the payment store.
    Merchant,
    /// 123PAY is busy or cannot be reached: try again later.
    Unavailable,
    /// 123PAY did not answer in time: try again later.
    Timeout,
    /// 123PAY refused this payment.
    Refused,
    /// 123PAY's answer could not be used.
    BadGateway,
}

impl Failure {
    /// The HTTP status: 400, 500, 503, 504 or 502.
    #[must_use]
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Merchant => 500,
            Self::Unavailable => 503,
            Self::Timeout => 504,
            Self::Refused | Self::BadGateway => 502,
        }
    }

    /// Whether trying again later may work.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Unavailable | Self::Timeout)
    }
}

/// The class of a failed call.
fn of_client(error: &ClientError) -> Failure {
    match error {
        ClientError::Transport { .. } if error.is_timeout() => Failure::Timeout,
        ClientError::Transport { .. } => Failure::Unavailable,
        ClientError::Response(e) => of_response(e),
    }
}

/// The class of an answer that could not be used.
fn of_response(error: &ResponseError) -> Failure {
    match error {
        ResponseError::Gateway { code, .. } if code.is_retryable() => Failure::Unavailable,
        ResponseError::Gateway { code, .. } if is_merchants(code) => Failure::Merchant,
        ResponseError::Gateway { .. } => Failure::Refused,
        ResponseError::Status { status, .. } if status.is_server_error() => Failure::Unavailable,
        // A gateway URL that is not 123PAY's (404), a request without its Accept header (415).
        ResponseError::Status { .. } => Failure::Merchant,
        // Signed with another key: the merchant's secret key is wrong.
        ResponseError::Checksum(_) => Failure::Merchant,
        _ => Failure::BadGateway,
    }
}

/// The codes that mean the merchant's request or configuration is wrong.
fn is_merchants(code: &ReturnCode) -> bool {
    matches!(
        code,
        ReturnCode::AuthenticationFailed
            | ReturnCode::InvalidParameter
            | ReturnCode::DuplicateTransaction
    )
}

/// The body of [`Error::to_json`].
#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    retryable: bool,
    #[serde(rename = "mTransactionID")]
    m_transaction_id: Option<&'a str>,
    #[serde(rename = "messageVi")]
    message_vi: &'a str,
    #[serde(rename = "messageEn")]
    message_en: &'a str,
}

impl Error {
    /// The class of this error: see [`Failure`].
    #[must_use]
    pub fn failure(&self) -> Failure {
        match self {
            Self::Validation(_) | Self::Store(_) => Failure::Merchant,
            Self::Response(e) => of_response(e),
            Self::Client(e) => of_client(e),
            Self::NotCreated(e) => of_client(&e.cause),
            _ => Failure::BadRequest,
        }
    }

    /// The HTTP status an app answers this error with, the same in every framework adapter: 400,
    /// 500, 503, 504 or 502 (see [`Failure`]).
    #[must_use]
    pub fn http_status(&self) -> u16 {
        self.failure().http_status()
    }

    /// Whether trying again later may work: 123PAY busy, unreachable or slow, or the payment
    /// store failing. Not for an order whose payment may exist at 123PAY
    /// ([`PaymentState::Unsure`]): the buyer must not order again.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(StoreError::Failed(_)) => true,
            Self::NotCreated(e) if e.state == PaymentState::Unsure => false,
            _ => self.failure().is_retryable(),
        }
    }

    /// A short code for logs, JSON answers and stores: 123PAY's return code when it answered
    /// with one (`5000`), else `timeout`, `transport`, `invalid_response`, `invalid_request` (a
    /// value breaks a rule), `refused` (a notify or return redirect), `store`,
    /// `duplicate_order`.
    #[must_use]
    pub fn code(&self) -> Cow<'_, str> {
        match self {
            Self::Client(e) => client_code(e),
            Self::NotCreated(e) => client_code(&e.cause),
            Self::Response(e) => response_code(e),
            Self::Validation(_) => Cow::Borrowed("invalid_request"),
            Self::Store(StoreError::Duplicate(_)) => Cow::Borrowed("duplicate_order"),
            Self::Store(_) => Cow::Borrowed("store"),
            _ => Cow::Borrowed("refused"),
        }
    }

    /// The order this error concerns, when one was recorded (a payment not created).
    #[must_use]
    pub fn m_transaction_id(&self) -> Option<&str> {
        match self {
            Self::NotCreated(e) => Some(&e.m_transaction_id),
            Self::Store(StoreError::Duplicate(id)) => Some(id),
            _ => None,
        }
    }

    /// What happened, for the buyer, in Vietnamese: what failed (123PAY's own text for its
    /// code), the code, and what to do. Never a secret, an address or a cause meant for the
    /// operator (those are in [`ErrorChain`](crate::ErrorChain)).
    #[must_use]
    pub fn vietnamese(&self) -> String {
        self.messages().0
    }

    /// The same in English.
    #[must_use]
    pub fn english(&self) -> String {
        self.messages().1
    }

    /// The plain-text body an app answers this error with: [`vietnamese`](Self::vietnamese),
    /// then [`english`](Self::english), a line each.
    #[must_use]
    pub fn response_text(&self) -> String {
        let (vi, en) = self.messages();
        format!("{vi}\n{en}\n")
    }

    /// The JSON body an app answers this error with when JSON was asked for:
    /// `{"error": code, "retryable": bool, "mTransactionID": id or null, "messageVi": ..,
    /// "messageEn": ..}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let (vi, en) = self.messages();
        let body = Body {
            error: &self.code(),
            retryable: self.is_retryable(),
            m_transaction_id: self.m_transaction_id(),
            message_vi: &vi,
            message_en: &en,
        };
        serde_json::to_string(&body).expect("a struct of strings and a bool serializes")
    }

    /// The whole answer: [`http_status`](Self::http_status), and the body as JSON when
    /// `wants_json` (see [`wants_json`](crate::wants_json)), else as text.
    #[must_use]
    pub fn to_response(&self, wants_json: bool) -> PlainResponse {
        let status = self.http_status();
        if wants_json {
            PlainResponse::with_body(
                status,
                crate::message::wire::JSON_CONTENT_TYPE,
                Bytes::from(self.to_json()),
            )
        } else {
            PlainResponse::with_body(
                status,
                "text/plain; charset=utf-8",
                Bytes::from(self.response_text()),
            )
        }
    }

    /// Logs this error as answered with `status`, with its causes: at `error` for the
    /// merchant's own mistakes (a person must fix something), at `warn` otherwise. The adapters
    /// call it for each error they answer.
    pub fn log_answered(&self, status: u16) {
        let error = crate::message::error::ErrorChain(self);
        if self.failure() == Failure::Merchant {
            tracing::error!(status, %error, "pay123 error answered");
        } else {
            tracing::warn!(status, %error, "pay123 error answered");
        }
    }

    /// The buyer's message, in Vietnamese and in English, side by side so that the two stay
    /// translations of each other.
    fn messages(&self) -> (String, String) {
        let (what_vi, what_en) = self.headline();
        let (advice_vi, advice_en): (&str, &str) = match self {
            Self::NotCreated(NotCreated {
                state: PaymentState::Unsure,
                ..
            }) => (
                "Đơn hàng đã được lưu; cửa hàng đang xác minh với 123PAY xem giao dịch đã được tạo \
                 hay chưa. Quý khách chưa bị trừ tiền; vui lòng không đặt lại đơn này: cửa hàng \
                 sẽ cập nhật trạng thái đơn hàng sau ít phút.",
                "The order is saved; the shop is checking with 123PAY whether the payment was \
                 created. You have not been charged; please do not order again: the shop will \
                 update the order's status within a few minutes.",
            ),
            _ => self.advice(),
        };
        let saved = matches!(self, Self::NotCreated(e) if e.state == PaymentState::NotCreated);
        let (saved_vi, saved_en) = if saved {
            (
                " Đơn hàng đã được lưu nhưng chưa thể thanh toán.",
                " The order is saved but cannot be paid now.",
            )
        } else {
            ("", "")
        };
        let join = |what: &str, saved: &str, advice: &str| {
            let mut text = format!("{what}.{saved}");
            if !advice.is_empty() {
                text.push(' ');
                text.push_str(advice);
            }
            text
        };
        (
            join(&what_vi, saved_vi, advice_vi),
            join(&what_en, saved_en, advice_en),
        )
    }

    /// What failed, with the code where there is one.
    fn headline(&self) -> (String, String) {
        let code = self.code();
        let gateway = match self {
            Self::Client(e) | Self::NotCreated(NotCreated { cause: e, .. }) => e.return_code(),
            Self::Response(e) => e.return_code(),
            _ => None,
        };
        let fixed = |vi: &str, en: &str| (vi.to_owned(), en.to_owned());
        match (self.failure(), gateway) {
            (Failure::BadRequest, _) => fixed("Yêu cầu không hợp lệ", "The request is not valid"),
            (Failure::Merchant, _) if matches!(self, Self::Store(StoreError::Failed(_))) => fixed(
                "Lỗi hệ thống: chưa lưu được đơn hàng",
                "System error: the order was not saved",
            ),
            (Failure::Merchant, _) => (
                format!("Cửa hàng gặp lỗi hệ thống (mã {code})"),
                format!("The shop ran into a system error (code {code})"),
            ),
            (Failure::Unavailable | Failure::Refused, Some(code)) => (
                format!("{} (mã {code})", code.vietnamese().trim_end_matches('.')),
                format!("{} (code {code})", capitalized(code.english())),
            ),
            (Failure::Timeout, _) => fixed(
                "123PAY không trả lời kịp thời",
                "123PAY did not answer in time",
            ),
            (Failure::Unavailable, None) => fixed(
                "Không kết nối được với 123PAY",
                "123PAY could not be reached",
            ),
            _ => fixed(
                "Phản hồi của 123PAY không hợp lệ",
                "123PAY's answer could not be used",
            ),
        }
    }

    /// What the buyer can do.
    fn advice(&self) -> (&'static str, &'static str) {
        match self.failure() {
            Failure::BadRequest => ("", ""),
            _ if self.is_retryable() => (
                "Vui lòng thử lại sau ít phút.",
                "Please try again in a few minutes.",
            ),
            Failure::Merchant => (
                "Vui lòng thử lại sau hoặc liên hệ cửa hàng.",
                "Please try again later or contact the shop.",
            ),
            _ => ("Vui lòng liên hệ cửa hàng.", "Please contact the shop."),
        }
    }
}

/// What failed, from a stored [`Error::code`] (a payment's `error_code`), in Vietnamese and
/// English: 123PAY's text for its codes (the merchant's own mistakes named as such), or the
/// text of `timeout`, `transport`, `invalid_response`.
pub(crate) fn headline_of_code(code: &str) -> (String, String) {
    let fixed = |vi: &str, en: &str| (vi.to_owned(), en.to_owned());
    match code {
        "timeout" => fixed(
            "123PAY không trả lời kịp thời",
            "123PAY did not answer in time",
        ),
        "transport" => fixed(
            "Không kết nối được với 123PAY",
            "123PAY could not be reached",
        ),
        "invalid_response" => fixed(
            "Phản hồi của 123PAY không hợp lệ",
            "123PAY's answer could not be used",
        ),
        _ if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => {
            let code = ReturnCode::from_code(code);
            if is_merchants(&code) {
                (
                    format!("Cửa hàng gặp lỗi hệ thống (mã {code})"),
                    format!("The shop ran into a system error (code {code})"),
                )
            } else {
                (
                    format!("{} (mã {code})", code.vietnamese().trim_end_matches('.')),
                    format!("{} (code {code})", capitalized(code.english())),
                )
            }
        }
        _ => fixed(
            "Không tạo được giao dịch",
            "The payment could not be created",
        ),
    }
}

fn client_code(error: &ClientError) -> Cow<'_, str> {
    match error {
        ClientError::Transport { .. } if error.is_timeout() => Cow::Borrowed("timeout"),
        ClientError::Transport { .. } => Cow::Borrowed("transport"),
        ClientError::Response(e) => response_code(e),
    }
}

fn response_code(error: &ResponseError) -> Cow<'_, str> {
    match error.return_code() {
        Some(code) => Cow::Borrowed(code.code()),
        None => Cow::Borrowed("invalid_response"),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether a request asked for JSON: one of its `Accept` header values names
/// `application/json` (or a `+json` type). Adapters answer errors as JSON then, as text
/// otherwise.
///
/// ```
/// use pay123_core::wants_json;
/// assert!(wants_json(["application/json"]));
/// assert!(wants_json(["text/html, application/problem+json;q=0.9"]));
/// assert!(!wants_json(["text/html,*/*"]));
/// assert!(!wants_json([]));
/// ```
pub fn wants_json<'a>(accept: impl IntoIterator<Item = &'a str>) -> bool {
    accept.into_iter().flat_map(|v| v.split(',')).any(|v| {
        let media = v.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/json")
            || (media.len() > 5
                && media.is_char_boundary(media.len() - 5)
                && media[media.len() - 5..].eq_ignore_ascii_case("+json"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Delivery;
    use crate::message::rule::{Rule, ValidationError};

    fn gateway(code: ReturnCode) -> Error {
        Error::Client(ClientError::Response(ResponseError::Gateway {
            code,
            description: "x".to_owned(),
        }))
    }

    fn transport(delivery: Delivery) -> ClientError {
        ClientError::Transport {
            delivery,
            source: "boom at 10.0.0.7".into(),
        }
    }

    #[test]
    fn each_class_has_its_status_and_retry() {
        let cases = [
            (gateway(ReturnCode::Busy), 503, true),
            (gateway(ReturnCode::BankCommunication), 503, true),
            (gateway(ReturnCode::AuthenticationFailed), 500, false),
            (gateway(ReturnCode::InvalidParameter), 500, false),
            (gateway(ReturnCode::DuplicateTransaction), 500, false),
            (gateway(ReturnCode::OverLimit), 502, false),
            (gateway(ReturnCode::BankMaintenance), 502, false),
            (Error::Client(transport(Delivery::TimedOut)), 504, true),
            (Error::Client(transport(Delivery::NotSent)), 503, true),
            (
                Error::Validation(ValidationError::new(
                    "description",
                    Rule::NotAscii { character: 'á' },
                )),
                500,
                false,
            ),
            (
                Error::Store(StoreError::Failed("database is locked".into())),
                500,
                true,
            ),
        ];
        for (error, status, retry) in cases {
            assert_eq!(error.http_status(), status, "{error:?}");
            assert_eq!(error.is_retryable(), retry, "{error:?}");
        }
    }

    #[test]
    fn the_merchants_mistake_is_never_blamed_on_the_buyer() {
        let error = gateway(ReturnCode::AuthenticationFailed);
        let text = error.response_text();
        assert!(!text.contains("Xác thực"), "{text}");
        assert!(
            text.starts_with("Cửa hàng gặp lỗi hệ thống (mã 6000)."),
            "{text}"
        );
        assert!(text.contains("The shop ran into a system error (code 6000)."));
        // The detail is the operator's.
        let refused = Error::Client(transport(Delivery::Unknown));
        assert_eq!(
            refused.response_text(),
            "Không kết nối được với 123PAY. Vui lòng thử lại sau ít phút.\n\
             123PAY could not be reached. Please try again in a few minutes.\n"
        );
        assert!(!refused.response_text().contains("10.0.0.7"));
    }

    #[test]
    fn a_payment_not_created_says_the_order_is_saved() {
        let busy = Error::NotCreated(NotCreated {
            m_transaction_id: "ORDER-1".to_owned(),
            state: PaymentState::NotCreated,
            cause: ClientError::Response(ResponseError::Gateway {
                code: ReturnCode::Busy,
                description: String::new(),
            }),
        });
        assert_eq!(
            busy.vietnamese(),
            "Hệ thống bận (mã 5000). Đơn hàng đã được lưu nhưng chưa thể thanh toán. Vui lòng \
             thử lại sau ít phút."
        );
        assert_eq!(
            busy.english(),
            "System busy (code 5000). The order is saved but cannot be paid now. Please try \
             again in a few minutes."
        );
        let unsure = Error::NotCreated(NotCreated {
            m_transaction_id: "ORDER-2".to_owned(),
            state: PaymentState::Unsure,
            cause: transport(Delivery::TimedOut),
        });
        assert!(!unsure.is_retryable());
        assert_eq!(unsure.http_status(), 504);
        assert!(unsure.english().contains("please do not order again"));
        assert!(unsure.vietnamese().contains("chưa bị trừ tiền"));
        let json: serde_json::Value = serde_json::from_str(&unsure.to_json()).unwrap();
        assert_eq!(json["error"], "timeout");
        assert_eq!(json["mTransactionID"], "ORDER-2");
        assert_eq!(json["retryable"], false);
        let answer = unsure.to_response(true);
        assert_eq!(answer.status(), 504);
        assert!(answer.content_type().starts_with("application/json"));
        assert!(
            unsure
                .to_response(false)
                .content_type()
                .starts_with("text/plain")
        );
    }
}
