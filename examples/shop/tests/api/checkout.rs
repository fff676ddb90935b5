//! Checkout: what an order buys is recorded, then the payment flow records and creates its
//! payment; a refusal keeps both.

use pay123_core::payments::{PaymentState, Source};
use pay123_core::{BankCode, ReturnCode};
use shop::CheckoutError;

use crate::common::{PUBLIC_URL, setup};

#[tokio::test]
async fn checkout_records_the_order_then_creates_the_payment() {
    let t = setup().await;
    let ip = "203.113.1.10".parse().unwrap();
    let created = t
        .shop
        .checkout("ao-dai", Some("123PVCB"), Some(ip))
        .await
        .unwrap();
    let id = &created.m_transaction_id;

    let (sent, answer) = t.fake.created(id).expect("createOrder was sent");
    assert_eq!(sent.total_amount(), 450_000);
    assert_eq!(sent.bank_code(), BankCode::Vietcombank);
    assert_eq!(sent.client_ip(), "203.113.1.10");
    assert_eq!(sent.description(), "Ao dai lua to tam");
    let return_url = format!("{PUBLIC_URL}/return");
    assert_eq!(sent.redirect_url(), return_url);
    assert_eq!(sent.cancel_url(), return_url);
    assert_eq!(sent.error_url(), return_url);
    assert_eq!(created.redirect_url, answer.payment_url());

    let order = t.order(id).await;
    assert_eq!(order.amount, 450_000);
    assert_eq!(order.product_id, "ao-dai");
    assert_eq!(order.bank_code, BankCode::Vietcombank);
    assert_eq!(order.client_ip.as_deref(), Some("203.113.1.10"));
    let payment = order.payment.expect("the payment is recorded");
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(payment.amount, 450_000);
    assert_eq!(
        payment.pay123_transaction_id.as_deref(),
        Some(answer.pay123_transaction_id())
    );
    let steps: Vec<_> = t
        .history(id)
        .await
        .iter()
        .map(|h| (h.version, h.state, h.source))
        .collect();
    assert_eq!(
        steps,
        [
            (1, PaymentState::Creating, Source::Checkout),
            (2, PaymentState::Pending, Source::CreateOrder)
        ]
    );
}

#[tokio::test]
async fn no_bank_means_123pay_and_ipv6_is_left_out() {
    let t = setup().await;
    for bank in [None, Some(""), Some("123PAY")] {
        let created = t
            .shop
            .checkout("non-la", bank, Some("::1".parse().unwrap()))
            .await
            .unwrap();
        let (sent, _) = t.fake.created(&created.m_transaction_id).unwrap();
        assert_eq!(sent.bank_code(), BankCode::Pay123);
        assert_eq!(sent.client_ip(), "");
    }
}

#[tokio::test]
async fn a_refused_checkout_keeps_the_order_and_says_why() {
    let t = setup().await;
    for (code, status) in [
        (ReturnCode::Busy, 503),
        (ReturnCode::BankCommunication, 503),
        (ReturnCode::AuthenticationFailed, 500),
        (ReturnCode::OverLimit, 502),
    ] {
        t.fake.fail_create_order(Some(code.clone()));
        let error = t.shop.checkout("ca-phe", None, None).await.unwrap_err();
        assert_eq!(error.status_code().as_u16(), status, "{code}");
        assert_eq!(error.code(), code.code());
        assert!(
            error.vietnamese().contains(&format!("mã {}", code.code())),
            "{}",
            error.vietnamese()
        );
        let id = error.m_transaction_id().expect("the order is recorded");
        let order = t.order(id).await;
        assert_eq!(order.amount, 120_000);
        let payment = order.payment.unwrap();
        assert_eq!(payment.state, PaymentState::NotCreated);
        assert_eq!(payment.error_code.as_deref(), Some(code.code()));
        // The order's page says the same as the checkout did.
        let view = t.shop.order(id).await.unwrap().unwrap();
        assert!(
            view.message_vi.contains("Đơn hàng đã được lưu"),
            "{}",
            view.message_vi
        );
    }
}

#[tokio::test]
async fn unknown_products_and_banks_record_nothing() {
    let t = setup().await;
    let error = t.shop.checkout("xe-may", None, None).await.unwrap_err();
    assert!(matches!(error, CheckoutError::UnknownProduct(_)));
    assert_eq!(error.status_code(), http::StatusCode::NOT_FOUND);
    let error = t
        .shop
        .checkout("ao-dai", Some("123pxyz"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, CheckoutError::UnknownBank(_)));
    assert!(error.m_transaction_id().is_none());
    assert!(t.shop.store().recent_orders(10).await.unwrap().is_empty());
    assert_eq!(t.fake.create_calls(), 0);
    // A bank 123PAY added after the specification is passed on to 123PAY.
    t.shop
        .checkout("ao-dai", Some("123PKLB"), None)
        .await
        .expect("a bank code of 123PAY's form");
    assert_eq!(t.fake.create_calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_get_distinct_orders() {
    let t = setup().await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let shop = t.shop.clone();
            let product = shop::CATALOG[i % shop::CATALOG.len()].id;
            tokio::spawn(async move { shop.checkout(product, None, None).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().m_transaction_id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30);
    let orders = t.shop.store().recent_orders(100).await.unwrap();
    assert_eq!(orders.len(), 30);
    assert!(
        orders
            .iter()
            .all(|o| o.payment.as_ref().unwrap().state == PaymentState::Pending)
    );
    assert_eq!(t.fake.create_calls(), 30);
}

/// One address gets its share of checkouts per minute: each is a createOrder and an order to
/// reconcile. The others are refused (429) with nothing recorded.
#[tokio::test]
async fn checkouts_are_limited_per_address() {
    let t = setup().await;
    let shop = t.shop.clone().with_checkouts_per_minute(2);
    let buyer: std::net::IpAddr = "203.113.1.10".parse().unwrap();
    for _ in 0..2 {
        shop.checkout("ao-dai", None, Some(buyer)).await.unwrap();
    }
    let error = shop
        .checkout("ao-dai", None, Some(buyer))
        .await
        .unwrap_err();
    assert!(matches!(error, CheckoutError::TooMany), "{error:?}");
    assert_eq!(error.status_code(), http::StatusCode::TOO_MANY_REQUESTS);
    assert!(error.vietnamese().contains("Quá nhiều đơn hàng"));
    assert_eq!(t.fake.create_calls(), 2);
    assert_eq!(t.shop.store().recent_orders(10).await.unwrap().len(), 2);
    // Another buyer is served.
    let other: std::net::IpAddr = "203.113.1.11".parse().unwrap();
    shop.checkout("ao-dai", None, Some(other)).await.unwrap();
}
