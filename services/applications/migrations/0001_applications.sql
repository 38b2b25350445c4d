-- What applications knows of postings, kept current from postings.posting.* events.
CREATE TABLE IF NOT EXISTS posting_snapshots (
  posting_id            uuid PRIMARY KEY,
  tenant_id             text        NOT NULL,
  kennziffer            text        NOT NULL,
  title                 text        NOT NULL,
  status                text        NOT NULL,
  deadline_at           timestamptz,
  anonymised            bool        NOT NULL DEFAULT false,
  coordination_required bool        NOT NULL DEFAULT false,
  version               bigint      NOT NULL
);

-- Documents live in Postgres (bytea), never on a local disk another replica cannot see.
CREATE TABLE IF NOT EXISTS documents (
  id             uuid PRIMARY KEY,
  owner_sub      text        NOT NULL,
  application_id uuid,
  kind           int         NOT NULL,
  file_name      text        NOT NULL,
  detected_type  text        NOT NULL,
  sha256         text        NOT NULL,
  size_bytes     bigint      NOT NULL,
  content        bytea       NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_owner_idx ON documents (owner_sub);

CREATE TABLE IF NOT EXISTS applications (
  id                uuid PRIMARY KEY,
  tenant_id         text        NOT NULL,
  posting_id        uuid        NOT NULL,
  applicant_sub     text        NOT NULL,
  status            text        NOT NULL,
  version           bigint      NOT NULL,
  severely_disabled bool        NOT NULL DEFAULT false,
  data              bytea       NOT NULL,
  submitted_at      timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  -- One application per applicant and posting.
  CONSTRAINT applications_once_per_posting UNIQUE (posting_id, applicant_sub)
);
CREATE INDEX IF NOT EXISTS applications_posting_idx ON applications (posting_id, submitted_at, id);
CREATE INDEX IF NOT EXISTS applications_applicant_idx ON applications (applicant_sub);

-- Every transition: who, when, why. Append-only.
CREATE TABLE IF NOT EXISTS audit_log (
  id             bigserial PRIMARY KEY,
  application_id uuid        NOT NULL,
  tenant_id      text        NOT NULL,
  actor          text        NOT NULL,
  action         text        NOT NULL,
  from_status    text,
  to_status      text,
  reason         text        NOT NULL DEFAULT '',
  at             timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_application_idx ON audit_log (application_id, id);

CREATE SEQUENCE IF NOT EXISTS pseudonym_seq;
