//! The flows of [`Payments`]: checkout, the confirmed notify, the return page. Each reads and
//! saves payments through the store, and asks 123PAY through the client, within the timer.

use std::time::{Duration, SystemTime};

use crate::client::{ClientError, HttpClient};
use crate::listener::{NotifyOutcome, NotifyRequest, PlainResponse};
use crate::merchant::error::Error;
use crate::merchant::reconcile::Left;
use crate::message::create_order::{CreateOrder, CreatedOrder};
use crate::message::error::ErrorChain;
use crate::message::notify::Notify;
use crate::message::query_order::{OrderStatus, QueryOrder};
use crate::message::ticket::{ReturnCheck, ReturnTicket};

use super::Payments;
use super::handover::HAND_OVER_RETRY;
use super::record::{Payment, PaymentState, Source};
use super::rule::{self, Decision, Kept, OnFinal};
use super::store::{NotCreated, PaymentStore, StoreError};
use super::timer::within;

/// Copies of a notify that arrive while another asks 123PAY about their payment, or within this
/// time after it asked, ask nothing themselves while the payment stays open (answered `-3`,
/// 123PAY sends them again): a burst of a thousand duplicates costs a few queryOrders, while
/// 123PAY's own retries, seconds apart, are confirmed.
pub const NOTIFY_QUERY_INTERVAL: Duration = Duration::from_secs(1);

/// How often a change is tried again on a payment that others keep changing.
const ATTEMPTS: usize = 4;

/// What asking 123PAY about an open payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Confirmed {
    /// The payment moved to this state now.
    Changed(PaymentState),
    /// The payment became paid now, and its hand-over to the app's handler is due: the caller
    /// hands it over ([`Payments::hand_over`]).
    Paid(Box<Payment>),
    /// 123PAY says pending (a new status recorded or not).
    Pending,
    /// The payment was final already: nothing changed.
    AlreadyFinal,
    /// queryOrder failed (the detail, for the log).
    QueryFailed(String),
    /// 123PAY does not know the payment (`-10`) while its session may still run: ask again
    /// after this time.
    NotYetKnown(SystemTime),
}

/// What a return page learns: the ticket, and the payment as the store holds it after the page
/// asked 123PAY (when the payment was open): see [`Payments::on_return`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Returned {
    /// The ticket of the URL: verified, invalid, or absent. Its status is only a hint.
    pub ticket: ReturnCheck,
    /// The payment the URL names, if the store has it.
    pub payment: Option<Payment>,
    /// Whether the page asked 123PAY (the payment was open, and no query for it was under way
    /// or too recent).
    pub asked: bool,
    /// Why the query failed, if it did (for the log; the payment is shown as stored).
    pub query_error: Option<String>,
    /// Which id of the payment the URL's `transactionID` matched, when the store has it.
    pub found_by: Option<FoundBy>,
}

/// Which id a return URL's `transactionID` carried: 123PAY's return may name the merchant's
/// `mTransactionID` or its own `123PAYtransactionId`, and the merchant knows both once
/// createOrder answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FoundBy {
    /// The merchant's `mTransactionID`.
    MTransactionId,
    /// 123PAY's transaction id (`123P...`), saved from createOrder's answer.
    Pay123TransactionId,
}

impl Returned {
    /// The payment's `mTransactionID`: the found payment's, else the id the URL names.
    #[must_use]
    pub fn m_transaction_id(&self) -> Option<&str> {
        match &self.payment {
            Some(payment) => Some(&payment.m_transaction_id),
            None => self.ticket.m_transaction_id(),
        }
    }

    /// What to tell the buyer, in Vietnamese: the payment's [`Payment::vietnamese`], or that
    /// there is no such order.
    #[must_use]
    pub fn vietnamese(&self) -> String {
        self.payment_or(Payment::vietnamese, "Không tìm thấy đơn hàng.")
    }

    /// The same in English.
    #[must_use]
    pub fn english(&self) -> String {
        self.payment_or(Payment::english, "No such order.")
    }

    /// The return page as plain text: [`vietnamese`](Self::vietnamese), then
    /// [`english`](Self::english), a line each, as
    /// [`Error::response_text`](crate::Error::response_text) is an error's.
    #[must_use]
    pub fn response_text(&self) -> String {
        format!("{}\n{}\n", self.vietnamese(), self.english())
    }

