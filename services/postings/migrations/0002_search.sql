-- Search: a weighted German tsvector of normalised text (title A, place/department B, body C),
-- filter columns, and the grades of every pay line for range filters.
ALTER TABLE postings
  ADD COLUMN IF NOT EXISTS search_doc    tsvector,
  ADD COLUMN IF NOT EXISTS contract      int  NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS part_time     bool NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS location_norm text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS postings_search_idx ON postings USING gin (search_doc);
CREATE INDEX IF NOT EXISTS postings_public_idx ON postings (status, deadline_at);

CREATE TABLE IF NOT EXISTS posting_grades (
  posting_id uuid NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
  scheme     int  NOT NULL,
  rank       int  NOT NULL,
  PRIMARY KEY (posting_id, scheme, rank)
);
CREATE INDEX IF NOT EXISTS posting_grades_lookup_idx ON posting_grades (scheme, rank);
