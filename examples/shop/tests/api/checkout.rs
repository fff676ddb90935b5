//! Checkout: the order is recorded first, then createOrder; failures keep it as not created.

use std::time::Duration;

use pay123_core::{BankCode, ReturnCode};
use shop::{CheckoutError, CheckoutFailure, OrderState, Source};

use crate::common::{Behaviour, PUBLIC_URL, setup};

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

    let (sent, pay123_id) = t.fake.created(id).expect("createOrder was sent");
    assert_eq!(sent.total_amount(), 450_000);
    assert_eq!(sent.bank_code(), BankCode::Vietcombank);
    assert_eq!(sent.client_ip(), "203.113.1.10");
    assert_eq!(sent.description(), "Ao dai lua to tam");
    let return_url = format!("{PUBLIC_URL}/return");
    assert_eq!(sent.redirect_url(), return_url);
    assert_eq!(sent.cancel_url(), return_url);
    assert_eq!(sent.error_url(), return_url);

    let order = t.order(id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert!(!order.paid);
    assert_eq!(order.amount, 450_000);
    assert_eq!(order.product_id, "ao-dai");
    assert_eq!(order.bank_code, BankCode::Vietcombank);
    assert_eq!(order.client_ip.as_deref(), Some("203.113.1.10"));
    assert_eq!(
        order.pay123_transaction_id.as_deref(),
        Some(pay123_id.as_str())
    );
    assert_eq!(
        order.redirect_url.as_deref(),
        Some(created.redirect_url.as_str())
    );

    let history = t.history(id).await;
    let steps: Vec<_> = history.iter().map(|h| (h.seq, h.state, h.source)).collect();
    assert_eq!(
        steps,
        [
            (1, OrderState::Creating, Source::Checkout),
            (2, OrderState::Pending, Source::CreateOrder)
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
async fn gateway_errors_keep_the_order_as_not_created() {
    let t = setup().await;
    for code in [
        ReturnCode::Busy,
        ReturnCode::BankCommunication,
        ReturnCode::AuthenticationFailed,
        ReturnCode::InvalidParameter,
    ] {
        t.fake.set_create(Behaviour::Error(code.clone()));
        let error = t.shop.checkout("ca-phe", None, None).await.unwrap_err();
        assert_eq!(
            error.failure(),
            Some(&CheckoutFailure::Gateway(code.clone()))
        );
        assert_eq!(error.status_code(), http::StatusCode::BAD_GATEWAY);
        assert!(
            error.vietnamese().contains(code.vietnamese()),
            "{}",
            error.vietnamese()
        );
        assert!(
            error.vietnamese().contains(&format!("mã {}", code.code())),
            "{}",
            error.vietnamese()
        );
        assert!(
            error
                .english()
                .to_lowercase()
                .contains(&code.english().to_lowercase()),
            "{}",
            error.english()
        );
        let id = error.m_transaction_id().expect("the order is recorded");
        let order = t.order(id).await;
        assert_eq!(order.state, OrderState::NotCreated);
        assert!(!order.paid);
        assert_eq!(order.amount, 120_000);
        assert_eq!(order.error_code.as_deref(), Some(code.code()));
        assert!(order.pay123_transaction_id.is_none());
        let history = t.history(id).await;
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].state, OrderState::NotCreated);
    }
    let busy = CheckoutFailure::Gateway(ReturnCode::Busy);
    assert!(busy.buyer_english().contains("try again"));
}

#[tokio::test]
async fn a_transport_error_keeps_the_order_as_not_created() {
    let t = setup().await;
    t.fake.set_create(Behaviour::Transport);
    let error = t.shop.checkout("ao-dai", None, None).await.unwrap_err();
    assert!(matches!(
        error,
        CheckoutError::NotCreated {
            failure: CheckoutFailure::Transport,
            ..
        }
    ));
    assert!(
        error
            .vietnamese()
            .starts_with("Không kết nối được với 123PAY")
    );
    let order = t.order(error.m_transaction_id().unwrap()).await;
    assert_eq!(order.state, OrderState::NotCreated);
    assert_eq!(order.error_code.as_deref(), Some("transport"));
    // The request never left: 123PAY has nothing, the reconciler has nothing to ask.
    assert_eq!(order.next_check_at, None);
    assert!(
        order
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("connection refused")),
        "{order:?}"
    );
}

/// A createOrder that times out may have reached 123PAY: the order is kept `unsure` (not "not
/// created"), and the buyer is told so and not to pay again.
#[tokio::test]
async fn a_gateway_that_never_answers_times_out_and_leaves_the_order_unsure() {
    let t = setup().await;
    t.fake.set_create(Behaviour::Hang);
    let shop = t
        .shop
        .clone()
        .with_gateway_timeout(Duration::from_millis(200));
    let error = shop.checkout("ao-dai", None, None).await.unwrap_err();
    assert!(matches!(error, CheckoutError::Unsure { .. }), "{error:?}");
    assert_eq!(error.failure(), Some(&CheckoutFailure::Timeout));
    assert_eq!(error.status_code(), http::StatusCode::GATEWAY_TIMEOUT);
    assert!(
        error.english().contains("do not order again"),
        "{}",
        error.english()
    );
    assert!(
        error.vietnamese().contains("chưa bị trừ tiền"),
        "{}",
        error.vietnamese()
    );
    let order = t.order(error.m_transaction_id().unwrap()).await;
    assert_eq!(order.state, OrderState::Unsure);
    assert_eq!(order.error_code.as_deref(), Some("timeout"));
    // The reconciler will ask about it.
    assert!(order.next_check_at.is_some());
}

#[tokio::test]
async fn unknown_products_and_banks_record_nothing() {
    let t = setup().await;
    let error = t.shop.checkout("xe-may", None, None).await.unwrap_err();
    assert!(matches!(error, CheckoutError::UnknownProduct(_)));
    assert_eq!(error.status_code(), http::StatusCode::NOT_FOUND);
    let error = t
        .shop
        .checkout("ao-dai", Some("123PXYZ"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, CheckoutError::UnknownBank(_)));
    assert!(error.m_transaction_id().is_none());
    assert!(t.shop.store().recent_orders(10).await.unwrap().is_empty());
    assert_eq!(t.fake.create_calls(), 0);
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
    assert!(orders.iter().all(|o| o.state == OrderState::Pending));
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
