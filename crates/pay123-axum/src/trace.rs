//! The `tracing` span and events of a notify. The secret key is never recorded: only the
//! notify's fields, the outcome and the reply code.

use pay123_core::{Handled, Notify};
use tracing::Span;
use tracing::field::Empty;

/// The span of one notify; its fields are filled in as they become known.
pub(crate) fn span(method: &http::Method) -> Span {
    tracing::info_span!(
        "pay123.notify",
        method = %method,
        "mTransactionID" = Empty,
        status = Empty,
        outcome = Empty,
        "returnCode" = Empty,
    )
}

/// Records a verified notify, before the merchant's code runs.
pub(crate) fn verified(span: &Span, notify: &Notify) {
    span.record("mTransactionID", notify.m_transaction_id());
    span.record("status", notify.status().code());
}

/// Records what was answered, and says it in an event.
pub(crate) fn answered(span: &Span, handled: &Handled) {
    if let Ok(notify) = &handled.notify {
        verified(span, notify);
    }
    if let Some(reply) = &handled.reply {
        span.record("mTransactionID", reply.m_transaction_id());
        span.record("returnCode", reply.return_code().code());
    }
    if let Some(outcome) = handled.outcome {
        span.record("outcome", tracing::field::debug(outcome));
    }
    let _entered = span.enter();
    let code = handled.reply.as_ref().map(|r| r.return_code().code());
    match (&handled.notify, handled.panicked) {
        (Err(error), _) => tracing::warn!(
            %error,
            http_status = handled.response.status().as_u16(),
            "notify refused"
        ),
        (Ok(_), true) => tracing::error!(code, "the notify handler panicked; answered -3"),
        (Ok(_), false) if handled.outcome == Some(pay123_core::NotifyOutcome::Failed) => {
            tracing::warn!(
                code,
                "the notify handler failed; answered -3, 123PAY will retry"
            );
        }
        (Ok(_), false) => tracing::info!(code, "notify answered"),
    }
}

/// Says that a notify body was refused before the core saw it (too large, unreadable).
pub(crate) fn body_refused(span: &Span, rejection: &crate::NotifyRejection) {
    let _entered = span.enter();
    tracing::warn!(error = %rejection, "notify body refused");
}
