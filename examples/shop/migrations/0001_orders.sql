-- The demo shop's orders and their status history.
--
-- Portable SQL: the same statements run on SQLite and PostgreSQL. Integers are BIGINT (or
-- SMALLINT for the 0/1 paid flag: sqlx's Any driver has no boolean for SQLite), times are unix
-- milliseconds in BIGINT, text that 123PAY sends is TEXT (its length is not ours to choose).

CREATE TABLE orders (
    m_transaction_id      VARCHAR(50) NOT NULL PRIMARY KEY,
    product_id            VARCHAR(64) NOT NULL,
    product_name          TEXT        NOT NULL,
    amount                BIGINT      NOT NULL CHECK (amount > 0),
    bank_code             VARCHAR(20) NOT NULL,
    client_ip             VARCHAR(15),
    status                VARCHAR(20) NOT NULL,
    paid                  SMALLINT    NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
    pay123_transaction_id TEXT,
    redirect_url          TEXT,
    transaction_status    TEXT,
    paid_bank_code        TEXT,
    op_amount             BIGINT,
    error_code            VARCHAR(30),
    error_message         TEXT,
    created_at            BIGINT      NOT NULL,
    updated_at            BIGINT      NOT NULL
);

CREATE INDEX orders_by_status ON orders (status);

-- One row per change of an order, numbered from 1 per order. The number is taken in the same
-- transaction as the change, after the order's row is locked by its UPDATE.
CREATE TABLE order_history (
    m_transaction_id   VARCHAR(50) NOT NULL REFERENCES orders (m_transaction_id),
    seq                BIGINT      NOT NULL,
    status             VARCHAR(20) NOT NULL,
    transaction_status TEXT,
    source             VARCHAR(20) NOT NULL,
    note               TEXT,
    changed_at         BIGINT      NOT NULL,
    PRIMARY KEY (m_transaction_id, seq)
);
