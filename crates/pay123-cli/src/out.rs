//! Output: tables for people (colour only on a terminal), JSON for scripts, errors on stderr.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use comfy_table::{Table, presets};

/// Where and how a command prints.
pub(crate) struct Out {
    json: bool,
}

const GOOD: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();

impl Out {
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether `--json` was given.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// Prints the error of a command that failed: one line on stderr, and with `--json` an
    /// object on stdout too, for scripts.
    pub(crate) fn failure(&self, text: &str, exit: u8) {
        if self.json {
            self.value(&serde_json::json!({"error": text, "exit": exit}));
        }
        self.error(text);
    }

    /// Prints a JSON value (pretty), for `--json`, fit for a terminal: what JSON leaves as is
    /// and a terminal acts on (DEL, C1 controls such as U+009B, bidirectional overrides) is
    /// written as a JSON escape (`\u009b`), which reads back as the same string.
    pub(crate) fn value(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
        let _ = writeln!(std::io::stdout(), "{}", json_safe(&text));
    }

    /// Prints a line for people (colour codes are dropped when stdout is not a terminal).
    pub(crate) fn line(&self, text: &str) {
        let _ = writeln!(anstream::stdout(), "{}", terminal_safe(text));
    }

    /// Prints a table with a header row.
    pub(crate) fn table<R>(&self, header: &[&str], rows: impl IntoIterator<Item = R>)
    where
        R: IntoIterator<Item: AsRef<str>>,
    {
        let mut table = Table::new();
        table.load_preset(presets::NOTHING);
        table.set_header(header.iter().copied());
        for row in rows {
            table.add_row(row.into_iter().map(|cell| clean(cell.as_ref())));
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        let text = table
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        self.line(&text);
    }

    /// Prints `name: value` pairs aligned.
    pub(crate) fn pairs(&self, pairs: &[(&str, String)]) {
        let width = pairs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in pairs {
            self.line(&format!("{name:<width$}  {}", clean(value)));
        }
    }

    /// A progress note on stderr (never on stdout, never with `--json` output mixed in).
    pub(crate) fn progress(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "{}", dim(&clean(text)));
    }

    /// The one line of an error, on stderr.
    pub(crate) fn error(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "pay123: {}", clean(text));
    }
}

/// The longest text from the other side shown in one place.
const MAX_SHOWN: usize = 500;

/// Text from the other side (a reply, an answer, an input), fit for a terminal on one line:
/// every control character (escape sequences, carriage returns, line breaks), C1 control and
/// bidirectional override written as an escape (`\u{1b}`), and at most 500 characters.
pub(crate) fn clean(text: &str) -> String {
    let mut shown = String::with_capacity(text.len().min(MAX_SHOWN));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN {
            shown.push('…');
            break;
        }
        if is_unsafe(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Our own text, whose line breaks and colours (SGR sequences) are kept, with anything else
/// unsafe escaped: a second guard behind [`clean`].
fn terminal_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\x1b' {
            // `ESC [ digits;digits m`: a colour, kept.
            let rest = &text[at + 1..];
            let sgr = rest.strip_prefix('[').and_then(|r| {
                let end = r.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                r[end..].starts_with('m').then_some(end + 2)
            });
            if let Some(len) = sgr {
                safe.push_str(&text[at..at + 1 + len]);
                for _ in 0..len {
                    chars.next();
                }
                continue;
            }
        }
        if c != '\n' && is_unsafe(c) {
            safe.extend(c.escape_unicode());
        } else {
            safe.push(c);
        }
    }
    safe
}

/// JSON text with every character [`is_unsafe`] written as a `\uXXXX` escape. serde_json
/// escapes the C0 controls already; the others can only stand inside strings, where the escape
/// means the same character.
fn json_safe(json: &str) -> String {
    json.chars()
        .fold(String::with_capacity(json.len()), |mut safe, c| {
            if c == '\n' || !is_unsafe(c) {
                safe.push(c);
            } else {
                let mut units = [0u16; 2];
                let escapes = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("\\u{u:04x}"));
                safe.extend(escapes);
            }
            safe
        })
}

use pay123_cli::is_unsafe_char as is_unsafe;

/// `text` in green (on a terminal).
pub(crate) fn good(text: &str) -> String {
    format!("{}{text}{}", GOOD.render(), GOOD.render_reset())
}

/// `text` in red (on a terminal).
pub(crate) fn bad(text: &str) -> String {
    format!("{}{text}{}", BAD.render(), BAD.render_reset())
}

fn dim(text: &str) -> String {
    format!("{}{text}{}", DIM.render(), DIM.render_reset())
}

/// `yes` or `no`.
pub(crate) fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_other_side_cannot_drive_the_terminal() {
        let evil = "a\x1b[2J\x1b]0;title\x07b\rc\nd\u{202e}e\u{9b}f";
        let shown = clean(evil);
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        assert!(shown.contains("\\u{1b}[2J"), "{shown}");
        assert_eq!(clean(&"x".repeat(600)).chars().count(), 501);
        // Our own colours survive the second guard; an injected clear-screen does not.
        let own = format!("{} {}", good("ok"), "\x1b[2J");
        let safe = terminal_safe(&own);
        assert!(
            safe.contains("\x1b[32m") || safe.contains("\x1b[1m"),
            "{safe:?}"
        );
        assert!(!safe.contains("\x1b[2J"), "{safe:?}");
    }

    /// `--json` writes a server's text as JSON, which leaves C1 controls (U+009B, a CSI on
    /// many terminals), DEL and bidirectional overrides as they are: escaped here, and the
    /// JSON still reads back as the same strings.
    #[test]
    fn json_output_cannot_drive_the_terminal() {
        let evil = "a\u{9b}2Jb\u{7f}c\u{202e}d\u{1b}[2Je\nf😀\u{2028}g\u{feff}";
        let value = serde_json::json!({"description": evil, "list": [evil]});
        let text = json_safe(&serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text:?}");
        assert!(text.contains("\\u009b"), "{text}");
        let read: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(read, value);
    }
}
