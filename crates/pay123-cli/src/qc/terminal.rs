//! A person at a terminal: told each step on stderr, answering on stdin.

use std::io::{BufRead, Write};

use super::{Guide, Question, SKIPPED, Step};

/// A guide that tells a person what to do (on stderr) and reads their answers (from stdin):
/// Enter when a step is done, `s` to skip the case; `y`, `n` or `?` (cannot tell) to a
/// question. Answers can be piped in, one a line. At the end of input every step is skipped
/// and every question left to a person's eye.
#[derive(Debug, Default)]
pub struct TerminalGuide {
    ended: bool,
}

impl TerminalGuide {
    /// A guide on this process's stdin and stderr.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    async fn ask(&mut self, prompt: String) -> Option<String> {
        if self.ended {
            return None;
        }
        let line = tokio::task::spawn_blocking(move || {
            // The prompt is written and stderr released before waiting for the tester: the
            // sandbox's log writes to stderr meanwhile, and a held lock would stop it.
            {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{prompt}");
                let _ = err.flush();
            }
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line.trim().to_owned()),
            }
        })
        .await
        .ok()
        .flatten();
        if line.is_none() {
            self.ended = true;
        }
        line
    }
}

impl Guide for TerminalGuide {
    async fn act(&mut self, step: &Step<'_>) -> Result<(), String> {
        let prompt = format!(
            "\n  {}\n  (Enter when done, s to skip this case) ",
            step.instruction()
        );
        match self.ask(prompt).await {
            None => Err(format!("{SKIPPED} (no tester: the input ended)")),
            Some(answer) if answer.eq_ignore_ascii_case("s") => Err(SKIPPED.to_owned()),
            Some(_) => Ok(()),
        }
    }

    async fn confirm(&mut self, question: &Question<'_>) -> Option<bool> {
        loop {
            let prompt = format!("\n  {} [y/n/?] ", question.text());
            match self.ask(prompt).await?.to_ascii_lowercase().as_str() {
                "y" | "yes" | "c" | "có" => return Some(true),
                "n" | "no" | "không" => return Some(false),
                "?" => return None,
                _ => {}
            }
        }
    }

    fn progress(&mut self, line: &str) {
        // What the shop sent may be in it: no control character reaches the terminal.
        eprintln!("{}", super::report::clean(line));
    }

    fn describe(&self) -> String {
        "the tester, at a terminal".to_owned()
    }
}
