//! The dashboard: the admin API's pages for a browser, through real HTTP.

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, header};
use pay123_core::{BankCode, TransactionStatus};
use pay123_sandbox::{AdminToken, TransactionFilter};

use super::support::{Answer, Harness};

/// A page as a browser asks for it, with these extra headers.
async fn page(h: &Harness, path: &str, extra: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(h.url(path)).header(header::ACCEPT, "text/html,*/*;q=0.8");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = h.http.send(request.body(Bytes::new()).unwrap()).await;
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).expect("a UTF-8 page"),
    )
}

async fn post(
    h: &Harness,
    path: &str,
    content_type: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, HeaderMap) {
    let mut request = Request::post(h.url(path)).header(header::CONTENT_TYPE, content_type);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = h
        .http
        .send(request.body(Bytes::from(body.to_owned())).unwrap())
        .await;
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn every_state_renders_with_its_timeline_and_what_listeners_send_is_escaped() {
    // The listener's first reply is an HTML page far longer than a page shows; then `1`.
    let hostile = format!("<script>alert('x')</script>{}", "y".repeat(3000));
    let h = Harness::with_sink(vec![Answer::Raw(hostile)], |_| {}).await;
    h.create("DASH-NEW", BankCode::Pay123).await;
    h.create("DASH-CARD", BankCode::Vietcombank).await;
    h.pay("DASH-PAID").await;
    h.create("DASH-FAILED", BankCode::Vietcombank).await;
    h.sandbox
        .force_status("DASH-FAILED", TransactionStatus::Cancelled)
        .unwrap();
    let paid = h.settled("DASH-PAID").await;
    h.settled("DASH-FAILED").await;
    assert_eq!(h.status("DASH-PAID").await, TransactionStatus::Success);

    let (status, headers, list) = page(&h, "/_sandbox/", &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // Newest first, each status in words, each row a link to its page.
    let order: Vec<usize> = ["DASH-FAILED", "DASH-PAID", "DASH-CARD", "DASH-NEW"]
        .iter()
        .map(|id| {
            list.find(&format!(">{id}</a>"))
                .unwrap_or_else(|| panic!("{id}: {list}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(
        list.contains("Thành công") && list.contains("successful"),
        "{list}"
    );
    assert!(list.contains("Đơn hàng bị hủy"), "{list}");
    assert!(
        list.contains(r#"href="transactions/DASH%2DPAID?merchant=MICODE""#),
        "{list}"
    );

    let (status, _, one) = page(&h, "/_sandbox/transactions/DASH-PAID?merchant=MICODE", &[]).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one.contains(&paid.transaction_id), "{one}");
    for event in [
        "createOrder accepted",
        "card accepted; OTP sent",
        "OTP entered",
        "queryOrder answered: status 1",
        "buyer sent back to the merchant: https://shop.test/return (status 1)",
    ] {
        assert!(one.contains(event), "{event}: {one}");
    }
    // The first attempt: the body sent, the listener's HTML reply escaped and cut, refused.
    let first = section(&one, "notify-1-1");
    assert!(first.contains("mTransactionID=DASH-PAID"), "{first}");
    assert!(
        first.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "{first}"
    );
    assert!(!one.contains("<script>alert"), "{one}");
    assert!(first.contains("(cut: the reply is longer)"), "{first}");
    assert!(first.contains("not a valid reply"), "{first}");
    assert!(first.contains("retrying"), "{first}");
    // The second: answered 1, verified, done.
    let second = section(&one, "notify-1-2");
    assert!(
        second.contains(r#"<dd class="return-code">1</dd>"#),
        "{second}"
    );
    assert!(second.contains("verified"), "{second}");
    assert!(second.contains("acknowledged"), "{second}");

    for (id, words) in [
        ("DASH-NEW", "Mới"),
        ("DASH-CARD", "Mới"),
        ("DASH-FAILED", "Đơn hàng bị hủy"),
    ] {
        let (status, _, text) = page(&h, &format!("/_sandbox/transactions/{id}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains(words), "{id}: {text}");
        assert!(text.contains(r#"id="resend-notify""#), "{text}");
        assert!(text.contains(r#"data-path="/time-out""#), "{text}");
    }
    let (status, _, missing) = page(&h, "/_sandbox/transactions/NO-SUCH", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("NO-SUCH"), "{missing}");

    // A client that names JSON, or excludes HTML, keeps the admin API's JSON; a browser's
    // navigation gets the page whatever its Accept.
    for accept in ["text/html, application/json", "text/html;q=0", "*/*"] {
        let request = Request::get(h.url("/_sandbox/transactions/DASH-PAID"))
            .header(header::ACCEPT, accept)
            .body(Bytes::new())
            .unwrap();
        let response = h.http.send(request).await;
        assert!(
            response.body().starts_with(b"{"),
            "{accept}: {:?}",
            response.headers()
        );
    }
    let request = Request::get(h.url("/_sandbox/transactions/DASH-PAID"))
        .header("sec-fetch-dest", "document")
        .body(Bytes::new())
        .unwrap();
    let response = h.http.send(request).await;
    assert!(response.body().starts_with(b"<!DOCTYPE html>"));
    assert_eq!(response.headers()[header::VARY], "Accept, Sec-Fetch-Dest");

    // Without `Accept: text/html`, the same URLs answer the admin API's JSON.
    let (status, json) = h
        .http
        .get_json(&h.url("/_sandbox/transactions/DASH-PAID"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"], "1");
    let kinds: Vec<&str> = json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"step") && kinds.contains(&"query"),
        "{kinds:?}"
    );
    let (status, json) = h.http.get_json(&h.url("/_sandbox/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(json["public_url"].is_string(), "{json}");
}

/// The `<li>` of the timeline with this id.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}: {page}"));
    let end = page[start..]
        .find("</li>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[tokio::test]
async fn the_list_filters_and_pages_newest_first() {
    let h = Harness::new(|_| {}).await;
    for i in 0..55 {
        h.create(&format!("PAGE-{i}"), BankCode::Vietcombank).await;
    }
    for i in [3, 13, 33] {
        h.sandbox
            .force_status(&format!("PAGE-{i}"), TransactionStatus::Cancelled)
            .unwrap();
    }
    let rows = |page: &str| -> Vec<String> {
        page.split(r#"<a class="transaction" href=""#)
            .skip(1)
            .map(|s| s[s.find('>').unwrap() + 1..s.find("</a>").unwrap()].to_owned())
            .collect()
    };
    let (_, _, first) = page(&h, "/_sandbox/", &[]).await;
    let first_rows = rows(&first);
    assert_eq!(first_rows.len(), 50, "{first}");
    assert_eq!(first_rows[0], "PAGE-54");
    assert_eq!(first_rows[49], "PAGE-5");
    let older = first
        .split(r#"<a id="older" href=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to older transactions")
        .replace("&amp;", "&");
    let (_, _, second) = page(&h, &format!("/_sandbox/{older}"), &[]).await;
    assert_eq!(
        rows(&second),
        ["PAGE-4", "PAGE-3", "PAGE-2", "PAGE-1", "PAGE-0"]
    );
    assert!(!second.contains(r#"id="older""#), "{second}");

    let (_, _, cancelled) = page(&h, "/_sandbox/?status=-100", &[]).await;
    assert_eq!(rows(&cancelled), ["PAGE-33", "PAGE-13", "PAGE-3"]);
    let (_, _, by_id) = page(&h, "/_sandbox/?order=page-1", &[]).await;
    let by_id = rows(&by_id);
    assert_eq!(by_id.len(), 11, "{by_id:?}");
    assert!(by_id.iter().all(|id| id.starts_with("PAGE-1")), "{by_id:?}");
    let (_, _, nobody) = page(&h, "/_sandbox/?merchant=NOBODY", &[]).await;
    assert!(rows(&nobody).is_empty(), "{nobody}");
    let (_, _, unknown) = page(&h, "/_sandbox/?before=123P0000000000000", &[]).await;
    assert!(unknown.contains(r#"id="message""#), "{unknown}");

    // The same list in process.
    let gateway = h.sandbox.gateway();
    let found = gateway
        .newest(
            &TransactionFilter::all().status("-100").order("PAGE-3"),
            None,
            10,
        )
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|t| t.m_transaction_id.as_str()).collect();
    assert_eq!(ids, ["PAGE-33", "PAGE-3"]);
}

#[tokio::test]
async fn with_an_admin_token_a_browser_logs_in_once_and_the_guard_still_holds() {
    let h = Harness::with_sink(vec![], |config| {
        config.admin_token = AdminToken::new("s3cr3t token");
    })
    .await;
    h.pay("TOKEN-1").await;
    h.settled("TOKEN-1").await;

    // No token: the pages send the browser to the login form, which needs no token.
    let (status, headers, _) = page(&h, "/_sandbox/transactions/TOKEN-1", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "../login");
    let (status, headers, _) = page(&h, "/_sandbox/", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "login");
    let (status, _, form) = page(&h, "/_sandbox/login", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"id="login""#), "{form}");
    let (status, _, script) = page(&h, "/_sandbox/dashboard.js", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(script.contains("application/json"), "{script}");
    // The JSON API still answers 401 without the token.
    let (status, _) = h.http.get_json(&h.url("/_sandbox/transactions")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let json = "application/json";
    let (status, _) = post(&h, "/_sandbox/login", json, r#"{"token":"wrong"}"#, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post(
        &h,
        "/_sandbox/login",
        "text/plain",
        r#"{"token":"s3cr3t token"}"#,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, headers) = post(
        &h,
        "/_sandbox/login",
        json,
        r#"{"token":"s3cr3t token"}"#,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // A session of this process, on the admin path only: never the token.
    assert!(set.contains("Path=/_sandbox/"), "{set}");
    assert!(!set.contains("s3cr3t"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("pay123_sandbox_admin="), "{cookie}");
    // The token itself is no session.
    let token_cookie = [("cookie", "pay123_sandbox_admin=s3cr3t%20token")];
    let (status, _, _) = page(&h, "/_sandbox/", &token_cookie).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A wrong cookie planted beside the right one (by a page of another port of this host)
    // locks nobody out.
    let planted = format!("pay123_sandbox_admin=planted; {cookie}");
    let (status, _, _) = page(&h, "/_sandbox/", &[("cookie", planted.as_str())]).await;
    assert_eq!(status, StatusCode::OK);

    let with_cookie = [("cookie", cookie.as_str())];
    let (status, _, one) = page(&h, "/_sandbox/transactions/TOKEN-1", &with_cookie).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one.contains("notify-1-1"), "{one}");
    // The buttons' request: JSON with the cookie. A form or text body is refused, cookie or not.
    let (status, _) = post(
        &h,
        "/_sandbox/transactions/TOKEN-1/notify?merchant=MICODE",
        json,
        "{}",
        &with_cookie,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = post(
        &h,
        "/_sandbox/transactions/TOKEN-1/notify",
        "text/plain",
        "{}",
        &with_cookie,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong = [("cookie", "pay123_sandbox_admin=wrong")];
    let (status, _) = post(
        &h,
        "/_sandbox/transactions/TOKEN-1/notify",
        json,
        "{}",
        &wrong,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = page(&h, "/_sandbox/", &wrong).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A page of another site, by its own name: refused before any token is looked at.
    let (status, _, _) = page(&h, "/_sandbox/login", &[("host", "evil.example")]).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn a_refused_checksum_is_explained_to_the_admin_and_never_to_the_sender() {
    let h = Harness::new(|_| {}).await;
    let wrong = pay123_core::Credentials::new("MICODE", "MIPASSCODE", "NOT-MIKEY").unwrap();
    let client = pay123_core::Client::new(h.http.clone(), wrong, h.sandbox.endpoints());
    let refused = client
        .create_order(&Harness::order("REFUSED-1", BankCode::Vietcombank))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("6000"), "{refused}");

    let refusal = h.sandbox.refusals().pop().expect("the refusal");
    // The sender's answer carries the detail only (its `X-Pay123-Sandbox-Detail`), never the
    // right checksum.
    assert!(!refusal.detail.contains("computed"), "{}", refusal.detail);
    assert!(!refused.to_string().contains("computed"), "{refused}");
    let explanation = refusal.explanation.expect("an explanation of the checksum");
    // Never the right checksum: it would sign what the sender chose.
    let right = Harness::order("REFUSED-1", BankCode::Vietcombank)
        .to_http_request(&pay123_core::Credentials::sandbox(), &h.sandbox.endpoints());
    let right: serde_json::Value = serde_json::from_slice(right.body()).unwrap();
    let right = right["checksum"].as_str().unwrap();
    assert!(!explanation.contains(right), "{explanation}");
    assert!(explanation.contains("given"), "{explanation}");
    assert!(
        explanation.contains("the checksum does not match"),
        "{explanation}"
    );
    assert!(
        explanation.contains("mTransactionID") && explanation.contains("REFUSED-1"),
        "{explanation}"
    );
    assert!(
        !explanation.contains("MIPASSCODE") && !explanation.contains("MIKEY"),
        "{explanation}"
    );

    // A sender without the passcode learns nothing of the right checksum.
    let stranger =
        pay123_core::Credentials::new("MICODE", "NOT-THE-PASSCODE", "NOT-MIKEY").unwrap();
    let client = pay123_core::Client::new(h.http.clone(), stranger, h.sandbox.endpoints());
    client
        .create_order(&Harness::order("REFUSED-2", BankCode::Vietcombank))
        .await
        .unwrap_err();
    let refusal = h.sandbox.refusals().pop().expect("the second refusal");
    assert_eq!(refusal.m_transaction_id.as_deref(), Some("REFUSED-2"));
    assert_eq!(refusal.explanation, None);

    // Nor is a body larger than any real request explained, whoever sends it: the explainer
    // reads it into a tree many times its size (and the sandbox's passcode is public).
    let order = Harness::order("REFUSED-3", BankCode::Vietcombank);
    let wrong = pay123_core::Credentials::new("MICODE", "MIPASSCODE", "NOT-MIKEY").unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&order.to_json(&wrong)).unwrap();
    body["padding"] = serde_json::Value::String("x".repeat(70_000));
    let create = h.url("/miservice/createOrder1");
    let answer = h.http.post_raw(&create, &body, true).await;
    assert!(String::from_utf8_lossy(answer.body()).contains("6000"));
    let refusal = h.sandbox.refusals().pop().expect("the third refusal");
    assert_eq!(refusal.m_transaction_id.as_deref(), Some("REFUSED-3"));
    assert_eq!(refusal.explanation, None);

    let (status, _, page) = page(&h, "/_sandbox/refusals", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<pre class="explanation">"#), "{page}");
    assert!(page.contains("&#60;passcode, 10 characters&#62;"), "{page}");
    assert!(
        !page.contains("<passcode") && !page.contains("MIPASSCODE"),
        "{page}"
    );
    // No transaction was made: no link to one.
    assert!(!page.contains(r#"href="transactions/REFUSED"#), "{page}");
}

#[tokio::test]
async fn what_is_set_up_what_was_dropped_and_what_anyone_may_send_stay_readable() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.create("DROPPED-1", BankCode::Vietcombank).await;
    h.sandbox.drop_next_notify();
    h.sandbox.drop_next_notify();
    h.sandbox
        .fail(
            pay123_sandbox::Method::QueryOrder,
            pay123_core::ReturnCode::Busy,
            Some(3),
        )
        .unwrap();

    // The whole sandbox's set-up, on the list (also at /_sandbox/transactions for a browser).
    let (status, headers, list) = page(&h, "/_sandbox/transactions", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let settings = section_by(&list, r#"id="settings""#, "</div>");
    assert!(settings.contains("queryOrder answers 5000"), "{settings}");
    assert!(settings.contains("the next 3 call(s)"), "{settings}");
    assert!(
        settings.contains("the next 2 notify(ies) will be dropped"),
        "{settings}"
    );

    // A dropped notify says so, and shows no reply it never had.
    h.sandbox
        .force_status("DROPPED-1", TransactionStatus::Cancelled)
        .unwrap();
    h.settled("DROPPED-1").await;
    let (_, _, one) = page(&h, "/_sandbox/transactions/DROPPED-1", &[]).await;
    assert!(
        one.contains("notify 1: dropped on purpose, not sent"),
        "{one}"
    );
    assert!(
        !one.contains("Listener&#39;s reply") && !one.contains("Listener's reply"),
        "{one}"
    );
    let (_, _, list) = page(&h, "/_sandbox/", &[]).await;
    assert!(list.contains("last: dropped on purpose"), "{list}");

    // Refused requests about a transaction: its history keeps the first hundred.
    let stranger = pay123_core::Credentials::new("MICODE", "MIPASSCODE", "NOT-MIKEY").unwrap();
    let client = pay123_core::Client::new(h.http.clone(), stranger, h.sandbox.endpoints());
    let query = pay123_core::QueryOrder::new("DROPPED-1").unwrap();
    for _ in 0..130 {
        client.query_order(&query).await.unwrap_err();
    }
    let history = h.sandbox.transaction("DROPPED-1").unwrap().history;
    let refused = history
        .iter()
        .filter(|e| e.event.contains(" refused with "))
        .count();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == pay123_sandbox::EventKind::Refusal)
            .count(),
        refused
    );
    // (and "createOrder accepted", which every snapshot begins with)
    assert!(
        refused > 90 && history.len() <= 101,
        "{} events",
        history.len()
    );

    // A filter longer than any id looks at nothing.
    let long = "x".repeat(60);
    let (status, _, none) = page(&h, &format!("/_sandbox/?order={long}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!none.contains(r#"id="transactions""#), "{none}");
}

/// The text of `page` from `start` to the next `end`.
fn section_by<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("no {start}: {page}"));
    let to = page[from..].find(end).map_or(page.len(), |e| from + e);
    &page[from..to]
}
