//! The payment flow: createOrder and queryOrder, and the bank pages the buyer goes through.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use pay123_core::text::unaccent;
use pay123_core::{
    BankCode, CreateOrder, CreatedOrder, OrderStatus, ReturnCode, ReturnTicket, TransactionStatus,
};

use crate::cards::{self, CardCheck, Debit, MAX_ATTEMPTS};
use crate::transaction::{EventKind, Step};

use super::*;

/// The specification's FAQ 8: Visa and Master cards cannot be paid in the test environment;
/// a merchant tests with an ATM card, and 123PAY makes international cards work in production.
const CREDIT_CARD_UNTESTABLE: &str = "Hiện tại ở môi trường test không test được các thẻ Credit \
     (Visa, Master). Vui lòng thanh toán bằng thẻ ATM hoặc hủy giao dịch. (International cards \
     cannot be paid in the test environment, as 123PAY's FAQ 8 says: pay with an ATM card's \
     bank, or cancel.)";

/// What a bank page request leads to.
#[derive(Debug)]
pub(crate) enum PageOutcome {
    /// Show the current step, with a message when the input was refused.
    Show(Box<PageView>),
    /// 303 to this URL: the next step, or the merchant.
    Redirect(String),
    /// No such session.
    NotFound,
}

/// Everything a bank page shows.
#[derive(Debug, Clone)]
pub(crate) struct PageView {
    pub(crate) step: Step,
    pub(crate) token: String,
    pub(crate) merchant_code: String,
    pub(crate) m_transaction_id: String,
    pub(crate) transaction_id: String,
    pub(crate) amount: u64,
    pub(crate) description: String,
    pub(crate) bank: BankCode,
    pub(crate) message: Option<String>,
    pub(crate) attempts_left: u32,
    pub(crate) card_holder: String,
    pub(crate) card_number: String,
    pub(crate) issue_date: String,
}

/// The card form, as posted.
#[derive(Debug, Clone, Default)]
pub(crate) struct CardForm {
    pub(crate) card_holder: String,
    pub(crate) card_number: String,
    pub(crate) issue_date: String,
}

impl Gateway {
    // ---- createOrder and queryOrder -------------------------------------------------------

    /// Records a new transaction, or answers `6206` for a reused `mTransactionID`.
    pub(crate) fn create(
        &self,
        merchant_code: &str,
        order: &CreateOrder,
    ) -> Result<CreatedOrder, ReturnCode> {
        let now = self.now();
        let session_timeout = self.inner.config.session_timeout;
        let merchant: Arc<str> = self
            .merchant(merchant_code)
            .map_or_else(|| merchant_code.into(), |m| m.code.clone());
        let key: Key = (merchant, order.m_transaction_id().into());
        let index = shard_of(&key);
        let bank = order.bank_code();
        let step = if bank == BankCode::Pay123 {
            Step::ChooseBank
        } else {
            Step::Card
        };
        let mut effects = Effects::default();
        let created = {
            let mut shard = self.shard(index);
            if shard.position(&key).is_some() {
                return Err(ReturnCode::DuplicateTransaction);
            }
            let sequence = self.inner.sequence.fetch_add(1, Ordering::Relaxed) + 1;
            let mut token = Token::new(index);
            while shard.contains_token(&token) {
                token = Token::new(index);
            }
            effects.changed();
            let record = Box::new(Record {
                key: key.clone(),
                generation: self.inner.generation.load(Ordering::Relaxed),
                sequence,
                order: Order::new(order),
                token,
                status: Status::of(&TransactionStatus::New),
                step,
                bank_used: Bank::of(&bank),
                created_at: now,
                session_ms: u32::try_from(session_timeout.as_millis()).unwrap_or(u32::MAX),
                progress: None,
                history: Vec::new(),
                deliveries: 0,
                deliveries_running: 0,
                queries: 0,
            });
            let created = CreatedOrder::new(record.transaction_id(), self.page_url(token.as_str()));
            shard.insert(record);
            created
        };
        self.apply(effects);
        Ok(created)
    }

