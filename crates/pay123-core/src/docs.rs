//! The documents of the repository, readable here: the guide, what pay123 implements beyond
//! the specification, and how to deploy a shop. Their code blocks are programs of the
//! repository's `examples/snippets`, compiled and run by its tests. A path such as `docs/sandbox.md`
//! names a document of the repository; each one is also a page here or in `pay123_sandbox::docs`.

/// The guide: a quick start in English and in Vietnamese, the payment flow step by step, your
/// own store, transport or framework.
#[cfg_attr(not(doctest), doc = include_str!("../docs/guide.md"))]
pub mod guide {}

/// What pay123 implements beyond the specification, and why: the rules that a real 123PAY
/// integration taught.
#[cfg_attr(not(doctest), doc = include_str!("../docs/protocol.md"))]
pub mod protocol {}

/// Deploying a shop: its settings, PostgreSQL, several instances, the reconciler, the reverse
/// proxy in front.
#[cfg_attr(not(doctest), doc = include_str!("../docs/deploying.md"))]
pub mod deploying {}