    /// The payment's `message`, or `no_such_order` when the store does not have it.
    fn payment_or(&self, message: fn(&Payment) -> String, no_such_order: &str) -> String {
        self.payment
            .as_ref()
            .map_or_else(|| no_such_order.to_owned(), message)
    }
}

impl<C: HttpClient, S: PaymentStore> Payments<C, S> {
    /// The payment with this `mTransactionID`, as stored.
    pub async fn load(&self, m_transaction_id: &str) -> Result<Option<Payment>, Error> {
        self.store()
            .load(m_transaction_id)
            .await
            .map_err(|e| StoreError::failed(e).into())
    }

    async fn update(&self, payment: &Payment, expected_version: u64) -> Result<bool, Error> {
        self.store()
            .update(payment, expected_version)
            .await
            .map_err(|e| StoreError::failed(e).into())
    }

    /// Saves what `decide` makes of `current`, as long as it makes something: when the payment
    /// changed meanwhile, reads it again and decides again. `Err(kept)`: nothing to save.
    pub(super) async fn change<K>(
        &self,
        mut current: Payment,
        decide: impl Fn(&Payment) -> Result<Payment, K>,
    ) -> Result<Result<Payment, K>, Error> {
        for _ in 0..ATTEMPTS {
            let next = match decide(&current) {
                Ok(next) => next,
                Err(kept) => return Ok(Err(kept)),
            };
            if self.update(&next, current.version).await? {
                return Ok(Ok(next));
            }
            current = self.load(&current.m_transaction_id).await?.ok_or_else(|| {
                StoreError::failed(format!(
                    "payment {} disappeared from the store",
                    current.m_transaction_id
                ))
            })?;
        }
        Err(StoreError::failed(format!(
            "payment {} kept changing; {ATTEMPTS} attempts to save it failed",
            current.m_transaction_id
        ))
        .into())
    }

    /// Checkout: records the payment of `order` (`creating`, so that nothing is lost if the
    /// process stops), calls createOrder within the [gateway
    /// timeout](Self::with_gateway_timeout), and stores 123PAY's answer (`pending`, with
    /// 123PAY's transaction id and page). Send the buyer to
    /// [`CreatedOrder::payment_url`] (HTTP 303).
    ///
    /// # Errors
    ///
    /// - [`Error::Store`]: the payment could not be recorded (nothing was sent to 123PAY), or
    ///   one with this `mTransactionID` exists already;
    /// - [`Error::NotCreated`]: createOrder failed. The payment stays recorded as
    ///   `not_created` with the error (123PAY refused it, or the request never left), or as
    ///   `unsure` (a timeout, a connection lost: 123PAY may have it; the reconciler finds out,
    ///   and the buyer must not pay again under another id).
    ///
    /// Either way the error carries the buyer's message and the HTTP status
    /// ([`Error::to_response`]).
    pub async fn create(&self, order: &CreateOrder) -> Result<CreatedOrder, Error> {
        let id = order.m_transaction_id();
        let now = self.now();
        let recorded = Payment::recorded(
            id,
            order.total_amount(),
            now,
            self.config.policy.first_check(now),
        );
        match self.store().insert(&recorded).await {
            Ok(true) => {}
            Ok(false) => return Err(StoreError::Duplicate(id.to_owned()).into()),
            Err(e) => {
                let error = StoreError::failed(e);
                tracing::error!(m_transaction_id = id, error = %ErrorChain(&error), "could not record the payment");
                return Err(error.into());
            }
        }
        let limit = self.config.gateway_timeout;
        let call = self.client().create_order_within(order, limit);
        let result = within(self.timer(), limit, call)
            .await
            .unwrap_or_else(|| Err(ClientError::no_answer_within(limit)));
        match result {
            Ok(created) => {
                self.store_created(recorded, &created).await;
                tracing::info!(
                    m_transaction_id = id,
                    pay123_transaction_id = created.pay123_transaction_id(),
                    amount = order.total_amount(),
                    "payment created"
                );
                Ok(created)
            }
            Err(cause) => Err(self.store_not_created(recorded, cause).await),
        }
    }

