//! The programs that `README.md` and `docs/guide.md` show, one binary each in `src/bin/`. Each
//! code block of those documents is the whole of a file here, and `tests/snippets.rs` checks it
//! and runs the program against the sandbox.
