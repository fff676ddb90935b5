//! Timestamps of the protocol. The core never reads the clock: `now` is always an argument.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::message::checksum::Message;
use crate::message::error::VerifyError;
use crate::message::validate;

/// Below this a `ts` is read as seconds, from it on as milliseconds (both are seen in the field).
/// 10^11 seconds is in the year 5138; 10^11 milliseconds is in 1973.
const MILLIS_FROM: u64 = 100_000_000_000;

/// `now` as unix milliseconds.
pub(crate) fn unix_millis(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A `ts` as a point in time: seconds or milliseconds since the epoch.
pub(crate) fn ts_to_time(ts: u64) -> SystemTime {
    if ts >= MILLIS_FROM {
        UNIX_EPOCH + Duration::from_millis(ts)
    } else {
        UNIX_EPOCH + Duration::from_secs(ts)
    }
}

/// How a timestamp field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A notify's `ts`: seconds or milliseconds, both seen in the field.
    SecondsOrMillis,
    /// The return ticket's `time`: seconds only. Read as milliseconds too, the last three
    /// digits of an id could pass for the milliseconds of `time` (`T` + `123` + `ID` and
    /// `T123` + `ID` are the same signed string, and the same moment).
    Seconds,
}

/// Checks that a timestamp field lies within `window` of `now`, either side.
pub(crate) fn check_window(
    message: Message,
    field: &'static str,
    value: &str,
    now: SystemTime,
    window: Duration,
    unit: Unit,
) -> Result<(), VerifyError> {
    let ts = validate::number(field, value, 30).map_err(|error| VerifyError::Malformed {
        message,
        error,
        m_transaction_id: None,
        // Reached after the checksum verified.
        signed: true,
    })?;
    let then = match unit {
        Unit::SecondsOrMillis => ts_to_time(ts),
        Unit::Seconds => UNIX_EPOCH
            .checked_add(Duration::from_secs(ts))
            .unwrap_or(SystemTime::UNIX_EPOCH),
    };
    let distance = now
        .duration_since(then)
        .or_else(|_| then.duration_since(now))
        .unwrap_or(Duration::MAX);
    if distance <= window {
        Ok(())
    } else {
        Err(VerifyError::Expired {
            field,
            ts: value.to_owned(),
            age_seconds: distance.as_secs(),
            window_seconds: window.as_secs(),
            m_transaction_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_time_is_seconds_only() {
        let now = UNIX_EPOCH + Duration::from_secs(1_499_789_401);
        let w = Duration::from_secs(300);
        let t = |v: &str| check_window(Message::ReturnTicket, "time", v, now, w, Unit::Seconds);
        assert!(t("1499789401").is_ok());
        // The same moment in milliseconds is not a ticket's time: it would let three digits
        // move between `time` and `transactionID`.
        assert!(matches!(
            t("1499789401123"),
            Err(VerifyError::Expired { .. })
        ));
    }

    #[test]
    fn seconds_and_millis() {
        let now = UNIX_EPOCH + Duration::from_secs(1_499_789_401);
        let w = Duration::from_secs(300);
        assert!(
            check_window(
                Message::Notify,
                "ts",
                "1499789401525",
                now,
                w,
                Unit::SecondsOrMillis
            )
            .is_ok()
        );
        assert!(
            check_window(
                Message::Notify,
                "ts",
                "1499789401",
                now,
                w,
                Unit::SecondsOrMillis
            )
            .is_ok()
        );
        assert!(
            check_window(
                Message::Notify,
                "ts",
                "1499789101",
                now,
                w,
                Unit::SecondsOrMillis
            )
            .is_ok()
        );
        let e = check_window(
            Message::Notify,
            "ts",
            "1499789100",
            now,
            w,
            Unit::SecondsOrMillis,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                VerifyError::Expired {
                    age_seconds: 301,
                    ..
                }
            ),
            "{e:?}"
        );
        // Too far in the future is refused as well.
        assert!(
            check_window(
                Message::Notify,
                "ts",
                "1499789702",
                now,
                w,
                Unit::SecondsOrMillis
            )
            .is_err()
        );
        assert!(matches!(
            check_window(Message::Notify, "ts", "abc", now, w, Unit::SecondsOrMillis).unwrap_err(),
            VerifyError::Malformed { .. }
        ));
    }
}
