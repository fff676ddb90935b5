//! The dashboard's list: the newest transactions first, narrowed by merchant, status or order.

use std::sync::atomic::Ordering;

use crate::transaction::{AdminError, Transaction};

use super::*;

/// What the dashboard's list shows: every transaction, or those of one merchant, with one
/// status, or whose `mTransactionID` holds a text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionFilter {
    /// The merchant's code, exactly.
    pub merchant_code: Option<String>,
    /// The status's code, exactly (`1`, `-100`, `0`).
    pub status: Option<String>,
    /// A part of the `mTransactionID`, in any case.
    pub m_transaction_id: Option<String>,
}

impl TransactionFilter {
    /// Every transaction.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// Only this merchant's transactions.
    #[must_use]
    pub fn merchant(mut self, merchant_code: impl Into<String>) -> Self {
        self.merchant_code = Some(merchant_code.into());
        self
    }

    /// Only the transactions with this status's code.
    #[must_use]
    pub fn status(mut self, code: impl Into<String>) -> Self {
        self.status = Some(code.into());
        self
    }

    /// Only the transactions whose `mTransactionID` holds this text (in any case).
    #[must_use]
    pub fn order(mut self, part: impl Into<String>) -> Self {
        self.m_transaction_id = Some(part.into());
        self
    }

    /// Whether `record` passes; `part` is the id's part, lowercased once for the whole scan.
    fn matches(&self, record: &Record, part: Option<&str>) -> bool {
        self.merchant_code
            .as_deref()
            .is_none_or(|code| *record.key.0 == *code)
            && self
                .status
                .as_deref()
                .is_none_or(|code| record.status().code() == code)
            && part.is_none_or(|part| contains_ignoring_case(&record.key.1, part))
    }
}

impl Gateway {
    /// At most `limit` transactions that `filter` lets through, newest first, created before
    /// the one named `before` (the last of the previous page, by its `123PAYtransactionId`, or
    /// by its `mTransactionID`).
    ///
    /// # Errors
    ///
    /// [`AdminError::UnknownAfter`] when no transaction has the id `before`.
    pub fn newest(
        &self,
        filter: &TransactionFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Transaction>, AdminError> {
        let before = self.cursor(before)?;
        let part = filter.m_transaction_id.as_deref().map(str::to_lowercase);
        // No `mTransactionID` is longer than 50 characters: no need to look.
        if part.as_ref().is_some_and(|p| p.chars().count() > 50) {
            return Ok(Vec::new());
        }
        self.expire_due();
        let horizon = self.inner.sequence.load(Ordering::Acquire);
        let below = before.unwrap_or(u64::MAX).min(horizon.saturating_add(1));
        // Each shard's records are in order: walk each from its newest, and copy only the
        // page's records (a full page costs `limit` copies however many are stored).
        let mut found: Vec<(u64, usize)> = Vec::new();
        for index in 0..SHARDS {
            let shard = self.shard(index);
            let end = shard.records.partition_point(|r| r.sequence < below);
            found.extend(
                shard.records[..end]
                    .iter()
                    .rev()
                    .filter(|r| filter.matches(r, part.as_deref()))
                    .take(limit)
                    .map(|r| (r.sequence, index)),
            );
        }
        found.sort_unstable_by_key(|(sequence, _)| std::cmp::Reverse(*sequence));
        found.truncate(limit);
        Ok(found
            .into_iter()
            .filter_map(|(sequence, index)| {
                let shard = self.shard(index);
                let i = shard
                    .records
                    .binary_search_by_key(&sequence, |r| r.sequence)
                    .ok()?;
                Some(self.snapshot(&shard.records[i]))
            })
            .collect())
    }
}

/// Whether `text` holds `part` (lowercase) in any case, without allocating for ASCII ids (a scan
/// of every stored transaction calls it once for each).
fn contains_ignoring_case(text: &str, part: &str) -> bool {
    if part.is_empty() {
        return true;
    }
    if text.is_ascii() && part.is_ascii() {
        text.as_bytes()
            .windows(part.len())
            .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
    } else {
        text.to_lowercase().contains(part)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_ignoring_case;

    #[test]
    fn a_part_of_the_id_in_any_case() {
        assert!(contains_ignoring_case("ORDER-17-2", "order-17"));
        assert!(contains_ignoring_case("ORDER-17-2", "7-2"));
        assert!(!contains_ignoring_case("ORDER-17-2", "order-18"));
        assert!(!contains_ignoring_case("OR", "order"));
        assert!(contains_ignoring_case("ĐƠN-1", "đơn"));
        assert!(contains_ignoring_case("anything", ""));
    }
}
