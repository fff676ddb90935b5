//! The HTTP contract through `shop::http::handle`: routes, status codes, headers, page ids and
//! the JSON view.

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use pay123_core::{BankCode, ReturnCode, TransactionStatus};
use shop::http::{MAX_FORM_BODY, ORDER_ID_HEADER, handle};

use crate::common::{
    Behaviour, checkout, json, notify, order_id_header, return_query, setup, text,
};

#[tokio::test]
async fn the_product_page_has_a_buy_button_per_product_and_every_bank() {
    let t = setup().await;
    let response = t.get("/").send().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = text(&response);
    assert!(html.contains(r#"action="/checkout""#));
    for product in shop::CATALOG {
        assert!(
            html.contains(&format!(r#"id="buy-{}""#, product.id)),
            "{}",
            product.id
        );
        assert!(html.contains(&format!(r#"value="{}""#, product.id)));
        assert!(html.contains(product.name));
    }
    assert!(html.contains("450.000 ₫"));
    assert!(html.contains(r#"name="bank_code""#));
    assert!(html.contains("123PAY: chọn ngân hàng tại 123PAY"));
    for bank in BankCode::BANKS {
        assert!(
            html.contains(&format!(r#"value="{}""#, bank.code())),
            "{bank}"
        );
    }
}

#[tokio::test]
async fn checkout_answers_303_to_the_gateway() {
    let t = setup().await;
    let response = t
        .post("/checkout")
        .form("product_id=non-la&bank_code=123PVCB")
        .send()
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = order_id_header(&response);
    let order = t.order(&id).await;
    assert_eq!(
        response.headers()[header::LOCATION],
        order.redirect_url.unwrap().as_str()
    );
    let (sent, _) = t.fake.created(&id).unwrap();
    assert_eq!(sent.bank_code(), BankCode::Vietcombank);
    assert_eq!(sent.client_ip(), "127.0.0.1");
    assert_eq!(sent.total_amount(), 85_000);
}

#[tokio::test]
async fn a_failed_checkout_shows_the_buyer_a_clear_message() {
    let t = setup().await;
    t.fake.set_create(Behaviour::Error(ReturnCode::Busy));
    let response = t.post("/checkout").form("product_id=ao-dai").send().await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let id = order_id_header(&response);
    let html = text(&response);
    assert!(html.contains("Hệ thống bận (mã 5000)"), "{html}");
    assert!(html.contains("System busy (code 5000)"));
    assert!(html.contains(r#"id="error-code">5000<"#));
    assert!(html.contains(&format!(r#"id="order-id">{id}<"#)));

    let response = t
        .post("/checkout")
        .accept("application/json")
        .form("product_id=ao-dai")
        .send()
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = json(&response);
    assert_eq!(body["error"], "5000");
    assert_eq!(
        body["mTransactionID"],
        response.headers()[ORDER_ID_HEADER].to_str().unwrap()
    );
    assert!(
        body["messageVi"]
            .as_str()
            .unwrap()
            .starts_with("Hệ thống bận")
    );

    // The order page shows the order as not created.
    let response = t
        .get(&format!("/orders/{id}"))
        .accept("application/json")
        .send()
        .await;
    assert_eq!(json(&response)["status"], "not_created");
    assert_eq!(json(&response)["errorCode"], "5000");
}

#[tokio::test]
async fn bad_checkout_forms() {
    let t = setup().await;
    let response = t.post("/checkout").form("product_id=xe-may").send().await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get(ORDER_ID_HEADER).is_none());
    let response = t.post("/checkout").form("bank_code=123PVCB").send().await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = t
        .post("/checkout")
        .form("product_id=ao-dai&bank_code=JCB")
        .send()
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let big = format!("product_id=ao-dai&x={}", "a".repeat(MAX_FORM_BODY));
    let response = t.post("/checkout").form(&big).send().await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.fake.create_calls(), 0);
}

#[tokio::test]
async fn the_order_json_has_the_contract_fields() {
    let t = setup().await;
    let id = checkout(&t.shop, "ca-phe").await;
    let uri = format!("/orders/{id}");
    let response = t.get(&uri).accept("application/json").send().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body = json(&response);
    assert_eq!(body["mTransactionID"], id.as_str());
    assert_eq!(body["status"], "pending");
    assert_eq!(body["paid"], false);
    assert_eq!(body["amount"], 120_000);
    assert_eq!(body["productId"], "ca-phe");
    assert_eq!(body["bankCode"], "123PAY");
    let (_, pay123_id) = t.fake.created(&id).unwrap();
    assert_eq!(body["123PAYtransactionId"], pay123_id.as_str());
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
    assert_eq!(body["history"][0]["status"], "creating");
    assert_eq!(body["history"][1]["source"], "create_order");

    t.fake.set_status(&id, "1");
    t.shop.on_notify(notify(&id, "1")).await;
    let body = json(&t.get(&uri).accept("application/json").send().await);
    assert_eq!(body["status"], "paid");
    assert_eq!(body["paid"], true);
    assert_eq!(body["transactionStatus"], "1");
    assert_eq!(body["opAmount"], 120_000);
    assert_eq!(body["paidBankCode"], "123PVCB");
    assert_eq!(body["history"][2]["status"], "paid");
    assert_eq!(body["history"][2]["source"], "notify");
}

#[tokio::test]
async fn the_order_page_has_stable_ids() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    let uri = format!("/orders/{id}");
    let html = text(&t.get(&uri).accept("text/html").send().await);
    assert!(html.contains(&format!(r#"id="order-id">{id}<"#)));
    assert!(html.contains(r#"id="order-status">pending<"#), "{html}");
    assert!(html.contains(r#"id="paid">no<"#));
    assert!(html.contains(r#"id="amount">450.000 ₫<"#));

    t.fake.set_status(&id, "1");
    t.shop.on_notify(notify(&id, "1")).await;
    let html = text(&t.get(&uri).send().await);
    assert!(html.contains(r#"id="order-status">paid<"#));
    assert!(html.contains(r#"id="paid">yes<"#));
    assert!(html.contains("Đã thanh toán"));
}

#[tokio::test]
async fn the_return_route_checks_with_123pay() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    let query = return_query(&id, TransactionStatus::Success);
    let response = t.get(&format!("/return?{query}")).send().await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(&response);
    assert!(html.contains(r#"id="order-status">paid<"#), "{html}");
    assert!(html.contains(r#"id="paid">yes<"#));
    assert!(html.contains(r#"data-ticket="verified""#));
    assert_eq!(t.fake.query_calls(), 1);

    let response = t.get("/return").send().await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(text(&response).contains(r#"id="order-not-found""#));
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let t = setup().await;
    let cases = [
        (Method::GET, "/nothing", StatusCode::NOT_FOUND),
        (Method::POST, "/123pay/notify", StatusCode::NOT_FOUND),
        (Method::GET, "/orders/SHOP-NOT-HERE", StatusCode::NOT_FOUND),
        (Method::GET, "/checkout", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/return", StatusCode::METHOD_NOT_ALLOWED),
        (Method::DELETE, "/orders/x", StatusCode::METHOD_NOT_ALLOWED),
    ];
    for (method, uri, status) in cases {
        let response = t.call(method.clone(), uri).send().await;
        assert_eq!(response.status(), status, "{method} {uri}");
    }
    let response = t
        .get("/orders/SHOP-NOT-HERE")
        .accept("application/json")
        .send()
        .await;
    assert_eq!(json(&response)["error"], "not_found");
}

#[tokio::test]
async fn the_shop_runs_on_a_multi_threaded_server() {
    // A server spawns each request on its own task: the futures must be `Send`.
    let t = setup().await;
    let shop = t.shop.clone();
    let page = tokio::spawn(async move {
        let request = Request::builder().uri("/").body(Bytes::new()).unwrap();
        handle(&shop, request, None).await.status()
    });
    assert_eq!(page.await.unwrap(), StatusCode::OK);
    let shop = t.shop.clone();
    let outcome = tokio::spawn(async move { shop.on_notify(notify("SHOP-X", "1")).await });
    assert_eq!(outcome.await.unwrap(), pay123_core::NotifyOutcome::Failed);
}
