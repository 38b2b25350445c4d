-- The in-memory search replica of each postings process (docs/decisions/0013) follows
-- posting_search by the id of the transaction that last changed each row. Every transaction
-- with an id below a snapshot's xmin has ended when the snapshot is taken, so reading
-- "changed_xid >= the xmin of the previous read" misses no committed change.
ALTER TABLE posting_search
  ADD COLUMN IF NOT EXISTS changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS posting_search_changed_idx ON posting_search (changed_xid);
