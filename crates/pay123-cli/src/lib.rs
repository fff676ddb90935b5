//! The library behind `pay123`, the command line of a 123PAY integrator: the go-live self-check
//! ([`qc`]), which runs 123PAY's merchant QC cases against a merchant's own shop and writes the
//! report of the evidence of each case.
//!
//! The command line's other commands (checksums, orders, notifies, the sandbox) are in the
//! binary; its manual is `docs/cli.md` in pay123's repository (and `pay123 --help`).

pub mod qc;

/// `text` as one segment of a URL path: every byte but ASCII letters and digits encoded (a space
/// as `%20`, `/` as `%2F`), so that an order id never adds a segment nor reads as a query.
#[must_use]
pub fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Whether a character from the other side (a shop's reply, an answer, an input) may change how
/// a terminal or a Markdown viewer shows what follows it: control characters (line breaks
/// included), the bidirectional marks and overrides, soft hyphens, invisible separators and
/// joiners. The CLI's output and the check's report escape or replace them.
#[must_use]
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_segment_is_one_segment() {
        assert_eq!(super::path_segment("ORDER-1"), "ORDER%2D1");
        assert_eq!(super::path_segment("A B/C?d#e"), "A%20B%2FC%3Fd%23e");
        assert_eq!(super::path_segment("Đơn"), "%C4%90%C6%A1n");
    }
}
