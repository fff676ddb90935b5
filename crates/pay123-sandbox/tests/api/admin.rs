//! The admin API under /_sandbox/, through HTTP, and its in-process twin.

use http::StatusCode;
use pay123_core::{BankCode, Credentials, TransactionStatus};
use pay123_sandbox::cards::TEST_CARD_NUMBER;
use pay123_sandbox::{AdminError, AttemptOutcome, Config, Merchant, TransactionRef};

use super::support::{Harness, WAIT};

#[tokio::test]
async fn list_show_force_resend_drop_and_reset() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.create("ADMIN-1", BankCode::Acb).await;
    h.create("ADMIN-2", BankCode::Pay123).await;

    let (status, list) = h.http.get_json(&h.url("/_sandbox/transactions")).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["mTransactionID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ADMIN-1", "ADMIN-2"]);

    let (status, one) = h
        .http
        .get_json(&h.url("/_sandbox/transactions/ADMIN-1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["status"], "0");
    assert_eq!(one["merchant_code"], "MICODE");
    assert_eq!(one["bank_code"], "123PACB");
    assert_eq!(one["total_amount"], 150_000);
    assert_eq!(one["step"], "card");
    assert_eq!(one["is_final"], false);
    assert_eq!(one["history"][0]["event"], "createOrder accepted");
    assert!(
        one["123PAYtransactionId"]
            .as_str()
            .unwrap()
            .starts_with("123P")
    );
    assert!(one["created_at"].as_str().unwrap().ends_with('Z'));

    // Force a final status: the notify goes out as if the buyer had paid.
    let (status, forced) = h
        .http
        .post_json(
            &h.url("/_sandbox/transactions/ADMIN-1/status"),
            r#"{"status":"7201"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{forced}");
    assert_eq!(forced["status"], "7201");
    assert_eq!(forced["is_final"], true);
    let t = h.settled("ADMIN-1").await;
    assert_eq!(t.status, TransactionStatus::InsufficientFunds);
    assert_eq!(
        h.sink().received()[0].status,
        TransactionStatus::InsufficientFunds
    );
    assert_eq!(
        h.status("ADMIN-1").await,
        TransactionStatus::InsufficientFunds
    );
    let (_, shown) = h
        .http
        .get_json(&h.url("/_sandbox/transactions/ADMIN-1"))
        .await;
    let attempt = &shown["notify_attempts"][0];
    assert_eq!(attempt["http_status"], 200);
    assert_eq!(attempt["verified"], true);
    assert_eq!(attempt["return_code"], "1");
    assert_eq!(attempt["outcome"], "acknowledged");
    assert!(
        attempt["reply_body"]
            .as_str()
            .unwrap()
            .contains("\"returnCode\"")
    );
    assert!(attempt["at"].as_str().is_some());

    // Final already: 409. Not a final status: 400. Unknown: 404. Not JSON: 400.
    let url = h.url("/_sandbox/transactions/ADMIN-1/status");
    assert_eq!(
        h.http.post_json(&url, r#"{"status":"1"}"#).await.0,
        StatusCode::CONFLICT
    );
    let url2 = h.url("/_sandbox/transactions/ADMIN-2/status");
    assert_eq!(
        h.http.post_json(&url2, r#"{"status":"11"}"#).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.http.post_json(&url2, "status=1").await.0,
        StatusCode::BAD_REQUEST
    );
    let missing = h.url("/_sandbox/transactions/NOPE/status");
    let (status, body) = h.http.post_json(&missing, r#"{"status":"1"}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("NOPE"));
    assert_eq!(
        h.http
            .get_json(&h.url("/_sandbox/transactions/NOPE"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Resend: a second delivery.
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/transactions/ADMIN-1/notify"), "")
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let t = h
        .sandbox
        .wait_for("ADMIN-1", WAIT, |t| {
            t.notify_attempts.len() == 2 && !t.notify_in_progress
        })
        .await
        .unwrap();
    assert_eq!(t.notify_attempts[1].delivery, 2);
    // A pending transaction has no notify to resend.
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/transactions/ADMIN-2/notify"), "")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Drop the next notify, then force the other one.
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/notify/drop-next"), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.http.post_json(&url2, r#"{"status":"-100"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let t = h.settled("ADMIN-2").await;
    assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::Dropped);
    assert_eq!(h.sink().requests(), 2);

    // Reset forgets everything.
    let (status, _) = h.http.post_json(&h.url("/_sandbox/reset"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = h.http.get_json(&h.url("/_sandbox/transactions")).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    assert_eq!(h.status("ADMIN-1").await, TransactionStatus::NotFound);
    // The id can be used again.
    h.create("ADMIN-1", BankCode::Acb).await;
}

#[tokio::test]
async fn the_index_shows_the_configuration_without_secrets() {
    let h = Harness::new(|c| {
        let shop = Credentials::new("SHOP2", "PASS-SECRET-2", "KEY-SECRET-2").unwrap();
        *c = c
            .clone()
            .with_merchant(Merchant::new(shop).with_notify_url("http://127.0.0.1:9/notify"));
    })
    .await;
    let response = h
        .http
        .send(
            http::Request::get(h.url("/_sandbox/"))
                .body(bytes::Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8_lossy(response.body()).into_owned();
    for secret in ["MIPASSCODE", "MIKEY", "PASS-SECRET-2", "KEY-SECRET-2"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(index["merchants"][0]["merchant_code"], "MICODE");
    assert_eq!(index["merchants"][1]["merchant_code"], "SHOP2");
    assert_eq!(index["test_card"]["card_number"], TEST_CARD_NUMBER);
    assert_eq!(index["triggers"].as_array().unwrap().len(), 35);
    // Nor does the configuration's Debug.
    let debug = format!("{:?}", h.sandbox.gateway().config());
    assert!(
        !debug.contains("PASS-SECRET-2") && !debug.contains("KEY-SECRET-2"),
        "{debug}"
    );
}

#[tokio::test]
async fn forcing_a_status_ends_the_buyer_session() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.otp_page("FORCED-1", TEST_CARD_NUMBER).await;
    let t = h
        .sandbox
        .force_status("FORCED-1", TransactionStatus::Success)
        .unwrap();
    assert!(t.is_final);
    assert_eq!(t.op_amount, t.total_amount);
    // The buyer's OTP form now leads back to the merchant.
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
    h.settled("FORCED-1").await;
    assert_eq!(
        h.sandbox
            .force_status("FORCED-1", TransactionStatus::Cancelled)
            .unwrap_err(),
        AdminError::AlreadyFinal("1".into())
    );
    assert!(matches!(
        h.sandbox
            .force_status("FORCED-1", TransactionStatus::AwaitingOtp),
        Err(AdminError::NotFinal(_))
    ));
    assert!(matches!(
        h.sandbox.resend_notify("NOPE"),
        Err(AdminError::NotFound(_))
    ));
    // `-10` is no status of a transaction 123PAY has: refused on a pending one too, 400.
    h.create("FORCED-2", BankCode::Vietcombank).await;
    assert_eq!(
        h.sandbox
            .force_status("FORCED-2", TransactionStatus::NotFound)
            .unwrap_err(),
        AdminError::NotAStatusOfATransaction
    );
    let (status, body) = h
        .http
        .post_json(
            &h.url("/_sandbox/transactions/FORCED-2/status"),
            r#"{"status":"-10"}"#,
        )
        .await;
    assert_eq!(status, http::StatusCode::BAD_REQUEST, "{body}");
    assert!(!h.sandbox.transaction("FORCED-2").unwrap().is_final);
}

/// The buyer left: the session ends now with the status its step reports, and its notify goes.
#[tokio::test]
async fn timing_a_session_out_ends_it_as_its_timeout_would() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.otp_page("LEFT-1", TEST_CARD_NUMBER).await;
    let (status, body) = h
        .http
        .post_json(&h.url("/_sandbox/transactions/LEFT-1/time-out"), "")
        .await;
    assert_eq!(status, http::StatusCode::OK, "{body}");
    assert_eq!(body["status"], "7220", "{body}");
    h.settled("LEFT-1").await;
    let t = h.sandbox.transaction("LEFT-1").unwrap();
    assert_eq!(t.notify_attempts[0].status, TransactionStatus::NoOtp);
    assert!(t.notify_attempts[0].ended_at.is_some());
    let (status, body) = h
        .http
        .post_json(&h.url("/_sandbox/transactions/LEFT-1/time-out"), "")
        .await;
    assert_eq!(status, http::StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("not on the bank pages")),
        "{body}"
    );
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/transactions/NOPE/time-out"), "")
        .await;
    assert_eq!(status, http::StatusCode::NOT_FOUND);
    // On the card page, nothing entered: 7210.
    h.create("LEFT-2", BankCode::Vietcombank).await;
    let t = h.sandbox.time_out("LEFT-2").unwrap();
    assert_eq!(t.status, TransactionStatus::NoPaymentInfo);
}

#[tokio::test]
async fn two_merchants_with_the_same_order_id() {
    let shop = Credentials::new("SHOP2", "PASS2", "KEY2").unwrap();
    let h = Harness::new(|c| *c = c.clone().with_merchant(Merchant::new(shop.clone()))).await;
    h.create("SHARED-ID", BankCode::Acb).await;
    let client = pay123_core::Client::new(h.http.clone(), shop, h.sandbox.endpoints());
    client
        .create_order(&Harness::order("SHARED-ID", BankCode::Bidv))
        .await
        .unwrap();
    let (_, mine) = h
        .http
        .get_json(&h.url("/_sandbox/transactions/SHARED-ID?merchant=MICODE"))
        .await;
    assert_eq!(mine["bank_code"], "123PACB");
    let (_, theirs) = h
        .http
        .get_json(&h.url("/_sandbox/transactions/SHARED-ID?merchant=SHOP2"))
        .await;
    assert_eq!(theirs["bank_code"], "123PBIDV");
    assert_eq!(h.sandbox.transactions().len(), 2);
    // In process: a TransactionRef names one merchant's; an id alone, the newest.
    let of = |merchant| TransactionRef::of(merchant, "SHARED-ID");
    let bank_of = |merchant| h.sandbox.transaction(of(merchant)).unwrap().bank_code;
    assert_eq!(bank_of("MICODE"), BankCode::Acb);
    assert_eq!(bank_of("SHOP2"), BankCode::Bidv);
    assert_eq!(
        h.sandbox.transaction("SHARED-ID").unwrap().merchant_code,
        "SHOP2"
    );
    assert!(h.sandbox.transaction(of("NOBODY")).is_none());
    // An action on one merchant's transaction leaves the other's alone, in process and over
    // HTTP with `?merchant=`.
    let forced = h
        .sandbox
        .force_status(of("MICODE"), TransactionStatus::Success);
    assert_eq!(forced.unwrap().merchant_code, "MICODE");
    let (status, body) = h
        .http
        .post_json(
            &h.url("/_sandbox/transactions/SHARED-ID/status?merchant=SHOP2"),
            r#"{"status": "7201"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["merchant_code"], "SHOP2");
    let status_of = |merchant| h.sandbox.transaction(of(merchant)).unwrap().status;
    assert_eq!(status_of("MICODE"), TransactionStatus::Success);
    assert_eq!(status_of("SHOP2"), TransactionStatus::InsufficientFunds);
    // A misspelt or repeated `merchant`, or a member the body does not have, never falls back on
    // the newest transaction: 400 as JSON (not the 409 of a final one), nothing changed.
    for (query, body) in [
        ("?Merchant=MICODE", r#"{"status": "7201"}"#),
        ("?merchant=MICODE&merchant=SHOP2", r#"{"status": "7201"}"#),
        (
            "?merchant=MICODE",
            r#"{"status": "7201", "merchant": "SHOP2"}"#,
        ),
    ] {
        let url = h.url(&format!("/_sandbox/transactions/SHARED-ID/status{query}"));
        let (status, answer) = h.http.post_json(&url, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} {body}: {answer}");
        assert!(answer["error"].is_string(), "{query}: {answer}");
    }
    assert_eq!(status_of("MICODE"), TransactionStatus::Success);
    assert_eq!(status_of("SHOP2"), TransactionStatus::InsufficientFunds);
    // The listing pages by 123PAY's id, which names one transaction: with the same order id at
    // two merchants (the second created before the first's next order), no page skips one.
    client
        .create_order(&Harness::order("SHARED-2", BankCode::Bidv))
        .await
        .unwrap();
    h.create("SHARED-2", BankCode::Acb).await;
    h.create("AFTER", BankCode::Acb).await;
    let mut listed = Vec::new();
    let mut url = h.url("/_sandbox/transactions?limit=1");
    loop {
        let page = h.http.get(&url).await;
        let list: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        for t in list.as_array().unwrap() {
            listed.push(format!(
                "{}/{}",
                t["merchant_code"].as_str().unwrap(),
                t["mTransactionID"].as_str().unwrap()
            ));
        }
        match page.headers.get("x-pay123-next-after") {
            Some(next) => {
                let next = next.to_str().unwrap();
                assert!(next.starts_with("123P"), "{next}");
                url = h.url(&format!("/_sandbox/transactions?limit=1&after={next}"));
            }
            None => break,
        }
    }
    assert_eq!(
        listed,
        [
            "MICODE/SHARED-ID",
            "SHOP2/SHARED-ID",
            "SHOP2/SHARED-2",
            "MICODE/SHARED-2",
            "MICODE/AFTER"
        ]
    );
    // A pending transaction of one merchant: a misplaced merchant would fall back on it, the
    // newest, and change it.
    h.create("ALONE-1", BankCode::Acb).await;
    for (route, body) in [
        ("status?Merchant=SHOP2", r#"{"status": "7201"}"#),
        ("notify?merchant=MICODE", r#"{"merchant": "SHOP2"}"#),
        ("time-out", r#"{"merchant": "SHOP2"}"#),
    ] {
        let url = h.url(&format!("/_sandbox/transactions/ALONE-1/{route}"));
        let (status, answer) = h.http.post_json(&url, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{route} {body}: {answer}");
        assert!(answer["error"].is_string(), "{route}: {answer}");
    }
    let t = h.sandbox.transaction("ALONE-1").unwrap();
    assert_eq!(t.status, TransactionStatus::New);
    assert!(t.notify_attempts.is_empty());
    // A path or a query that cannot be read: 400 as JSON too.
    for url in [
        "/_sandbox/transactions/%FF",
        "/_sandbox/transactions?limit=abc",
    ] {
        let (status, answer) = h.http.get_json(&h.url(url)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {answer}");
        assert!(answer["error"].is_string(), "{url}: {answer}");
    }
}

#[tokio::test]
async fn start_refuses_an_invalid_configuration() {
    let listener = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
    let no_merchant = Config {
        merchants: vec![],
        ..Config::default()
    };
    assert!(
        pay123_sandbox::start(listener().await, no_merchant)
            .await
            .is_err()
    );
    let ftp_notify = Config::default().with_notify_url("ftp://127.0.0.1/notify");
    assert!(
        pay123_sandbox::start(listener().await, ftp_notify)
            .await
            .is_err()
    );
    let mut bad_rate = Config::default();
    bad_rate.faults.busy_rate = 1.5;
    assert!(
        pay123_sandbox::start(listener().await, bad_rate)
            .await
            .is_err()
    );
    // The gateway alone needs a public URL (it cannot know where it is mounted).
    assert!(pay123_sandbox::Gateway::new(Config::default()).is_err());
}

#[tokio::test]
async fn the_router_can_be_nested_in_another_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/sandbox", listener.local_addr().unwrap());
    let config = Config {
        public_url: Some(base.clone()),
        ..Config::default()
    };
    let gateway = pay123_sandbox::Gateway::new(config).unwrap();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "the shop" }))
        .nest("/sandbox", pay123_sandbox::router(gateway.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = super::support::Http::new();
    let endpoints = pay123_core::Endpoints::from_base(&format!("{base}/miservice")).unwrap();
    let client = pay123_core::Client::new(http.clone(), Credentials::sandbox(), endpoints);
    let created = client
        .create_order(&Harness::order("NESTED-1", BankCode::Acb))
        .await
        .unwrap();
    assert!(
        created
            .payment_url()
            .starts_with(&format!("{base}/banksim/"))
    );
    let page = http.get(created.payment_url()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.form("card_form")
            .action
            .starts_with(&format!("{base}/banksim/"))
    );
    assert_eq!(gateway.transactions().len(), 1);
}

/// The listing comes in pages: `limit` at most, then `after` the last one, as
/// `X-Pay123-Next-After` says while a page is full.
#[tokio::test]
async fn the_listing_is_paginated() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    // Enough for several transactions in each shard, and pages that end inside shards.
    for n in 1..=60 {
        h.create(&format!("PAGE-{n}"), BankCode::Acb).await;
    }
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page.as_array()
            .unwrap()
            .iter()
            .map(|t| t["mTransactionID"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &after {
            None => h.url("/_sandbox/transactions?limit=7"),
            Some(a) => h.url(&format!("/_sandbox/transactions?limit=7&after={a}")),
        };
        let page = h.http.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        let list: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        seen.extend(ids(&list));
        pages += 1;
        match page.headers.get("x-pay123-next-after") {
            Some(next) => after = Some(next.to_str().unwrap().to_owned()),
            None => break,
        }
    }
    let all: Vec<String> = (1..=60).map(|n| format!("PAGE-{n}")).collect();
    assert_eq!(seen, all);
    assert_eq!(pages, 9);
    // An unknown `after` is refused, not an empty page that looks like the end; the
    // in-process twin agrees.
    let (status, unknown) = h
        .http
        .get_json(&h.url("/_sandbox/transactions?after=NOPE"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("\"NOPE\" to list after"),
        "{unknown}"
    );
    assert!(matches!(
        h.sandbox.gateway().transactions_after(Some("NOPE"), 10),
        Err(AdminError::UnknownAfter(id)) if id == "NOPE"
    ));
    let twin: Vec<String> = h
        .sandbox
        .gateway()
        .transactions_after(Some("PAGE-3"), 10)
        .unwrap()
        .into_iter()
        .map(|t| t.m_transaction_id)
        .collect();
    assert_eq!(twin, all[3..13]);
    let (_, index) = h.http.get_json(&h.url("/_sandbox/")).await;
    assert_eq!(index["transaction_count"], 60);
}

/// No web page can drive the admin API: a cross-origin form or `text/plain` POST (which needs
/// no preflight) is refused before it acts, and so is a request addressed to another name (DNS
/// rebinding); a gateway method or a bank page is not concerned.
#[tokio::test]
async fn a_web_page_cannot_drive_the_admin_api() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.create("CSRF-1", BankCode::Acb).await;
    let url = h.url("/_sandbox/transactions/CSRF-1/status");
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let request = http::Request::post(&url)
            .header("content-type", content_type)
            .body(bytes::Bytes::from(r#"{"status": "1"}"#))
            .unwrap();
        let answer = h.http.send(request).await;
        assert_eq!(
            answer.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let request = http::Request::post(&url)
        .body(bytes::Bytes::from(r#"{"status": "1"}"#))
        .unwrap();
    assert_eq!(
        h.http.send(request).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(h.status("CSRF-1").await, TransactionStatus::New);
    // DNS rebinding: a page of evil.example that points its name at 127.0.0.1 sends its name.
    for (method, path) in [
        ("GET", "/_sandbox/transactions"),
        ("POST", "/_sandbox/reset"),
    ] {
        let request = http::Request::builder()
            .method(method)
            .uri(h.url(path))
            .header("host", "evil.example:3123")
            .header("content-type", "application/json")
            .body(bytes::Bytes::new())
            .unwrap();
        let answer = h.http.send(request).await;
        assert_eq!(
            answer.status(),
            StatusCode::MISDIRECTED_REQUEST,
            "{method} {path}"
        );
    }
    assert_eq!(h.sandbox.transactions().len(), 1);
    // The buyer's pages and 123PAY's methods answer any host (a sandbox behind a name).
    let request = http::Request::get(h.url("/banksim/nope"))
        .header("host", "pay.example.test")
        .body(bytes::Bytes::new())
        .unwrap();
    assert_eq!(h.http.send(request).await.status(), StatusCode::NOT_FOUND);
    // JSON from this machine, as the CLI and the tests send it, works.
    let (status, _) = h.http.post_json(&url, r#"{"status": "1"}"#).await;
    assert_eq!(status, StatusCode::OK);
}

/// Only this machine may use the admin API, unless the sandbox was given an admin token; then
/// any client that sends it, and none that does not.
#[tokio::test]
async fn the_admin_api_answers_this_machine_or_the_token() {
    use tower::ServiceExt;
    let from = |ip: &str, token: Option<&str>| {
        let mut request = http::Request::get("/_sandbox/transactions")
            .header("host", "192.0.2.10:3123")
            .body(axum::body::Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip.parse().unwrap(),
                40000,
            )));
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        request
    };
    let mounted = Config {
        public_url: Some("http://192.0.2.10:3123".to_owned()),
        ..Config::default()
    };
    let open = pay123_sandbox::router(pay123_sandbox::Gateway::new(mounted.clone()).unwrap());
    let status = |router: &axum::Router, request: http::Request<axum::body::Body>| {
        let router = router.clone();
        async move { router.oneshot(request).await.unwrap().status() }
    };
    assert_eq!(status(&open, from("127.0.0.1", None)).await, StatusCode::OK);
    assert_eq!(status(&open, from("::1", None)).await, StatusCode::OK);
    assert_eq!(
        status(&open, from("192.0.2.55", None)).await,
        StatusCode::FORBIDDEN
    );
    let mut unknown_peer = from("127.0.0.1", None);
    unknown_peer.extensions_mut().clear();
    assert_eq!(status(&open, unknown_peer).await, StatusCode::FORBIDDEN);

    let config = Config {
        admin_token: pay123_sandbox::AdminToken::new("s3cr3t-token"),
        ..mounted
    };
    assert!(!format!("{config:?}").contains("s3cr3t-token"));
    let closed = pay123_sandbox::router(pay123_sandbox::Gateway::new(config).unwrap());
    assert_eq!(
        status(&closed, from("192.0.2.55", Some("s3cr3t-token"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&closed, from("192.0.2.55", None)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&closed, from("127.0.0.1", None)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&closed, from("192.0.2.55", Some("wrong"))).await,
        StatusCode::UNAUTHORIZED
    );
}
