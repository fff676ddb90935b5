//! A buyer without a browser: real HTTP requests, following redirects, filling HTML forms.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use pay123_hyper::HyperClient;
use scraper::{Html, Selector};

/// A page the buyer got: its URL, status, headers and body.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL requested.
    pub url: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// The `Location` header resolved against the page URL, for a redirect.
    pub fn location(&self) -> Option<String> {
        let location = self.headers.get(header::LOCATION)?.to_str().ok()?;
        Some(resolve(&self.url, location))
    }

    /// The text of the element with this id, whitespace collapsed.
    pub fn text_of(&self, id: &str) -> Option<String> {
        let html = Html::parse_document(&self.body);
        let selector = Selector::parse(&format!("#{id}")).ok()?;
        let element = html.select(&selector).next()?;
        Some(
            element
                .text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// Whether the body contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// Resolves a possibly relative URL against a base.
pub fn resolve(base: &str, target: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(target))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| target.to_owned())
}

/// An HTTP buyer.
#[derive(Debug, Clone)]
pub struct Buyer {
    http: HyperClient,
}

impl Default for Buyer {
    fn default() -> Self {
        Self::new()
    }
}

impl Buyer {
    /// A buyer with a 20-second request timeout.
    pub fn new() -> Self {
        Self {
            http: HyperClient::builder()
                .request_timeout(Duration::from_secs(20))
                .build(),
        }
    }

    /// Sends a request and reads the whole answer; no redirect is followed.
    pub async fn send(&self, request: Request<Bytes>) -> Page {
        let url = request.uri().to_string();
        let response = self
            .http
            .send(request)
            .await
            .unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
        let (parts, body) = response.into_parts();
        Page {
            url,
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `GET url`, no redirect followed.
    pub async fn get(&self, url: &str) -> Page {
        self.send(Request::get(url).body(Bytes::new()).expect("a valid URL"))
            .await
    }

    /// `GET url` with `Accept: application/json`, parsed.
    pub async fn get_json(&self, url: &str) -> serde_json::Value {
        let page = self
            .send(
                Request::get(url)
                    .header(header::ACCEPT, "application/json")
                    .body(Bytes::new())
                    .expect("a valid URL"),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "GET {url}: {}", page.body);
        serde_json::from_str(&page.body)
            .unwrap_or_else(|e| panic!("GET {url} is not JSON ({e}): {}", page.body))
    }

    /// `POST url` with a form body, no redirect followed.
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Bytes::from(body))
                .expect("a valid URL"),
        )
        .await
    }

    /// Follows redirects (as `GET`) until a page that is not a redirect.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            if !page.status.is_redirection() {
                return page;
            }
            let next = page
                .location()
                .unwrap_or_else(|| panic!("a redirect without Location from {}", page.url));
            page = self.get(&next).await;
        }
        panic!("too many redirects, last at {}", page.url);
    }

    /// Submits the form `form_id` of a page the way a browser would: its fields with their
    /// current values, `values` filled in, and the submit button `button` (its name and value),
    /// then follows redirects.
    pub async fn submit(
        &self,
        page: &Page,
        form_id: &str,
        values: &[(&str, &str)],
        button: &str,
    ) -> Page {
        let answer = self.submit_only(page, form_id, values, button).await;
        self.follow(answer).await
    }

    /// Like [`submit`](Self::submit), without following the answer's redirect (a buyer who
    /// closes the browser at once).
    pub async fn submit_only(
        &self,
        page: &Page,
        form_id: &str,
        values: &[(&str, &str)],
        button: &str,
    ) -> Page {
        let (action, mut fields) = {
            let html = Html::parse_document(&page.body);
            let form_selector = Selector::parse(&format!("form#{form_id}")).expect("selector");
            let form = html
                .select(&form_selector)
                .next()
                .unwrap_or_else(|| panic!("no form #{form_id} at {}: {}", page.url, page.body));
            let action = resolve(&page.url, form.value().attr("action").unwrap_or(""));
            let mut fields: Vec<(String, String)> = Vec::new();
            let inputs =
                Selector::parse("input[name], select[name], textarea[name]").expect("selector");
            for input in form.select(&inputs) {
                let name = input.value().attr("name").unwrap_or_default().to_owned();
                let kind = input.value().attr("type").unwrap_or("text");
                if matches!(kind, "submit" | "button" | "image" | "reset") {
                    continue;
                }
                if matches!(kind, "checkbox" | "radio") && input.value().attr("checked").is_none() {
                    continue;
                }
                let value = match input.value().name() {
                    "select" => {
                        let options = Selector::parse("option").expect("selector");
                        let mut chosen = None;
                        for option in input.select(&options) {
                            let v = option
                                .value()
                                .attr("value")
                                .map(str::to_owned)
                                .unwrap_or_else(|| option.text().collect());
                            if chosen.is_none() || option.value().attr("selected").is_some() {
                                chosen = Some(v);
                            }
                        }
                        chosen.unwrap_or_default()
                    }
                    "textarea" => input.text().collect(),
                    _ => input.value().attr("value").unwrap_or_default().to_owned(),
                };
                fields.push((name, value));
            }
            let button_selector = Selector::parse(&format!("#{button}")).expect("selector");
            let button = form.select(&button_selector).next().unwrap_or_else(|| {
                panic!("no button #{button} in form #{form_id} at {}", page.url)
            });
            if let Some(name) = button.value().attr("name") {
                fields.push((
                    name.to_owned(),
                    button.value().attr("value").unwrap_or_default().to_owned(),
                ));
            }
            (action, fields)
        };
        for (name, value) in values {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => panic!("form #{form_id} at {} has no field {name}", page.url),
            }
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.post_form(&action, &pairs).await
    }
}
