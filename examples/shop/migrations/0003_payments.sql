-- The payments move to pay123's own tables (`pay123_payments`, `pay123_payment_history`, created
-- by pay123-sqlx's SqlStore): the shop keeps what is its own, the product of each order.
--
-- The tables of 0001 and 0002 are kept under other names, with what they held.

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