    /// Stores createOrder's answer. A failure is logged only: 123PAY has the payment and it is
    /// recorded, so the notify, the return page or the reconciler settles it.
    async fn store_created(&self, recorded: Payment, created: &CreatedOrder) {
        let id = recorded.m_transaction_id.clone();
        let saved = self
            .change(recorded, |current| {
                if current.state != PaymentState::Creating {
                    // Only a notify moves a `creating` payment; its change stands.
                    return Err(current.state);
                }
                let mut next =
                    current.moved(PaymentState::Pending, self.now(), Source::CreateOrder);
                next.pay123_transaction_id = Some(created.pay123_transaction_id().to_owned());
                next.payment_url = Some(created.payment_url().to_owned());
                next.note = Some(format!(
                    "createOrder: 123PAY created transaction {}",
                    created.pay123_transaction_id()
                ));
                Ok(next)
            })
            .await;
        match saved {
            Ok(Ok(_)) => {}
            Ok(Err(state)) => tracing::warn!(
                m_transaction_id = %id,
                %state,
                "the payment left `creating` before createOrder answered"
            ),
            Err(e) => tracing::error!(
                m_transaction_id = %id,
                error = %ErrorChain(&e),
                "could not store createOrder's answer"
            ),
        }
    }

    /// Stores why createOrder failed, and the error to answer.
    async fn store_not_created(&self, recorded: Payment, cause: ClientError) -> Error {
        let id = recorded.m_transaction_id.clone();
        let state = match Left::after_failed_create_order(&cause) {
            Some(_) => PaymentState::Unsure,
            None => PaymentState::NotCreated,
        };
        let error = Error::NotCreated(NotCreated {
            m_transaction_id: id.clone(),
            state,
            cause,
        });
        let code = error.code().into_owned();
        let detail = match &error {
            Error::NotCreated(e) => ErrorChain(&e.cause).to_string(),
            _ => String::new(),
        };
        tracing::warn!(m_transaction_id = %id, %code, %state, %detail, "createOrder failed");
        let saved = self
            .change(recorded, |current| {
                if current.state != PaymentState::Creating {
                    return Err(current.state);
                }
                let mut next = current.moved(state, self.now(), Source::CreateOrder);
                next.error_code = Some(code.clone());
                next.error_detail = Some(detail.clone());
                next.note = Some(if state == PaymentState::Unsure {
                    format!(
                        "createOrder failed ({code}); 123PAY may have created the payment: the \
                         reconciler will ask"
                    )
                } else {
                    format!("createOrder failed ({code})")
                });
                Ok(next)
            })
            .await;
        if let Err(e) = saved {
            tracing::error!(m_transaction_id = %id, error = %ErrorChain(&e), "could not store createOrder's failure");
        }
        error
    }

    /// Asks 123PAY about a payment (queryOrder) within `limit`: the answer, or why not (for the
    /// log).
    pub(super) async fn query(
        &self,
        m_transaction_id: &str,
        limit: Duration,
    ) -> Result<OrderStatus, String> {
        let query = QueryOrder::new(m_transaction_id).map_err(|e| format!("queryOrder: {e}"))?;
        let call = self.client().query_order_within(&query, limit);
        match within(self.timer(), limit, call).await {
            None => Err(format!(
                "queryOrder: no answer within {} ms",
                limit.as_millis()
            )),
            Some(result) => result.map_err(|e| format!("queryOrder: {}", ErrorChain(&e))),
        }
    }

    /// Asks 123PAY about an open payment within `limit` and saves what the answer means.
    pub(super) async fn confirm(
        &self,
        payment: Payment,
        source: Source,
        limit: Duration,
    ) -> Result<Confirmed, Error> {
        match self.query(&payment.m_transaction_id, limit).await {
            Ok(answer) => self.save_answer(payment, &answer, source).await,
            Err(detail) => Ok(Confirmed::QueryFailed(detail)),
        }
    }

    /// Saves what 123PAY's `answer` means for `payment` (the one rule: [`rule::apply`]).
    pub(super) async fn save_answer(
        &self,
        payment: Payment,
        answer: &OrderStatus,
        source: Source,
    ) -> Result<Confirmed, Error> {
        let before = payment.state;
        let saved = self
            .change(payment, |current| {
                match rule::apply(current, answer, &self.config.policy, self.now(), source) {
                    Decision::Save(mut next) => {
                        if next.is_paid() && !current.is_paid() && self.hands_over() {
                            // The hand-over is due (the caller's, under this lease); cleared
                            // once the app's handler succeeds.
                            next.next_check_at = Some(self.now() + HAND_OVER_RETRY);
                            next.check_attempts = 0;
                        }
                        Ok(*next)
                    }
                    Decision::Keep(kept) => Err(kept),
                }
            })
            .await?;
        Ok(match saved {
            Ok(next) => {
                if next.state == PaymentState::Review {
                    tracing::error!(
                        m_transaction_id = %next.m_transaction_id,
                        reason = next.note.as_deref().unwrap_or_default(),
                        "payment held for review"
                    );
                } else if next.state != before {
                    tracing::info!(
                        m_transaction_id = %next.m_transaction_id,
                        from = %before,
                        to = %next.state,
                        status = answer.status().code(),
                        source = source.as_str(),
                        "payment changed"
                    );
                }
                if next.state == before {
                    Confirmed::Pending
                } else if next.is_paid() && next.next_check_at.is_some() {
                    Confirmed::Paid(Box::new(next))
                } else {
                    Confirmed::Changed(next.state)
                }
            }
            Err(Kept::Final) => Confirmed::AlreadyFinal,
            Err(Kept::Pending) => Confirmed::Pending,
            Err(Kept::NotYetKnown(at)) => Confirmed::NotYetKnown(at),
        })
    }

