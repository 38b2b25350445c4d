-- A term index for the common search of one word (docs/decisions/0013-search-cold-path.md):
-- one row per lexeme of each public posting, in result order, so the page and the count of
-- a single-word search are index-only range scans instead of a visit to every matching row.
-- Kept in step with posting_search by the same transaction (PgPostingStore::WriteSearchIndex).
CREATE TABLE IF NOT EXISTS posting_terms (
  lexeme      text        NOT NULL,
  posting_id  uuid        NOT NULL REFERENCES posting_search (posting_id) ON DELETE CASCADE,
  in_title    bool        NOT NULL,
  deadline_at timestamptz,
  open        bool        NOT NULL,  -- status PUBLISHED (else CLOSED; other statuses have no rows)
  PRIMARY KEY (posting_id, lexeme)
);
CREATE INDEX IF NOT EXISTS posting_terms_order_idx
  ON posting_terms (lexeme, in_title DESC, deadline_at, posting_id) INCLUDE (open);
INSERT INTO posting_terms (lexeme, posting_id, in_title, deadline_at, open)
  SELECT t.lexeme, s.posting_id, 'A' = ANY (t.weights), s.deadline_at, s.status = 'PUBLISHED'
  FROM posting_search s, unnest(s.search_doc) t
  WHERE s.status IN ('PUBLISHED', 'CLOSED')
  ON CONFLICT DO NOTHING;
