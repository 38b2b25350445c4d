-- Search reads a narrow table: the wide postings rows (the whole message) made every match a
-- separate heap page. The page's messages are fetched by id afterwards.
CREATE TABLE IF NOT EXISTS posting_search (
  posting_id    uuid PRIMARY KEY REFERENCES postings (id) ON DELETE CASCADE,
  tenant_id     text        NOT NULL,
  status        text        NOT NULL,
  deadline_at   timestamptz,
  posting_kind  int         NOT NULL DEFAULT 0,
  contract      int         NOT NULL DEFAULT 0,
  part_time     bool        NOT NULL DEFAULT false,
  location_norm text        NOT NULL DEFAULT '',
  search_doc    tsvector    NOT NULL
);
INSERT INTO posting_search (posting_id, tenant_id, status, deadline_at, posting_kind, contract,
                            part_time, location_norm, search_doc)
  SELECT id, tenant_id, status, deadline_at, posting_kind, contract, part_time, location_norm,
         search_doc
  FROM postings WHERE search_doc IS NOT NULL
  ON CONFLICT DO NOTHING;
CREATE INDEX IF NOT EXISTS posting_search_doc_idx ON posting_search USING gin (search_doc);
CREATE INDEX IF NOT EXISTS posting_search_public_idx ON posting_search (status, deadline_at);
DROP INDEX IF EXISTS postings_search_idx;
ALTER TABLE postings DROP COLUMN IF EXISTS search_doc, DROP COLUMN IF EXISTS contract,
  DROP COLUMN IF EXISTS part_time, DROP COLUMN IF EXISTS location_norm;
