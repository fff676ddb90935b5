//! Turning accented Vietnamese into the ASCII 123PAY requires ("Tiếng Việt không dấu").
//!
//! 123PAY refuses values with diacritics, so the core never sends them: validation fails with
//! [`Rule::NotAscii`](crate::Rule::NotAscii) and points here. Converting is an explicit step so
//! that a merchant sees what is sent.

/// Removes Vietnamese diacritics (and transliterates any other non-ASCII text) with `deunicode`.
///
/// ```
/// use pay123_core::text::unaccent;
/// assert_eq!(unaccent("Nguyễn Văn Ánh"), "Nguyen Van Anh");
/// assert_eq!(unaccent("Đà Nẵng"), "Da Nang");
/// assert_eq!(unaccent("Đơn hàng số 12"), "Don hang so 12");
/// ```
#[must_use]
pub fn unaccent(text: &str) -> String {
    deunicode::deunicode_with_tofu(text, "?")
}

/// Like [`unaccent`], then keeps only what a createOrder `description` allows (letters, digits,
/// spaces and `. : , - _`), dropping the rest and collapsing spaces.
///
/// ```
/// use pay123_core::text::description;
/// assert_eq!(description("Áo thun (size M) – 50% giảm!"), "Ao thun size M - 50 giam");
/// ```
#[must_use]
pub fn description(text: &str) -> String {
    let ascii = unaccent(text);
    let kept: String = ascii
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | ':' | ',' | '-' | '_'))
        .collect();
    let mut out = String::with_capacity(kept.len());
    for word in kept.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.chars().take(255).collect()
}