    /// The status answered to a queryOrder: `-10` for an unknown `mTransactionID`. The first
    /// [`Config::query_events_kept`](crate::Config::query_events_kept) calls about a
    /// transaction are events of its history.
    pub(crate) fn query(&self, merchant_code: &str, m_transaction_id: &str) -> OrderStatus {
        let now = self.now();
        self.inner.query_calls.fetch_add(1, Ordering::Relaxed);
        let key: Key = (merchant_code.into(), m_transaction_id.into());
        self.with_record(&key, |record, fx| {
            match record {
                Some(record) => {
                    record.queries += 1;
                    record.expire_due(now, fx);
                    let reported = record.reported_total_amount();
                    let total_amount = reported.unwrap_or(record.order.total_amount);
                    // What the bank charged is the reported amount once paid.
                    let op_amount = match record.op_amount() {
                        0 => 0,
                        charged => reported.unwrap_or(charged),
                    };
                    // The first calls are on the transaction's timeline; after them, the
                    // count only (a shop polling every second must not grow the record).
                    if record.queries <= self.inner.config.query_events_kept {
                        let status = record.status();
                        let event = format!(
                            "queryOrder answered: status {} ({}), totalAmount {total_amount}, \
                             opAmount {op_amount}",
                            status.code(),
                            status.english()
                        );
                        record.event_of(EventKind::Query, now, event, fx);
                    }
                    OrderStatus::new(
                        record.transaction_id(),
                        record.status().clone(),
                        total_amount.to_string(),
                        op_amount.to_string(),
                        record.bank_used().clone(),
                    )
                    .with_description(unaccent(record.status().vietnamese()))
                }
                None => OrderStatus::not_found(),
            }
        })
    }

    // ---- the bank pages -------------------------------------------------------------------

    /// Runs `f` on the session's record, after ending it if it is due; `None` for an unknown
    /// session.
    pub(super) fn with_session<R>(
        &self,
        token: &str,
        f: impl FnOnce(&Self, &mut Record, SystemTime, &mut Effects) -> R,
    ) -> Option<R> {
        let now = self.now();
        let token = Token::parse(token)?;
        let mut effects = Effects::default();
        let result = {
            let mut shard = self.shard(token.shard());
            let position = shard.token_position(&token)?;
            Some(shard.update(position, |record| {
                record.expire_due(now, &mut effects);
                f(self, record, now, &mut effects)
            }))
        };
        self.apply(effects);
        result
    }

