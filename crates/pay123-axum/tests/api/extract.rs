//! `VerifiedNotify`: an extractor for a route of the user's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{Method, StatusCode};
use pay123_axum::unconfirmed::{NotifyRejection, VerifiedNotify};
use pay123_core::{MAX_NOTIFY_BODY, NotifyListener, NotifyOutcome, NotifyReturnCode, SecretKey};

use crate::support::{key, listener, notify, post as notify_post, raw, reply, send};

const PATH: &str = "/notify";

#[derive(Clone)]
struct App {
    listener: NotifyListener,
    calls: Arc<AtomicUsize>,
}

impl FromRef<App> for NotifyListener {
    fn from_ref(app: &App) -> Self {
        app.listener.clone()
    }
}

async fn route(State(app): State<App>, verified: VerifiedNotify) -> Response {
    app.calls.fetch_add(1, Ordering::SeqCst);
    let outcome = if verified.m_transaction_id() == "SEEN" {
        NotifyOutcome::AlreadyUpdated
    } else {
        NotifyOutcome::Updated
    };
    verified.reply(outcome)
}

fn app() -> (Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(PATH, post(route).get(route))
        .with_state(App {
            listener: listener(),
            calls: calls.clone(),
        });
    (app, calls)
}

#[tokio::test]
async fn a_verified_notify_reaches_the_route_and_the_reply_is_signed() {
    let (app, calls) = app();
    let first = reply(app.clone(), notify_post(PATH, &notify("ORDER-1"), &key())).await;
    assert_eq!(first.return_code(), &NotifyReturnCode::Processed);
    assert_eq!(first.m_transaction_id(), "ORDER-1");
    let seen = reply(app, notify_post(PATH, &notify("SEEN"), &key())).await;
    assert_eq!(seen.return_code(), &NotifyReturnCode::AlreadyUpdated);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_forged_notify_is_rejected_with_the_signed_minus_1() {
    let (app, calls) = app();
    let forged = notify_post(PATH, &notify("ORDER-2"), &SecretKey::new("guessed"));
    let reply = reply(app, forged).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(reply.m_transaction_id(), "");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_oversized_body_is_rejected_with_413() {
    let (app, calls) = app();
    let response = send(
        app,
        raw(Method::POST, PATH, vec![b'a'; MAX_NOTIFY_BODY + 1]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// The rejection, seen by a route that takes `Result<VerifiedNotify, NotifyRejection>`.
#[tokio::test]
async fn the_rejection_says_why_and_answers_as_the_core_does() {
    let app = Router::new()
        .route(
            PATH,
            post(
                |result: Result<VerifiedNotify, NotifyRejection>| async move {
                    let rejection = result.expect_err("a forged notify is rejected");
                    assert_eq!(rejection.response().status(), 200);
                    assert!(
                        rejection
                            .response()
                            .content_type()
                            .starts_with("application/json")
                    );
                    rejection.into_response()
                },
            ),
        )
        .with_state(App {
            listener: listener(),
            calls: Arc::default(),
        });
    let forged = notify_post(PATH, &notify("ORDER-3"), &SecretKey::new("guessed"));
    let reply = reply(app, forged).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
}
