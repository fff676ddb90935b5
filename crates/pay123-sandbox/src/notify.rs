//! Notify delivery: on every final status, a signed form POST to the merchant's listener; the
//! reply is verified; on an HTTP error, a timeout, an invalid reply or any code but `1` and `2`
//! it is sent again after a backoff that doubles, up to the configured number of retries.
//! Every attempt is recorded on the transaction.

use pay123_core::text::unaccent;
use pay123_core::{Notify, NotifyReply, NotifyReturnCode};

use crate::gateway::{Gateway, Key};
use crate::transaction::{AttemptOutcome, NotifyAttempt};

/// What one attempt got back.
struct Reply {
    http_status: Option<u16>,
    body: Option<String>,
    return_code: Option<NotifyReturnCode>,
    verified: bool,
    error: Option<String>,
}

impl Reply {
    fn acknowledged(&self) -> bool {
        self.verified
            && self
                .return_code
                .as_ref()
                .is_some_and(NotifyReturnCode::is_acknowledged)
    }
}

/// How a delivery starts.
enum Start {
    Send { delivery: u32, generation: u64 },
    Skip(NotifyAttempt),
    Gone,
}

impl Gateway {
    /// Starts delivering the notify of the transaction's current (final) status.
    pub(crate) fn spawn_delivery(&self, key: Key) {
        let gateway = self.clone();
        let mut stop = self.inner.stop.subscribe();
        self.inner.runtime.spawn(async move {
            tokio::select! {
                () = gateway.deliver(&key) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }

    async fn deliver(&self, key: &Key) {
        let config = &self.inner.config;
        let url = self.merchant(&key.0).and_then(|m| m.notify_url.clone());
        let now = self.now();
        let dropped = {
            let mut global = self.global();
            if global.drop_next > 0 {
                global.drop_next -= 1;
                true
            } else {
                config.faults.drop_notify_rate > 0.0
                    && rand::random_bool(config.faults.drop_notify_rate)
            }
        };
        let generation = self
            .inner
            .generation
            .load(std::sync::atomic::Ordering::Relaxed);
        let start = self.with_record(key, |record, fx| {
            let Some(record) = record else {
                return Start::Gone;
            };
            record.deliveries += 1;
            let delivery = record.deliveries;
            let skipped = |outcome, error: &str| NotifyAttempt {
                delivery,
                attempt: 0,
                at: now,
                url: url.as_ref().map(ToString::to_string).unwrap_or_default(),
                status: record.status().clone(),
                request_body: String::new(),
                ended_at: None,
                http_status: None,
                reply_body: None,
                return_code: None,
                verified: false,
                error: Some(error.to_owned()),
                outcome,
            };
            let start = if url.is_none() {
                Start::Skip(skipped(
                    AttemptOutcome::NoNotifyUrl,
                    "the merchant has no notify URL",
                ))
            } else if dropped {
                Start::Skip(skipped(
                    AttemptOutcome::Dropped,
                    "dropped on purpose: this notify is never sent",
                ))
            } else {
                // Counted as running since it was scheduled.
                Start::Send {
                    delivery,
                    generation,
                }
            };
            if let Start::Skip(attempt) = &start {
                record.push_attempt(attempt.clone());
                record.deliveries_running = record.deliveries_running.saturating_sub(1);
            }
            fx.changed();
            start
        });
        let (delivery, generation) = match start {
            Start::Send {
                delivery,
                generation,
            } => (delivery, generation),
            Start::Skip(attempt) => {
                tracing::warn!(
                    merchant = %key.0,
                    m_transaction_id = %key.1,
                    status = %attempt.status,
                    outcome = ?attempt.outcome,
                    "notify not sent"
                );
                return;
            }
            Start::Gone => return,
        };
        let Some(url) = url else { return };
        let Some(merchant) = self.merchant(&key.0) else {
            return;
        };
        let key_secret = merchant.credentials.secret_key();
        let attempts = config.notify_retries.saturating_add(1);
        let mut backoff = config.notify_backoff;
        for attempt in 1..=attempts {
            let now = self.now();
            // The status and the bank are read again for each attempt, and `ts` is fresh.
            let current = self
                .inner
                .generation
                .load(std::sync::atomic::Ordering::Relaxed);
            let notify = self.with_record(key, |record, _| match record {
                Some(r) if r.generation == generation && current == generation => {
                    Some(Notify::new(
                        key.1.to_string(),
                        r.bank_used().clone(),
                        r.status().clone(),
                        unaccent(r.status().vietnamese()),
                        now,
                    ))
                }
                _ => None,
            });
            let Some(notify) = notify else { return };
            let notify = match notify {
                Ok(notify) => notify,
                Err(e) => {
                    tracing::error!(m_transaction_id = %key.1, error = %e, "cannot build the notify");
                    self.finish_delivery(key, generation);
                    return;
                }
            };
            let request = notify.to_http_request(&url, key_secret);
            let request_body = String::from_utf8_lossy(request.body()).into_owned();
            let reply = self.send_once(request, &notify, key_secret).await;
            let ended_at = self.now();
            let last = attempt == attempts;
            let outcome = if reply.acknowledged() {
                AttemptOutcome::Acknowledged
            } else if last {
                AttemptOutcome::GaveUp
            } else {
                AttemptOutcome::Retrying
            };
            tracing::info!(
                merchant = %key.0,
                m_transaction_id = %key.1,
                status = %notify.status(),
                url = %url,
                delivery,
                attempt,
                http_status = reply.http_status,
                return_code = reply.return_code.as_ref().map(NotifyReturnCode::code),
                verified = reply.verified,
                error = reply.error.as_deref(),
                outcome = ?outcome,
                "notify attempt"
            );
            let record_attempt = NotifyAttempt {
                delivery,
                attempt,
                at: now,
                url: url.to_string(),
                status: notify.status().clone(),
                request_body,
                ended_at: Some(ended_at),
                http_status: reply.http_status,
                reply_body: reply.body,
                return_code: reply.return_code,
                verified: reply.verified,
                error: reply.error,
                outcome,
            };
            let still_there = self.with_record(key, |record, fx| match record {
                Some(r) if r.generation == generation => {
                    r.push_attempt(record_attempt);
                    if outcome != AttemptOutcome::Retrying {
                        r.deliveries_running = r.deliveries_running.saturating_sub(1);
                    }
                    fx.changed();
                    true
                }
                _ => false,
            });
            if !still_there || outcome != AttemptOutcome::Retrying {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }

    fn finish_delivery(&self, key: &Key, generation: u64) {
        self.with_record(key, |record, fx| {
            if let Some(r) = record
                && r.generation == generation
            {
                r.deliveries_running = r.deliveries_running.saturating_sub(1);
                fx.changed();
            }
        });
    }

    /// One POST and the verification of its reply (signed, and about the notified order).
    async fn send_once(
        &self,
        request: http::Request<bytes::Bytes>,
        notify: &Notify,
        key: &pay123_core::SecretKey,
    ) -> Reply {
        let response = match self.inner.client.send(request).await {
            Ok(response) => response,
            Err(e) => {
                return Reply {
                    http_status: None,
                    body: None,
                    return_code: None,
                    verified: false,
                    error: Some(e.to_string()),
                };
            }
        };
        let body: String = String::from_utf8_lossy(response.body())
            .chars()
            .take(2000)
            .collect();
        let http_status = Some(response.status().as_u16());
        if !response.status().is_success() {
            return Reply {
                http_status,
                body: Some(body),
                return_code: None,
                verified: false,
                error: Some(format!("HTTP status {}", response.status())),
            };
        }
        let window = pay123_core::DEFAULT_WINDOW;
        match NotifyReply::from_json_for(response.body(), notify, key, self.now(), window) {
            Ok(reply) => {
                let code = reply.return_code().clone();
                let error = (!code.is_acknowledged())
                    .then(|| format!("the merchant answered {} ({})", code.code(), code.english()));
                Reply {
                    http_status,
                    body: Some(body),
                    return_code: Some(code),
                    verified: true,
                    error,
                }
            }
            Err(e) => Reply {
                http_status,
                body: Some(body),
                return_code: None,
                verified: false,
                error: Some(format!("invalid reply: {e}")),
            },
        }
    }
}
