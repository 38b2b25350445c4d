-- Postings: the Posting message is the record (data); the columns beside it exist for
-- lookups, ordering and filters.
CREATE TABLE IF NOT EXISTS postings (
  id           uuid PRIMARY KEY,
  tenant_id    text        NOT NULL,
  kennziffer   text        NOT NULL,
  status       text        NOT NULL,
  version      bigint      NOT NULL,
  title        text        NOT NULL DEFAULT '',
  location     text        NOT NULL DEFAULT '',
  posting_kind int         NOT NULL DEFAULT 0,
  deadline_at  timestamptz,
  data         bytea       NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CONSTRAINT postings_kennziffer_unique UNIQUE (tenant_id, kennziffer)
);
CREATE INDEX IF NOT EXISTS postings_tenant_order_idx ON postings (tenant_id, created_at DESC, id DESC);

-- Kennziffer "YY/NNNN": one running number per employer and year, never reused. The row
-- lock of the upsert serialises concurrent creates.
CREATE TABLE IF NOT EXISTS kennziffer_counters (
  tenant_id   text   NOT NULL,
  year        int    NOT NULL,
  last_number bigint NOT NULL,
  PRIMARY KEY (tenant_id, year)
);
