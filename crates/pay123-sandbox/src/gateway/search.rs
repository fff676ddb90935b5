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

    fn matches(&self, record: &Record) -> bool {
        self.merchant_code
            .as_deref()
            .is_none_or(|code| *record.key.0 == *code)
            && self
                .status
                .as_deref()
                .is_none_or(|code| record.status().code() == code)
            && self
                .m_transaction_id
                .as_deref()
                .is_none_or(|part| record.key.1.to_lowercase().contains(&part.to_lowercase()))
    }
}

impl Gateway {
    /// At most `limit` transactions that `filter` lets through, newest first, created before
    /// the one whose `123PAYtransactionId` is `before` (the last of the previous page).
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
        let before = match before {
            None => None,
            Some(id) => Some(
                self.sequence_of_pay123_id(id)
                    .ok_or_else(|| AdminError::UnknownAfter(id.to_owned()))?,
            ),
        };
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
                    .filter(|r| filter.matches(r))
                    .take(limit)
                    .map(|r| (r.sequence, index)),
            );
        }
        found.sort_unstable_by(|a, b| b.0.cmp(&a.0));
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