    /// The answer to a request to the notify route, for a framework adapter: verified by the
    /// [listener](Self::listener) (a forged, malformed or stale notify is answered `-1` before
    /// anything is read), then [`on_notify`](Self::on_notify), then the signed reply.
    pub async fn serve_notify(&self, request: NotifyRequest<'_>) -> PlainResponse
    where
        C: 'static,
    {
        self.config
            .listener
            .serve(request, self.clone(), &confirm_notify::<C, S>)
            .await
    }

    /// A verified notify, confirmed and stored (the merchant's code runs none of this):
    ///
    /// - an unknown `mTransactionID`: `-3` ([`NotifyOutcome::RetryLater`]): nothing was updated,
    ///   so it is not acknowledged; 123PAY retries, and its records show it unprocessed;
    /// - a pending status on an open payment: recorded, never cancels it (`1`, or `2` when that
    ///   status was recorded already);
    /// - a final status (1 or a failure) on an open payment: a queryOrder confirms it, whatever
    ///   it is, and its answer is saved by the rule (paid only on status 1 with the amount). If
    ///   queryOrder fails or still says pending: `-3`, so that 123PAY sends the notify again;
    /// - a payment final already: `2` when the notify agrees, else a queryOrder decides (a paid
    ///   payment never becomes failed; a payment 123PAY confirms on a failed one goes to review,
    ///   `1`); if queryOrder fails, `-3`.
    ///
    /// All of it within the [notify budget](Self::with_notify_budget) (`-3` past it). Notifies
    /// for one payment wait for each other on this instance.
    ///
    /// # Errors
    ///
    /// The store failed ([`Error::Store`]): the listener answers `-3` and logs it.
    pub async fn on_notify(&self, notify: Notify) -> Result<NotifyOutcome, Error> {
        let budget = self.config.notify_budget;
        let id = notify.m_transaction_id();
        let start = self.now();
        let mut paid = None;
        let rule = self.notify_rule(&notify, &mut paid);
        let outcome = match within(self.timer(), budget, rule).await {
            Some(outcome) => outcome?,
            None => {
                tracing::warn!(
                    m_transaction_id = id,
                    budget_ms = budget.as_millis() as u64,
                    "the notify could not be confirmed in time; 123PAY will send it again"
                );
                NotifyOutcome::RetryLater
            }
        };
        tracing::info!(
            m_transaction_id = id,
            status = notify.status().code(),
            bank_code = notify.bank_code().code(),
            ?outcome,
            "notify handled"
        );
        // Saved paid: the notify is answered 1 whatever the app's handler does, within what is
        // left of the budget (the reconciler calls it again if it fails or is cut off).
        if let Some(payment) = paid {
            let spent = self.now().duration_since(start).unwrap_or_default();
            self.hand_over_logged(*payment, Source::Notify, budget.saturating_sub(spent))
                .await;
        }
        Ok(outcome)
    }

    async fn notify_rule(
        &self,
        notify: &Notify,
        paid: &mut Option<Box<Payment>>,
    ) -> Result<NotifyOutcome, Error> {
        let id = notify.m_transaction_id();
        let arrived = self.now();
        let turn = self.inner.locks.lock(id).await;
        let Some(payment) = self.load(id).await? else {
            tracing::warn!(m_transaction_id = id, "notify for an unknown payment");
            return Ok(NotifyOutcome::RetryLater);
        };
        let status = notify.status();
        if payment.state.is_final() {
            return self.notify_on_final(payment, notify).await;
        }
        if status.is_pending() {
            let recorded = self
                .change(payment, |current| {
                    if current.state.is_final()
                        || current.transaction_status.as_ref() == Some(status)
                    {
                        return Err(());
                    }
                    let mut next = current.next(self.now(), Source::Notify);
                    next.transaction_status = Some(status.clone());
                    if !notify.bank_code().code().is_empty() {
                        next.bank_code = Some(notify.bank_code().clone());
                    }
                    next.note = Some(format!(
                        "notify: status {}: {}",
                        status.code(),
                        status.english()
                    ));
                    Ok(next)
                })
                .await?;
            return Ok(match recorded {
                Ok(_) => NotifyOutcome::Updated,
                Err(()) => NotifyOutcome::AlreadyUpdated,
            });
        }
        // A final status, success or failure: 123PAY's queryOrder decides. When a copy of this
        // notify asked while this one waited, or moments before it arrived, and 123PAY's answer
        // left the payment open (pending, or the call failed), asking again would repeat it:
        // 123PAY sends the notify again later.
        let since = arrived
            .checked_sub(NOTIFY_QUERY_INTERVAL)
            .unwrap_or(arrived);
        if turn.asked_since(since) {
            tracing::debug!(
                m_transaction_id = id,
                "123PAY was asked about this payment moments ago; the notify is to be sent again"
            );
            return Ok(NotifyOutcome::RetryLater);
        }
        turn.asked(self.now(), NOTIFY_QUERY_INTERVAL);
        Ok(
            match self
                .confirm(payment, Source::Notify, self.config.notify_budget)
                .await?
            {
                Confirmed::Changed(state) if state.is_final() => NotifyOutcome::Updated,
                Confirmed::Paid(payment) => {
                    *paid = Some(payment);
                    NotifyOutcome::Updated
                }
                Confirmed::AlreadyFinal => NotifyOutcome::AlreadyUpdated,
                Confirmed::QueryFailed(detail) => {
                    tracing::warn!(m_transaction_id = id, %detail, "could not confirm a notify with queryOrder");
                    NotifyOutcome::RetryLater
                }
                _ => {
                    tracing::warn!(
                        m_transaction_id = id,
                        status = status.code(),
                        "the notify says final but queryOrder says pending; asking 123PAY to retry"
                    );
                    NotifyOutcome::RetryLater
                }
            },
        )
    }

    /// A notify for a payment that is final already: the final-payment rule.
    async fn notify_on_final(
        &self,
        payment: Payment,
        notify: &Notify,
    ) -> Result<NotifyOutcome, Error> {
        let id = notify.m_transaction_id();
        let status = notify.status();
        if rule::on_final(payment.state, status) == OnFinal::Agrees {
            return Ok(NotifyOutcome::AlreadyUpdated);
        }
        tracing::warn!(
            m_transaction_id = id,
            state = %payment.state,
            status = status.code(),
            "a notify contradicts a final payment; asking 123PAY"
        );
        // A replayed notify (captured and sent again within its `ts` window) must not make
        // every copy a queryOrder: one per payment per interval, as for the return page.
        let interval = self.config.return_query_interval;
        let _turn = match self.inner.returns.turn(id, interval, true, self.now()) {
            Ok(turn) => turn,
            Err(skipped) => {
                tracing::warn!(
                    m_transaction_id = id,
                    ?skipped,
                    "123PAY was asked about this payment moments ago; the notify is to be sent again"
                );
                return Ok(NotifyOutcome::RetryLater);
            }
        };
        let answer = match self.query(id, self.config.notify_budget).await {
            Ok(answer) => answer,
            Err(detail) => {
                tracing::warn!(m_transaction_id = id, %detail, "could not check a contradicting notify");
                return Ok(NotifyOutcome::RetryLater);
            }
        };
        let saved = self
            .change(payment, |current| {
                rule::contradicted(current, status, &answer, self.now()).ok_or(())
            })
            .await?;
        Ok(match saved {
            Ok(next) if next.state == PaymentState::Review => {
                tracing::error!(
                    m_transaction_id = id,
                    note = next.note.as_deref().unwrap_or_default(),
                    "payment held for review"
                );
                NotifyOutcome::Updated
            }
            Ok(next) => {
                tracing::error!(
                    m_transaction_id = id,
                    note = next.note.as_deref().unwrap_or_default(),
                    "check this payment"
                );
                NotifyOutcome::AlreadyUpdated
            }
            Err(()) => NotifyOutcome::AlreadyUpdated,
        })
    }

    /// The return page (`GET /return?transactionID=..&time=..&status=..&ticket=..`).
    ///
    /// The ticket is verified when present; either way the status on the URL is only a hint.
    /// The payment is found by the ticket's `transactionID` (or, when the ticket is missing,
    /// wrong or expired, by the claimed one: only the store and 123PAY are believed). A
    /// `pending` or `unsure` payment is confirmed with a queryOrder (the specification's step 9)
    /// and the answer saved by the notify's rule, unless a query for it is under way or was made
    /// less than [`with_return_query_interval`](Self::with_return_query_interval) ago, or too
    /// many are under way. Any other payment is shown as stored: a final one has nothing to
    /// ask, a `not_created` one does not exist at 123PAY, and a `creating` one waits for
    /// createOrder's answer (123PAY's "not found" would fail a payment the buyer is about to
    /// make).
    ///
    /// # Errors
    ///
    /// The store failed ([`Error::Store`]). A failed queryOrder is not an error: the payment is
    /// shown as stored, and [`Returned::query_error`] says why.
    pub async fn on_return(&self, query: &str) -> Result<Returned, Error> {
        let now = self.now();
        let ticket = ReturnTicket::check(query, self.client().credentials().secret_key(), now);
        let mut returned = Returned {
            payment: None,
            asked: false,
            query_error: None,
            found_by: None,
            ticket,
        };
        let Some(named) = returned.ticket.m_transaction_id().map(str::to_owned) else {
            return Ok(returned);
        };
        let verified = returned.ticket.is_verified();
        let Some((payment, found_by)) = self.load_returned(&named, verified).await? else {
            return Ok(returned);
        };
        returned.found_by = Some(found_by);
        let id = payment.m_transaction_id.clone();
        if !matches!(payment.state, PaymentState::Pending | PaymentState::Unsure) {
            returned.payment = Some(payment);
            return Ok(returned);
        }
        let interval = self.config.return_query_interval;
        match self.inner.returns.turn(&id, interval, verified, now) {
            Ok(_turn) => {
                returned.asked = true;
                let limit = self.config.gateway_timeout;
                match self.confirm(payment, Source::Return, limit).await? {
                    Confirmed::QueryFailed(detail) => {
                        tracing::warn!(m_transaction_id = %id, %detail, "queryOrder failed on return");
                        returned.query_error = Some(detail);
                    }
                    Confirmed::Paid(payment) => {
                        self.hand_over_logged(*payment, Source::Return, limit).await;
                    }
                    _ => {}
                }
                returned.payment = self.load(&id).await?;
            }
            Err(skipped) => {
                tracing::debug!(m_transaction_id = %id, ?skipped, "return page shown without asking 123PAY");
                returned.payment = Some(payment);
            }
        }
        Ok(returned)
    }
}

impl<C: HttpClient, S: PaymentStore> Payments<C, S> {
    /// The payment a return URL's `transactionID` names: by the merchant's id first, then, for
    /// an id of 123PAY's form and a verified ticket only, by 123PAY's. 123PAY's ids count up
    /// (`123P` + the date + a sequence): a buyer who knows theirs could step to the next ones,
    /// while the merchant's ids are its own to make unguessable.
    async fn load_returned(
        &self,
        named: &str,
        verified: bool,
    ) -> Result<Option<(Payment, FoundBy)>, Error> {
        if let Some(payment) = self.load(named).await? {
            return Ok(Some((payment, FoundBy::MTransactionId)));
        }
        if !verified
            || crate::message::validate::pay123_transaction_id("transactionID", named).is_err()
        {
            return Ok(None);
        }
        let found = self
            .store()
            .load_by_pay123_transaction_id(named)
            .await
            .map_err(|e| Error::from(StoreError::failed(e)))?;
        if let Some(payment) = &found {
            tracing::debug!(
                pay123_transaction_id = named,
                m_transaction_id = %payment.m_transaction_id,
                "the return URL named 123PAY's transaction id"
            );
        }
        Ok(found.map(|payment| (payment, FoundBy::Pay123TransactionId)))
    }
}

/// The confirmed door's notify handler: [`Payments::on_notify`], its error logged with its
/// causes.
async fn confirm_notify<C: HttpClient, S: PaymentStore>(
    notify: Notify,
    payments: Payments<C, S>,
) -> Result<NotifyOutcome, String> {
    payments
        .on_notify(notify)
        .await
        .map_err(|e| ErrorChain(&e).to_string())
}
