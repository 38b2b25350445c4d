-- The runtime's tables, created in every service schema (search_path is the schema).

CREATE OR REPLACE FUNCTION micros(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$ SELECT (EXTRACT(EPOCH FROM t) * 1000000)::bigint $$;

-- Transactional outbox: written in the same transaction as the state change, published in
-- id order by the relay, deleted only after the broker confirmed.
CREATE TABLE IF NOT EXISTS outbox (
  id             bigserial PRIMARY KEY,
  event_id       uuid        NOT NULL UNIQUE,
  routing_key    text        NOT NULL,
  tenant_id      text        NOT NULL,
  correlation_id text        NOT NULL DEFAULT '',
  schema_version int         NOT NULL DEFAULT 1,
  payload        bytea       NOT NULL,
  occur_time     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Consumer dedup: an event's effect and its id commit together.
CREATE TABLE IF NOT EXISTS processed_events (
  consumer     text        NOT NULL,
  event_id     text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Durable timers: one row per (kind, key); claimed with FOR UPDATE SKIP LOCKED and deleted in
-- the transaction that applies the effect, so each fires exactly once.
CREATE TABLE IF NOT EXISTS timers (
  id         bigserial PRIMARY KEY,
  kind       text        NOT NULL,
  key        text        NOT NULL,
  due_at     timestamptz NOT NULL,
  payload    bytea       NOT NULL DEFAULT ''::bytea,
  attempts   int         NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS timers_due_idx ON timers (due_at);

-- Idempotency of mutating RPCs: the first answer to a request_id, stored with the effect.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  tenant_id    text        NOT NULL,
  operation    text        NOT NULL,
  request_id   text        NOT NULL,
  request_hash text        NOT NULL,
  response     bytea       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, operation, request_id)
);

-- The fake clock's last time (STELLENWERK_FAKE_CLOCK=1 only), kept across restarts.
CREATE TABLE IF NOT EXISTS fake_clock (
  singleton bool PRIMARY KEY DEFAULT true CHECK (singleton),
  now_micros bigint NOT NULL
);
