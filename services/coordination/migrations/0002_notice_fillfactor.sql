-- Issue 6 (decision 0012): a notice row is rewritten a few times in its life (the window's
-- clearance, reactions). Room on its page lets PostgreSQL update it in place (HOT: status,
-- data and version are not indexed) instead of adding an entry to each of its four indexes.
-- Applies to pages written from now on.
ALTER TABLE staffing_notices SET (fillfactor = 80);