    /// The current step's page, or the way back to the merchant once the payment has ended.
    pub(crate) fn show(&self, token: &str) -> PageOutcome {
        self.with_session(token, |gw, record, now, fx| match record.step {
            Step::Card if *record.bank_used() == BankCode::CreditCard => PageOutcome::Show(
                Box::new(gw.view(record, Some(CREDIT_CARD_UNTESTABLE.to_owned()))),
            ),
            Step::ChooseBank | Step::Card | Step::Otp => {
                PageOutcome::Show(Box::new(gw.view(record, None)))
            }
            _ => PageOutcome::Redirect(gw.return_url(record, now, fx)),
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The cancel button, on any page.
    pub(crate) fn cancel(&self, token: &str) -> PageOutcome {
        self.with_session(token, |gw, record, now, fx| {
            if record.in_session() {
                record.finish(
                    TransactionStatus::Cancelled,
                    now,
                    "the buyer pressed cancel",
                    fx,
                );
                PageOutcome::Redirect(gw.return_url(record, now, fx))
            } else {
                PageOutcome::Redirect(gw.page_url(record.token.as_str()))
            }
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The bank choice form.
    pub(crate) fn choose_bank(&self, token: &str, bank_code: &str) -> PageOutcome {
        let maintenance = &self.inner.config.banks_under_maintenance;
        self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::ChooseBank {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            // What the buyer's browser sent is echoed in the page and the history: at most
            // 40 characters of it.
            let bank_code: String = bank_code.chars().take(40).collect();
            let bank_code = bank_code.as_str();
            let bank = BankCode::from_code(bank_code.trim());
            let refused = if bank_code.trim().is_empty() {
                Some("Vui lòng chọn ngân hàng. (Please choose a bank.)".to_owned())
            } else if !gw.inner.config.pays_through(&bank) {
                Some(format!(
                    "Ngân hàng không hợp lệ: {bank_code}. (Unknown bank.)"
                ))
            } else if maintenance.contains(&bank) {
                Some(format!(
                    "{} đang bảo trì, vui lòng chọn ngân hàng khác. ({} is under maintenance.)",
                    bank.name(),
                    bank.name()
                ))
            } else {
                None
            };
            if let Some(message) = refused {
                record.event(now, format!("bank choice refused: {bank_code:?}"), fx);
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            record.event(now, format!("bank chosen: {bank}"), fx);
            record.bank_used = Bank::of(&bank);
            record.step = Step::Card;
            PageOutcome::Redirect(gw.page_url(record.token.as_str()))
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The card form: checked at once for empty or malformed fields, then by the bank (after
    /// the configured latency, with the status at `10` meanwhile).
    pub(crate) async fn submit_card(&self, token: &str, form: &CardForm) -> PageOutcome {
        let checked = self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::Card {
                return Err(PageOutcome::Redirect(gw.page_url(record.token.as_str())));
            }
            if *record.bank_used() == BankCode::CreditCard {
                // FAQ 8: international cards cannot be paid in 123PAY's test environment.
                record.event(
                    now,
                    "card form sent for 123PCC: not payable in the sandbox",
                    fx,
                );
                return Err(PageOutcome::Show(Box::new(gw.form_view(
                    record,
                    CREDIT_CARD_UNTESTABLE,
                    form,
                ))));
            }
            let fields = [&form.card_holder, &form.card_number, &form.issue_date];
            if fields.iter().any(|f| f.trim().is_empty()) {
                record.event(now, "card form sent with empty fields", fx);
                let message = "Vui lòng nhập đầy đủ thông tin thẻ. (Please fill in every field.)";
                return Err(PageOutcome::Show(Box::new(
                    gw.form_view(record, message, form),
                )));
            }
            if !cards::valid_issue_date(&form.issue_date) {
                record.event(now, "card form sent with a malformed issue date", fx);
                let message = "Ngày phát hành không hợp lệ, vui lòng nhập theo dạng MM/YY. \
                               (Issue date: MM/YY.)";
                return Err(PageOutcome::Show(Box::new(
                    gw.form_view(record, message, form),
                )));
            }
            record.set_status(
                TransactionStatus::CheckingAccount,
                now,
                "card details entered; the bank is checking them",
                fx,
            );
            Ok((
                record.sequence,
                cards::check_card(&form.card_holder, &form.card_number),
            ))
        });
        let (sequence, check) = match checked {
            None => return PageOutcome::NotFound,
            Some(Err(answer)) => return answer,
            Some(Ok(checked)) => checked,
        };
        self.bank_latency().await;
        self.with_session(token, |gw, record, now, fx| {
            if record.sequence != sequence
                || record.step != Step::Card
                || record.status() != TransactionStatus::CheckingAccount
            {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            match check {
                CardCheck::Accepted(debit) => {
                    let progress = record.progress();
                    progress.debit = Some(debit);
                    progress.otp_sent_at = Some(now);
                    progress.last_error = None;
                    record.step = Step::Otp;
                    record.set_status(
                        TransactionStatus::AwaitingOtp,
                        now,
                        "card accepted; OTP sent",
                        fx,
                    );
                    PageOutcome::Redirect(gw.page_url(record.token.as_str()))
                }
                CardCheck::Refused(status) => {
                    let event = format!("the bank refused the card: {}", status.english());
                    record.finish(status, now, event, fx);
                    PageOutcome::Redirect(gw.return_url(record, now, fx))
                }
                CardCheck::Wrong(status) => {
                    let Some(left) = record.wrong_attempt(status.clone(), now, fx) else {
                        return PageOutcome::Redirect(gw.return_url(record, now, fx));
                    };
                    record.event(
                        now,
                        format!(
                            "wrong card details ({}); {}",
                            status.english(),
                            attempts_left(left)
                        ),
                        fx,
                    );
                    let message = format!(
                        "{}. Bạn còn {left} lần nhập. ({}; {}.)",
                        status.vietnamese().trim_end_matches('.'),
                        status.english(),
                        attempts_left(left)
                    );
                    PageOutcome::Show(Box::new(gw.form_view(record, &message, form)))
                }
            }
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The OTP form.
    pub(crate) async fn submit_otp(&self, token: &str, otp: &str) -> PageOutcome {
        let otp = otp.trim();
        let expiry = self.inner.config.otp_expiry;
        let checking = self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::Otp {
                return Err(PageOutcome::Redirect(gw.page_url(record.token.as_str())));
            }
            if otp.is_empty() {
                record.finish(TransactionStatus::NoOtp, now, "no OTP entered", fx);
                return Err(PageOutcome::Redirect(gw.return_url(record, now, fx)));
            }
            let sent = record
                .progress
                .as_ref()
                .and_then(|p| p.otp_sent_at)
                .unwrap_or(record.created_at);
            if now.duration_since(sent).unwrap_or_default() > expiry {
                record.finish(
                    TransactionStatus::OtpExpired,
                    now,
                    "the OTP had expired",
                    fx,
                );
                return Err(PageOutcome::Redirect(gw.return_url(record, now, fx)));
            }
            record.event(now, "OTP entered; the bank is checking it", fx);
            Ok(record.sequence)
        });
        let sequence = match checking {
            None => return PageOutcome::NotFound,
            Some(Err(answer)) => return answer,
            Some(Ok(sequence)) => sequence,
        };
        self.bank_latency().await;
        self.with_session(token, |gw, record, now, fx| {
            if record.sequence != sequence || record.step != Step::Otp {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            if otp != cards::TEST_OTP {
                let Some(left) = record.wrong_attempt(TransactionStatus::WrongOtp, now, fx) else {
                    return PageOutcome::Redirect(gw.return_url(record, now, fx));
                };
                record.event(now, format!("wrong OTP; {}", attempts_left(left)), fx);
                let message = format!(
                    "{}. Bạn còn {left} lần nhập. (Wrong OTP; {}.)",
                    TransactionStatus::WrongOtp.vietnamese(),
                    attempts_left(left)
                );
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            let debit = record.progress.as_ref().and_then(|p| p.debit.clone());
            match debit.unwrap_or(Debit::Success) {
                Debit::Success => {
                    record.finish(TransactionStatus::Success, now, "paid", fx);
                }
                Debit::Fail(status) => {
                    let event = format!("the bank refused the debit: {}", status.english());
                    record.finish(status, now, event, fx);
                }
                Debit::Unknown => {
                    record.step = Step::AwaitingBank;
                    record.progress().resolve_at = Some(now + gw.inner.config.unknown_result_delay);
                    record.set_status(
                        TransactionStatus::BankResultUnknown,
                        now,
                        "OTP right; the bank has not answered yet",
                        fx,
                    );
                }
            }
            PageOutcome::Redirect(gw.return_url(record, now, fx))
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    pub(super) async fn bank_latency(&self) {
        let latency = self.inner.config.faults.latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    pub(super) fn view(&self, record: &Record, message: Option<String>) -> PageView {
        let (card_failures, otp_failures) = record
            .progress
            .as_ref()
            .map_or((0, 0), |p| (p.card_failures, p.otp_failures));
        let attempts_left = match record.step {
            Step::Otp => MAX_ATTEMPTS - otp_failures,
            _ => MAX_ATTEMPTS - card_failures,
        };
        PageView {
            step: record.step,
            token: record.token.as_str().to_owned(),
            merchant_code: record.key.0.to_string(),
            m_transaction_id: record.key.1.to_string(),
            transaction_id: record.transaction_id(),
            amount: record.order.total_amount,
            description: record.order.description.to_string(),
            bank: record.bank_used().clone(),
            message,
            attempts_left,
            card_holder: String::new(),
            card_number: String::new(),
            issue_date: String::new(),
        }
    }

    /// The card page again with what the buyer typed, as a real form keeps it.
    pub(super) fn form_view(&self, record: &Record, message: &str, form: &CardForm) -> PageView {
        PageView {
            card_holder: form.card_holder.clone(),
            card_number: form.card_number.clone(),
            issue_date: form.issue_date.clone(),
            ..self.view(record, Some(message.to_owned()))
        }
    }

    /// The merchant's URL for the current status, with the signed return parameters. The
    /// first time for a status, the buyer's return is an event of the transaction's history
    /// (the URL without its query: the parameters are the status's and the ticket).
    pub(super) fn return_url(
        &self,
        record: &mut Record,
        now: SystemTime,
        fx: &mut Effects,
    ) -> String {
        let url = record.order.return_url_for(record.status()).to_owned();
        let event = format!(
            "buyer sent back to the merchant: {} (status {})",
            url.split('?').next().unwrap_or_default(),
            record.status().code()
        );
        if !record.history.iter().any(|e| e.text == event) {
            record.event(now, event, fx);
        }
        let Some(merchant) = self.merchant(&record.key.0) else {
            return url;
        };
        match ReturnTicket::new(&*record.key.1, record.status().clone(), now) {
            Ok(ticket) => ticket.redirect_url(&url, merchant.credentials.secret_key()),
            Err(_) => url,
        }
    }
}

/// "1 attempt left", "2 attempts left".
pub(super) fn attempts_left(left: u32) -> String {
    if left == 1 {
        "1 attempt left".to_owned()
    } else {
        format!("{left} attempts left")
    }
}
