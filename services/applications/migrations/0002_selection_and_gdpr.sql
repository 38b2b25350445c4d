-- Selection (ratings, participation), the coordination gate, GDPR (erasure, retention) and
-- anonymous statistics.

ALTER TABLE posting_snapshots ADD COLUMN IF NOT EXISTS women_preferred bool NOT NULL DEFAULT false;
ALTER TABLE posting_snapshots ADD COLUMN IF NOT EXISTS role_category int NOT NULL DEFAULT 0;
ALTER TABLE posting_snapshots ADD COLUMN IF NOT EXISTS regional_office text NOT NULL DEFAULT '';
ALTER TABLE posting_snapshots ADD COLUMN IF NOT EXISTS district_tenant_id text NOT NULL DEFAULT '';

-- When the procedure ended for an application (REJECTED, WITHDRAWN, HIRED): retention counts
-- from here. talent_pool: the applicant agreed to be kept.
ALTER TABLE applications ADD COLUMN IF NOT EXISTS ended_at timestamptz;
ALTER TABLE applications ADD COLUMN IF NOT EXISTS talent_pool bool NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS applications_ended_idx ON applications (ended_at)
  WHERE ended_at IS NOT NULL AND NOT talent_pool;

-- Criteria fixed per posting before the committee rates (Bestenauslese, Art. 33 (2) GG).
CREATE TABLE IF NOT EXISTS rating_criteria (
  posting_id  uuid NOT NULL,
  position    int  NOT NULL,
  tenant_id   text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  PRIMARY KEY (posting_id, position),
  UNIQUE (posting_id, name)
);

-- One score per rater, application and criterion; a rater may revise it.
CREATE TABLE IF NOT EXISTS ratings (
  application_id uuid        NOT NULL,
  posting_id     uuid        NOT NULL,
  tenant_id      text        NOT NULL,
  rater          text        NOT NULL,
  criterion      text        NOT NULL,
  score          int         NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment        text        NOT NULL DEFAULT '',
  rated_at       timestamptz NOT NULL,
  PRIMARY KEY (application_id, rater, criterion)
);
CREATE INDEX IF NOT EXISTS ratings_posting_idx ON ratings (posting_id);

-- Every verdict of a participating body, append-only; the latest per body counts.
CREATE TABLE IF NOT EXISTS participation_verdicts (
  id          bigserial PRIMARY KEY,
  posting_id  uuid        NOT NULL,
  tenant_id   text        NOT NULL,
  body        int         NOT NULL,
  verdict     text        NOT NULL,
  agrees      bool        NOT NULL,
  actor       text        NOT NULL,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS participation_posting_idx ON participation_verdicts (posting_id, body, id);

-- Per-tenant retention of applicant data after the procedure ended (default 6 months).
CREATE TABLE IF NOT EXISTS retention_policies (
  tenant_id text PRIMARY KEY,
  months    int  NOT NULL CHECK (months BETWEEN 1 AND 24)
);

-- Anonymous facts for the personnel report: no applicant identity; application_id is cut
-- (set NULL) when the application is erased, so nothing links back.
CREATE TABLE IF NOT EXISTS application_facts (
  id                bigserial PRIMARY KEY,
  application_id    uuid UNIQUE,
  tenant_id         text        NOT NULL,
  posting_id        uuid        NOT NULL,
  submitted_at      timestamptz NOT NULL,
  hired_at          timestamptz,
  female            bool        NOT NULL,
  severely_disabled bool        NOT NULL
);
CREATE INDEX IF NOT EXISTS application_facts_tenant_idx ON application_facts (tenant_id, submitted_at);

-- What erasure leaves behind: that it happened, when, why — nothing about the person.
CREATE TABLE IF NOT EXISTS erasures (
  id           bigserial PRIMARY KEY,
  tenant_id    text        NOT NULL,
  applications int         NOT NULL,
  cause        text        NOT NULL,
  actor        text        NOT NULL,
  erased_at    timestamptz NOT NULL
);
