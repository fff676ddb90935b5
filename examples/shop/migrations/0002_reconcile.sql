-- What the reconciler needs: when to ask 123PAY about an open order next, how many times it
-- has asked, and which instance is asking now (a lease, so that several instances on one
-- database never ask about one order at once).
--
-- Portable SQL, as 0001. One column per ALTER TABLE (SQLite adds one at a time).

-- Unix milliseconds; NULL when the order is not to be asked about (final, or not created).
ALTER TABLE orders ADD COLUMN next_check_at BIGINT;
-- Checks made so far (answered or not): the backoff grows with it.
ALTER TABLE orders ADD COLUMN check_attempts BIGINT NOT NULL DEFAULT 0;
-- The instance asking about the order now, and until when its lease holds (unix ms). Another
-- instance takes the order only once the lease has run out.
ALTER TABLE orders ADD COLUMN lease_owner VARCHAR(100);
ALTER TABLE orders ADD COLUMN lease_until BIGINT;

-- The reconciler's question, "which orders are due?", reads only the orders to be asked about.
CREATE INDEX orders_due ON orders (next_check_at) WHERE next_check_at IS NOT NULL;

-- Orders left open before this migration are asked about at once.
UPDATE orders SET next_check_at = updated_at WHERE status IN ('creating', 'pending');
