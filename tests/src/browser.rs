//! A real browser: headless Chromium driven through WebDriver (ChromeDriver), buying in the shop
//! and paying on the sandbox's bank pages.

use std::time::Duration;

use fantoccini::{Client, Locator};
use pay123_cli::qc::ChromeDriver;
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE, TEST_OTP};

use crate::world::{Launcher, World};

async fn fill(browser: &Client, id: &str, text: &str) {
    let input = browser.find(Locator::Id(id)).await.expect(id);
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

async fn click(browser: &Client, id: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .expect(id)
        .click()
        .await
        .expect("click");
}

async fn wait_for(browser: &Client, id: &str) -> String {
    text(browser, &format!("#{id}")).await
}

async fn select(browser: &Client, id: &str, value: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .expect(id)
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value} in #{id}: {e}"));
}

/// The shop, the sandbox, ChromeDriver and a Chromium session on the shop's product page.
async fn open_shop<L: Launcher>(launcher: &L) -> (World, ChromeDriver, Client) {
    let world = World::start(launcher, |_| {}).await;
    let driver = ChromeDriver::start()
        .await
        .expect("ChromeDriver starts (scripts/test installs chromium and chromium-driver)");
    let browser = driver.session().await.expect("a Chromium session");
    browser
        .goto(&format!("{}/", world.shop_url))
        .await
        .expect("open the shop");
    (world, driver, browser)
}

/// Buys a product through the bank choice page, the card page and the OTP page, returns to the
/// shop and sees the order paid.
pub async fn browser_payment<L: Launcher>(launcher: &L) {
    let (world, _driver, browser) = open_shop(launcher).await;
    buy_and_pay(&browser).await;
    let url = browser.current_url().await.expect("the URL");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/return?", world.shop_url)),
        "{url}"
    );
    assert_eq!(wait_for(&browser, "paid").await, "yes");
    assert_eq!(wait_for(&browser, "order-status").await, "paid");
    let id = wait_for(&browser, "order-id").await;
    let order = world.order(&id).await;
    assert_eq!(order["paid"], true, "{order}");
    assert_eq!(order["paidBankCode"], "123PVCB");
    browser.close().await.expect("close");
}

/// Buys the ao dai and pays on the bank pages with the test card, back to the shop's return
/// page.
async fn buy_and_pay(browser: &Client) {
    click(browser, "buy-ao-dai").await;
    wait_for(browser, "bank_form").await;
    select(browser, "bank_code", "123PVCB").await;
    click(browser, "pay").await;
    wait_for(browser, "card_form").await;
    fill(browser, "card_holder", TEST_CARD_HOLDER).await;
    fill(browser, "card_number", TEST_CARD_NUMBER).await;
    fill(browser, "issue_date", TEST_ISSUE_DATE).await;
    click(browser, "pay").await;
    wait_for(browser, "otp_form").await;
    fill(browser, "otp", TEST_OTP).await;
    click(browser, "pay").await;
    wait_for(browser, "return-result").await;
}

/// Pays an order in the shop, opens its transaction in the sandbox's dashboard, reads the
/// notify and the shop's reply in the timeline, resends the notify with the dashboard's button
/// and sees the second delivery answered `2` (already handled).
pub async fn browser_dashboard<L: Launcher>(launcher: &L) {
    let (world, _driver, browser) = open_shop(launcher).await;
    buy_and_pay(&browser).await;
    assert_eq!(wait_for(&browser, "paid").await, "yes");
    let id = wait_for(&browser, "order-id").await;
    world
        .sandbox
        .wait_for(&id, Duration::from_secs(20), |t| {
            t.is_final && !t.notify_in_progress
        })
        .await
        .expect("the notify delivered");

    let page = format!("{}/_sandbox/transactions/{id}", world.sandbox.base_url());
    browser.goto(&page).await.expect("open the dashboard");
    assert_eq!(wait_for(&browser, "status").await, "1");
    // `1`, or `2` when the return page confirmed the payment before the notify came.
    let first = text(&browser, "#notify-1-1 .return-code").await;
    assert!(first == "1" || first == "2", "{first}");
    assert_eq!(text(&browser, "#notify-1-1 .verified").await, "verified");
    assert!(
        text(&browser, "#notify-1-1 .request-body")
            .await
            .contains(&format!("mTransactionID={id}")),
    );
    let timeline = text(&browser, "#timeline").await;
    assert!(
        timeline.contains("queryOrder answered: status 1"),
        "{timeline}"
    );

    click(&browser, "resend-notify").await;
    // The button's answer, then the page reloads; the second delivery is quick on loopback.
    let mut second = None;
    for round in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The script reloads the page once; a delivery recorded after that needs another.
        if round > 4 {
            browser.refresh().await.expect("reload");
        }
        if let Ok(code) = browser.find(Locator::Css("#notify-2-1 .return-code")).await {
            second = Some(code.text().await.expect("text"));
            break;
        }
    }
    assert_eq!(second.as_deref(), Some("2"), "the resent notify's reply");
    browser.close().await.expect("close");
}

/// The text of the element `css` selects, once it appears (at most 20 s).
async fn text(browser: &Client, css: &str) -> String {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
        .text()
        .await
        .expect("text")
}

/// Cancels on the card page: back at the shop, the order is not paid and is cancelled.
pub async fn browser_cancel<L: Launcher>(launcher: &L) {
    let (_world, _driver, browser) = open_shop(launcher).await;
    select(&browser, "bank-code", "123PVCB").await;
    click(&browser, "buy-ca-phe").await;
    wait_for(&browser, "card_form").await;
    click(&browser, "cancel").await;
    wait_for(&browser, "return-result").await;
    assert_eq!(wait_for(&browser, "paid").await, "no");
    assert_eq!(wait_for(&browser, "order-status").await, "failed");
    assert_eq!(wait_for(&browser, "transaction-status").await, "-100");
    browser.close().await.expect("close");
}
