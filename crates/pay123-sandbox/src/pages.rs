//! The bank pages a buyer sees: bank choice, card entry and OTP, as plain HTML forms (askama
//! templates in `templates/`) that work without JavaScript. Every form posts back here; the
//! answer is the same page with a message, or a 303 to the next step or to the merchant.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use pay123_core::BankCode;
use pay123_core::TransactionStatus;

use crate::gateway::{CardForm, Gateway, PageOutcome, PageView};
use crate::transaction::Step;

#[derive(Template)]
#[template(path = "choose_bank.html")]
struct ChooseBankPage<'a> {
    step: &'static str,
    view: &'a PageView,
    amount: String,
    bank_name: &'static str,
    action: String,
    banks: Vec<BankOption<'a>>,
}

struct BankOption<'a> {
    code: &'a str,
    name: &'static str,
    maintenance: bool,
}

#[derive(Template)]
#[template(path = "card.html")]
struct CardPage<'a> {
    step: &'static str,
    view: &'a PageView,
    amount: String,
    bank_name: &'static str,
    action: String,
}

#[derive(Template)]
#[template(path = "otp.html")]
struct OtpPage<'a> {
    step: &'static str,
    view: &'a PageView,
    amount: String,
    bank_name: &'static str,
    action: String,
    otp_expiry: String,
    otp_expiry_english: String,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    text: &'static str,
}

/// The bank choice form.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct BankPost {
    #[serde(default)]
    bank_code: String,
    #[serde(default)]
    action: String,
}

/// The card form.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct CardPost {
    #[serde(default)]
    card_holder: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    issue_date: String,
    #[serde(default)]
    action: String,
}

/// The OTP form.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct OtpPost {
    #[serde(default)]
    otp: String,
    #[serde(default)]
    action: String,
}

fn is_cancel(action: &str) -> bool {
    action.trim().eq_ignore_ascii_case("cancel")
}

pub(crate) async fn show(State(gateway): State<Gateway>, Path(token): Path<String>) -> Response {
    respond(&gateway, gateway.show(&token))
}

pub(crate) async fn cancel(State(gateway): State<Gateway>, Path(token): Path<String>) -> Response {
    respond(&gateway, gateway.cancel(&token))
}

pub(crate) async fn choose_bank(
    State(gateway): State<Gateway>,
    Path(token): Path<String>,
    Form(form): Form<BankPost>,
) -> Response {
    let outcome = if is_cancel(&form.action) {
        gateway.cancel(&token)
    } else {
        gateway.choose_bank(&token, &form.bank_code)
    };
    respond(&gateway, outcome)
}

pub(crate) async fn card(
    State(gateway): State<Gateway>,
    Path(token): Path<String>,
    Form(form): Form<CardPost>,
) -> Response {
    let outcome = if is_cancel(&form.action) {
        gateway.cancel(&token)
    } else {
        let card = CardForm {
            card_holder: form.card_holder,
            card_number: form.card_number,
            issue_date: form.issue_date,
        };
        gateway.submit_card(&token, &card).await
    };
    respond(&gateway, outcome)
}

pub(crate) async fn otp(
    State(gateway): State<Gateway>,
    Path(token): Path<String>,
    Form(form): Form<OtpPost>,
) -> Response {
    let outcome = if is_cancel(&form.action) {
        gateway.cancel(&token)
    } else {
        gateway.submit_otp(&token, &form.otp).await
    };
    respond(&gateway, outcome)
}

fn respond(gateway: &Gateway, outcome: PageOutcome) -> Response {
    match outcome {
        PageOutcome::Redirect(location) => see_other(&location),
        PageOutcome::NotFound => {
            let page = NotFoundPage {
                text: TransactionStatus::NotFound.vietnamese(),
            };
            html(StatusCode::NOT_FOUND, page.render())
        }
        PageOutcome::Show(view) => html(StatusCode::OK, render(gateway, &view)),
    }
}

fn render(gateway: &Gateway, view: &PageView) -> askama::Result<String> {
    let amount = format_vnd(view.amount);
    let bank_name = view.bank.vietnamese_name();
    let action = |step: &str| format!("{}/{step}", gateway.page_url(&view.token));
    match view.step {
        Step::ChooseBank => {
            let maintenance = &gateway.config().banks_under_maintenance;
            ChooseBankPage {
                step: "choose_bank",
                view,
                amount,
                bank_name,
                action: action("bank"),
                banks: BankCode::BANKS
                    .iter()
                    .chain(&gateway.config().added_banks)
                    .map(|b| BankOption {
                        code: b.code(),
                        name: b.vietnamese_name(),
                        maintenance: maintenance.contains(b),
                    })
                    .collect(),
            }
            .render()
        }
        Step::Otp => {
            let expiry = gateway.config().otp_expiry;
            OtpPage {
                step: "otp",
                view,
                amount,
                bank_name,
                action: action("otp"),
                otp_expiry: duration_vi(expiry),
                otp_expiry_english: duration_en(expiry),
            }
            .render()
        }
        _ => CardPage {
            step: "card",
            view,
            amount,
            bank_name,
            action: action("card"),
        }
        .render(),
    }
}

/// A rendered page (a bank page or the dashboard's), never cached.
pub(crate) fn html(status: StatusCode, body: askama::Result<String>) -> Response {
    match body {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render the page").into_response()
        }
    }
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "invalid redirect URL").into_response(),
    }
}

/// `1234567` -> `1.234.567`, as amounts are written in Vietnam.
/// `12.345.678`, as Vietnamese amounts are written (the bank pages and the dashboard).
pub(crate) fn format_vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn duration_vi(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} phút", secs / 60)
    } else {
        format!("{} giây", secs.max(1))
    }
}

fn duration_en(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match (secs % 60, secs / 60) {
        (0, 1) => "1 minute".to_owned(),
        (0, minutes) if minutes > 0 => format!("{minutes} minutes"),
        _ if secs == 1 => "1 second".to_owned(),
        _ => format!("{secs} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(format_vnd(0), "0");
        assert_eq!(format_vnd(999), "999");
        assert_eq!(format_vnd(1000), "1.000");
        assert_eq!(format_vnd(100_000), "100.000");
        assert_eq!(format_vnd(1_234_567), "1.234.567");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_vi(Duration::from_secs(300)), "5 phút");
        assert_eq!(duration_vi(Duration::from_secs(90)), "90 giây");
        assert_eq!(duration_en(Duration::from_millis(200)), "1 second");
        assert_eq!(duration_en(Duration::from_secs(60)), "1 minute");
        assert_eq!(duration_en(Duration::from_secs(900)), "15 minutes");
        assert_eq!(duration_en(Duration::from_secs(45)), "45 seconds");
    }
}
