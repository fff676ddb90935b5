-- The payments move to pay123's own tables (`pay123_payments`, `pay123_payment_history`, created
-- by pay123-sqlx's SqlStore before these migrations run): the shop keeps what is its own, the
-- product of each order.
--
-- The tables of 0001 and 0002 are kept under other names, with what they held, and everything
-- in them is copied: each order's product into shop_orders, its payment (state, 123PAY's
-- answers, the reconciler's schedule) into pay123_payments, and its history into
-- pay123_payment_history (a change numbered `seq` becomes the payment's version `seq`).
-- Portable SQL, as 0001.

ALTER TABLE order_history RENAME TO order_history_v1;
ALTER TABLE orders RENAME TO orders_v1;

-- One row per order (one mTransactionID): what was bought. The payment's state is pay123's.
CREATE TABLE shop_orders (
    m_transaction_id VARCHAR(64) NOT NULL PRIMARY KEY,
    product_id       VARCHAR(64) NOT NULL,
    product_name     TEXT        NOT NULL,
    amount           BIGINT      NOT NULL CHECK (amount > 0),
    bank_code        VARCHAR(32) NOT NULL,
    client_ip        VARCHAR(15),
    created_at       BIGINT      NOT NULL
);

CREATE INDEX shop_orders_by_time ON shop_orders (created_at);

INSERT INTO shop_orders
    (m_transaction_id, product_id, product_name, amount, bank_code, client_ip, created_at)
SELECT m_transaction_id, product_id, product_name, amount, bank_code, client_ip, created_at
FROM orders_v1;

-- The payment's version is its last change's number; its note and source are that change's.
-- An order the reconciler asks about (creating, unsure, pending) keeps its next check, or is
-- asked about at once; a lease of the old reconciler is dropped (its next check stands).
INSERT INTO pay123_payments
    (m_transaction_id, amount, state, pay123_transaction_id, payment_url, transaction_status,
     bank_code, op_amount, error_code, error_detail, note, source, created_at, updated_at,
     next_check_at, check_attempts, version)
SELECT
    o.m_transaction_id, o.amount, o.status, o.pay123_transaction_id, o.redirect_url,
    o.transaction_status, o.paid_bank_code, o.op_amount, o.error_code, o.error_message,
    (SELECT h.note FROM order_history_v1 h WHERE h.m_transaction_id = o.m_transaction_id
     ORDER BY h.seq DESC LIMIT 1),
    COALESCE((SELECT h.source FROM order_history_v1 h WHERE h.m_transaction_id = o.m_transaction_id
              ORDER BY h.seq DESC LIMIT 1), 'checkout'),
    o.created_at, o.updated_at,
    CASE WHEN o.status IN ('creating', 'unsure', 'pending')
         THEN COALESCE(o.next_check_at, o.updated_at) END,
    o.check_attempts,
    COALESCE((SELECT MAX(h.seq) FROM order_history_v1 h
              WHERE h.m_transaction_id = o.m_transaction_id), 1)
FROM orders_v1 o;

INSERT INTO pay123_payment_history
    (m_transaction_id, version, state, transaction_status, source, note, changed_at)
SELECT m_transaction_id, seq, status, transaction_status, source, note, changed_at
FROM order_history_v1;
