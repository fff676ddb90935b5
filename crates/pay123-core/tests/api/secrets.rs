//! Debug and Display of credentials, configurations and errors never contain the secret.

use bytes::Bytes;
use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder};
use pay123_core::{
    Client, CreateOrder, CreatedOrder, Credentials, Endpoints, NotifyListener, NotifyVerifier,
    QueryOrder, SecretKey,
};

const KEY: &str = "s3cr3t-KEY-zz9";
const PASS: &str = "pass-CODE-qq7";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the secret key: {text}");
    assert!(!text.contains(PASS), "{what} shows the passcode: {text}");
}

#[test]
fn nothing_shows_the_secret_or_the_passcode() {
    let creds = Credentials::new("SHOP1", PASS, KEY).unwrap();
    assert_clean("Credentials", &format!("{creds:?} {creds:#?}"));
    assert_clean("SecretKey", &format!("{:?}", creds.secret_key()));
    assert_clean("Passcode", &format!("{:?}", creds.passcode()));
    let listener = NotifyListener::new(creds.secret_key().clone());
    assert_clean("NotifyListener", &format!("{listener:?}"));
    assert_clean(
        "NotifyVerifier",
        &format!("{:?}", NotifyVerifier::new(SecretKey::new(KEY))),
    );
    let transport = |_r: http::Request<Bytes>| async {
        Ok::<_, std::io::Error>(http::Response::new(Bytes::new()))
    };
    let client = Client::new(transport, creds.clone(), Endpoints::sandbox());
    assert_clean("Client", &format!("{:?}", client.credentials()));

    let order = CreateOrder::builder("A1", 1000, "https://shop.vn/")
        .build()
        .unwrap();
    assert_clean("signing string", &order.signing_string_masked(&creds));
    let query = QueryOrder::new("A1").unwrap();
    assert_clean("signing string", &query.signing_string_masked(&creds));

    // The gateway side's parsed requests and its errors.
    let received = ReceivedCreateOrder::from_json(&order.to_json(&creds)).unwrap();
    assert_clean("ReceivedCreateOrder", &format!("{received:?}"));
    let other = Credentials::new("SHOP1", "other-pass", KEY).unwrap();
    let e = received.authenticate(&other).unwrap_err();
    assert_clean("RequestError", &format!("{e} {e:?}"));
    let received = ReceivedQueryOrder::from_json(&query.to_json(&creds)).unwrap();
    assert_clean("ReceivedQueryOrder", &format!("{received:?}"));
    let e = received
        .authenticate(&Credentials::new("SHOP1", PASS, "k2").unwrap())
        .unwrap_err();
    assert_clean("RequestError", &format!("{e} {e:?}"));

    // A checksum error names the message and the field order, not the key.
    let created = CreatedOrder::new("123P1", "https://pay.vn/");
    let body = created.to_json(&SecretKey::new("another"));
    let e = CreatedOrder::from_json(&body, creds.secret_key()).unwrap_err();
    let text = format!("{e} {e:?}");
    assert_clean("ResponseError", &text);
    assert!(text.contains("createOrder response"), "{text}");
    assert!(
        text.contains("returnCode+123PAYtransactionId+redirectURL+secretKey"),
        "{text}"
    );
    let e = pay123_core::Error::from(e);
    assert_clean("Error", &format!("{e} {e:?}"));
}
