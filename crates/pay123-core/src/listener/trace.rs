//! The `tracing` span and events of a notify, the same in every adapter. The secret key is never
//! recorded: only the notify's fields, the outcome, the reply code and errors.
//!
//! One `info` span `pay123.notify` per request, with the fields `method`, `mTransactionID`,
//! `status`, `outcome`, `returnCode` and `error`, and one event when it is answered. The span of
//! a verified notify is opened once it is verified, with its fields: each `record` costs a
//! subscriber such as `tracing_subscriber::fmt` a lookup and a formatting of its own.

use tracing::Span;
use tracing::field::Empty;

use super::{BodyRefusal, Handled};
use crate::message::notify::Notify;

/// The `pay123.notify` span with its one list of fields: `method`, `mTransactionID` and
/// `status` as given (a value, or `Empty` to record later), the rest recorded when answered.
macro_rules! notify_span {
    ($method:expr, $id:expr, $status:expr) => {
        tracing::info_span!(
            "pay123.notify",
            method = $method,
            "mTransactionID" = $id,
            status = $status,
            outcome = Empty,
            "returnCode" = Empty,
            error = Empty,
        )
    };
}

/// The span of a refused request; its fields are filled in as they become known.
pub(crate) fn span(method: &str) -> Span {
    notify_span!(method, Empty, Empty)
}

/// The span of a verified notify, with its order and status, before the merchant's code runs.
pub(crate) fn verified(method: &str, notify: &Notify) -> Span {
    notify_span!(method, notify.m_transaction_id(), notify.status().code())
}

/// Records what was answered, and says it in one event. A verified notify's fields were
/// recorded by [`verified`] already.
pub(crate) fn answered(span: &Span, handled: &Handled) {
    match &handled.notify {
        Ok(_) => {}
        Err(error) => {
            if let Some(id) = error.claimed_m_transaction_id() {
                span.record("mTransactionID", id);
            }
            span.record("error", tracing::field::display(error));
        }
    }
    if let Some(reply) = &handled.reply {
        span.record("returnCode", reply.return_code().code());
    }
    if let Some(outcome) = handled.outcome {
        span.record("outcome", tracing::field::debug(outcome));
    }
    if let Some(error) = &handled.handler_error {
        span.record("error", error.as_str());
    }
    let _entered = span.enter();
    let code = handled.reply.as_ref().map(|r| r.return_code().code());
    let id = handled.notify.as_ref().ok().map(Notify::m_transaction_id);
    match (&handled.notify, handled.panicked, &handled.handler_error) {
        (
            Err(
                error @ crate::VerifyError::Malformed {
                    signed: true,
                    error: rule,
                    ..
                },
            ),
            _,
            _,
        ) => tracing::warn!(
            %error,
            field = rule.field,
            claimed_m_transaction_id = error.claimed_m_transaction_id(),
            http_status = handled.response.status(),
            "notify refused although its checksum verifies: 123PAY's, in a form this version \
             does not read (123PAY will retry, then give up; the reconciler still finds the \
             payment), or cut out of another message signed with the key"
        ),
        (Err(error), _, _) => tracing::warn!(
            %error,
            claimed_m_transaction_id = error.claimed_m_transaction_id(),
            http_status = handled.response.status(),
            "notify refused"
        ),
        (Ok(_), true, _) => tracing::error!(
            m_transaction_id = id,
            code,
            "the notify handler panicked; answered -3"
        ),
        (Ok(_), false, Some(error)) => tracing::error!(
            m_transaction_id = id,
            code,
            %error,
            "the notify handler failed; answered -3, 123PAY will retry"
        ),
        (Ok(_), false, None) if handled.outcome == Some(super::NotifyOutcome::RetryLater) => {
            tracing::warn!(
                m_transaction_id = id,
                code,
                "the notify handler could not update the order; answered -3, 123PAY will retry"
            );
        }
        // The span holds them too, but a subscriber that records events only (a `log` bridge,
        // an OpenTelemetry log appender) must still see which order and which answer.
        (Ok(_), false, None) => tracing::info!(m_transaction_id = id, code, "notify answered"),
    }
}

/// Says that a notify body was refused before it could be verified.
pub(crate) fn body_refused(span: &Span, refusal: &BodyRefusal) {
    span.record("error", tracing::field::display(refusal));
    let _entered = span.enter();
    tracing::warn!(error = %refusal, "notify body refused");
}
