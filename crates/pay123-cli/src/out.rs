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

    /// Prints a JSON value (pretty), for `--json`.
    pub(crate) fn value(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        let _ = writeln!(std::io::stdout(), "{text}");
    }

    /// Prints a line for people (colour codes are dropped when stdout is not a terminal).
    pub(crate) fn line(&self, text: &str) {
        let _ = writeln!(anstream::stdout(), "{text}");
    }

    /// Prints a table with a header row.
    pub(crate) fn table(&self, header: &[&str], rows: Vec<Vec<String>>) {
        let mut table = Table::new();
        table.load_preset(presets::NOTHING);
        table.set_header(header.iter().copied());
        for row in rows {
            table.add_row(row);
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
            self.line(&format!("{name:<width$}  {value}"));
        }
    }

    /// A progress note on stderr (never on stdout, never with `--json` output mixed in).
    pub(crate) fn progress(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "{}", dim(text));
    }

    /// The one line of an error, on stderr.
    pub(crate) fn error(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "pay123: {text}");
    }
}

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
