//! Judging from what the sandbox saw: notify replies, queryOrder calls, their times.

use std::time::SystemTime;

use pay123_core::{NotifyReply, NotifyReturnCode, SecretKey};
use pay123_sandbox::{AttemptOutcome, EventKind, HistoryEntry, NotifyAttempt, Transaction};

use super::report::{Check, Probe};

/// A time as the report writes it (RFC 3339, UTC, milliseconds).
pub(super) fn time(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// One attempt, in a line.
pub(super) fn attempt_line(a: &NotifyAttempt) -> String {
    format!(
        "notify {}.{} at {}: HTTP {}, returnCode {}, {}{}",
        a.delivery,
        a.attempt,
        time(a.at),
        a.http_status.map_or("none".to_owned(), |h| h.to_string()),
        a.return_code
            .as_ref()
            .map_or("none", NotifyReturnCode::code),
        if a.verified {
            "verified"
        } else {
            "not verified"
        },
        a.error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    )
}

/// The queryOrder calls about the transaction the sandbox recorded (the check's sandbox keeps
/// them all: `query_events_kept`).
pub(super) fn queries(t: &Transaction) -> impl Iterator<Item = &HistoryEntry> {
    t.history.iter().filter(|e| e.kind == EventKind::Query)
}

/// The attempts of one delivery.
pub(super) fn delivery(t: &Transaction, delivery: u32) -> Vec<&NotifyAttempt> {
    t.notify_attempts
        .iter()
        .filter(|a| a.delivery == delivery)
        .collect()
}

/// The shop acknowledged delivery `n` with a valid reply (`1` or `2`, signed).
pub(super) fn acknowledged(t: &Transaction, n: u32) -> Check {
    let what = format!(
        "the notify of status {} is acknowledged (1 or 2, a reply that verifies)",
        t.status.code()
    );
    let attempts = delivery(t, n);
    match attempts
        .iter()
        .find(|a| a.outcome == AttemptOutcome::Acknowledged)
    {
        Some(a) => Check::pass(what, attempt_line(a)),
        None if attempts.is_empty() => Check::fail(what, "no notify was sent"),
        None => Check::fail(
            what,
            format!(
                "not acknowledged: {}",
                attempts
                    .iter()
                    .map(|a| attempt_line(a))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
    }
}

/// A `1` reply came only after a queryOrder, made while the notify was being answered, that
/// reported the notified status; a first `2` after one made before the reply (the shop had
/// confirmed the payment already).
pub(super) fn confirmed_before_acknowledging(t: &Transaction) -> Check {
    let what = "the shop confirmed the notify with queryOrder before acknowledging it";
    let Some(a) = t.acknowledged_attempts().next() else {
        return Check::fail(what, "no notify was acknowledged");
    };
    let reported = |e: &&HistoryEntry| e.status == t.status;
    let code = a.return_code.as_ref().map_or("", NotifyReturnCode::code);
    let ended = a.ended_at.unwrap_or(a.at);
    if code == NotifyReturnCode::Processed.code() {
        match queries(t)
            .filter(reported)
            .find(|e| e.at >= a.at && e.at <= ended)
        {
            Some(q) => Check::pass(
                what,
                format!(
                    "notify sent at {}, queryOrder at {} ({}), reply 1 at {}",
                    time(a.at),
                    time(q.at),
                    q.event,
                    time(ended)
                ),
            ),
            None => Check::fail(
                what,
                format!(
                    "the shop answered 1 at {} to the notify sent at {} without asking queryOrder \
                     in between: it trusted the notify's word (queryOrder calls seen: {})",
                    time(ended),
                    time(a.at),
                    query_times(t)
                ),
            ),
        }
    } else {
        // Confirmed before the reply: by the shop's return page, its reconciler, or the
        // listener itself (which then found the order already paid).
        match queries(t).filter(reported).find(|e| e.at <= ended) {
            Some(q) => Check::pass(
                what,
                format!(
                    "answered {code}: the shop had confirmed the status with queryOrder at {} \
                     ({}), before its reply",
                    time(q.at),
                    q.event
                ),
            ),
            None => Check::fail(
                what,
                format!(
                    "answered {code} at {}, but no queryOrder had reported status {} before: the \
                     shop took the status from somewhere 123PAY did not confirm (queryOrder calls \
                     seen: {})",
                    time(ended),
                    t.status.code(),
                    query_times(t)
                ),
            ),
        }
    }
}

fn query_times(t: &Transaction) -> String {
    let list: Vec<String> = queries(t)
        .map(|e| format!("{} status {}", time(e.at), e.status.code()))
        .collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// A queryOrder about the transaction between `from` and `to`.
pub(super) fn queried_between(
    t: &Transaction,
    from: SystemTime,
    to: SystemTime,
) -> Option<&HistoryEntry> {
    queries(t).find(|e| e.at >= from && e.at <= to)
}

/// The probe's answer, in a line.
pub(super) fn probe_line(p: &Probe) -> String {
    format!(
        "sent at {}: HTTP {}, returnCode {}{}{}",
        time(p.at),
        p.http_status.map_or("none".to_owned(), |h| h.to_string()),
        p.return_code
            .as_ref()
            .map_or("none", NotifyReturnCode::code),
        if p.verified { ", verified" } else { "" },
        p.error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    )
}

/// Whether the probe's reply acknowledges the notify (`1` or `2`).
pub(super) fn acknowledges(p: &Probe) -> bool {
    p.return_code
        .as_ref()
        .is_some_and(NotifyReturnCode::is_acknowledged)
}

/// The shop's reply `ts` against the sandbox's clock when the reply came: the largest gap seen,
/// in milliseconds (positive: the shop's clock is ahead). Only replies that verify with the
/// merchant's `key`: their `ts` is the shop's, signed.
pub(super) fn clock_skew(transactions: &[Transaction], key: &SecretKey) -> Option<i128> {
    let millis = |at: SystemTime| match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_millis()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_millis()).unwrap_or(i128::MAX),
    };
    let mut worst: Option<i128> = None;
    for a in transactions.iter().flat_map(|t| &t.notify_attempts) {
        let (Some(body), Some(ended)) = (&a.reply_body, a.ended_at) else {
            continue;
        };
        let Some(made) = NotifyReply::from_json(body.as_bytes(), key)
            .ok()
            .and_then(|r| r.made_at())
        else {
            continue;
        };
        // The reply was made between the send and the reply.
        let (ts, sent, got) = (millis(made), millis(a.at), millis(ended));
        let skew = if ts < sent {
            ts - sent
        } else if ts > got {
            ts - got
        } else {
            0
        };
        if worst.is_none_or(|w| skew.abs() > w.abs()) {
            worst = Some(skew);
        }
    }
    worst
}
