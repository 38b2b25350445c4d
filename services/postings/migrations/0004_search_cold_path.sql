-- Search without ranking every match (docs/decisions/0013-search-cold-path.md): the title's
-- lexemes (weight A of search_doc) as their own small vector, for the relevance tier, and
-- the public rows in result order, so a page of a broad query is read in index order and
-- stops when full instead of ranking and sorting all matches.
ALTER TABLE posting_search
  ADD COLUMN IF NOT EXISTS title_doc tsvector
  GENERATED ALWAYS AS (ts_filter(search_doc, '{a}')) STORED;
CREATE INDEX IF NOT EXISTS posting_search_order_idx ON posting_search (deadline_at, posting_id)
  WHERE status IN ('PUBLISHED', 'CLOSED');
