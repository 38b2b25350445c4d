-- Staffing notices: the StaffingNotice message (without history) is the record (data); the
-- columns beside it exist for lookups, visibility, ordering and the window.
CREATE TABLE IF NOT EXISTS staffing_notices (
  id                 uuid PRIMARY KEY,
  city_tenant_id     text        NOT NULL,
  district_tenant_id text        NOT NULL,
  application_id     text        NOT NULL DEFAULT '',
  regional_office    text        NOT NULL DEFAULT '',
  status             text        NOT NULL,
  version            bigint      NOT NULL,
  filed_at           timestamptz NOT NULL,
  window_end_at      timestamptz NOT NULL,
  data               bytea       NOT NULL,
  updated_at         timestamptz NOT NULL
);
-- One notice per proposed hiring, however often applications.hiring.proposed arrives.
CREATE UNIQUE INDEX IF NOT EXISTS staffing_notices_application_idx
  ON staffing_notices (city_tenant_id, application_id) WHERE application_id <> '';
CREATE INDEX IF NOT EXISTS staffing_notices_city_idx
  ON staffing_notices (city_tenant_id, filed_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS staffing_notices_district_idx
  ON staffing_notices (district_tenant_id, filed_at DESC, id DESC);

-- Who did what when: append-only, both sides must be able to prove the procedure afterwards.
CREATE TABLE IF NOT EXISTS notice_history (
  seq          bigserial PRIMARY KEY,
  notice_id    uuid        NOT NULL REFERENCES staffing_notices (id),
  at           timestamptz NOT NULL,
  actor_sub    text        NOT NULL,
  actor_role   text        NOT NULL,
  actor_tenant text        NOT NULL,
  action       text        NOT NULL,
  details      text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS notice_history_notice_idx ON notice_history (notice_id, seq);

CREATE OR REPLACE FUNCTION notice_history_is_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'notice_history is append-only';
END;
$$;
DROP TRIGGER IF EXISTS notice_history_immutable ON notice_history;
CREATE TRIGGER notice_history_immutable BEFORE UPDATE OR DELETE ON notice_history
  FOR EACH ROW EXECUTE FUNCTION notice_history_is_immutable();

-- § 4 Abs. 1 Heranziehungssatzung vom 18.04.2007: cuts of the administrative cost
-- reimbursement, per city and year.
CREATE TABLE IF NOT EXISTS reimbursement_reductions (
  id                 bigserial PRIMARY KEY,
  notice_id          uuid        NOT NULL REFERENCES staffing_notices (id),
  city_tenant_id     text        NOT NULL,
  district_tenant_id text        NOT NULL,
  year               int         NOT NULL,
  amount_cents       bigint      NOT NULL CHECK (amount_cents > 0),
  data               bytea       NOT NULL,
  recorded_at        timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS reimbursement_reductions_city_idx
  ON reimbursement_reductions (city_tenant_id, year);

-- Höchstrahmen per city and year, set by the district.
CREATE TABLE IF NOT EXISTS reimbursement_caps (
  city_tenant_id     text        NOT NULL,
  year               int         NOT NULL,
  district_tenant_id text        NOT NULL,
  cap_cents          bigint      NOT NULL CHECK (cap_cents >= 0),
  set_by             text        NOT NULL,
  set_at             timestamptz NOT NULL,
  PRIMARY KEY (city_tenant_id, year)
);

-- Base data (Grunddaten) per regional office and quarter; every revision is kept.
CREATE TABLE IF NOT EXISTS base_data_submissions (
  id                   bigserial PRIMARY KEY,
  city_tenant_id       text        NOT NULL,
  district_tenant_id   text        NOT NULL,
  regional_office      text        NOT NULL,
  year                 int         NOT NULL,
  quarter              int         NOT NULL,
  revision             int         NOT NULL,
  personnel_cost_cents bigint      NOT NULL DEFAULT 0,
  data                 bytea       NOT NULL,
  submitted_at         timestamptz NOT NULL,
  UNIQUE (city_tenant_id, regional_office, year, quarter, revision)
);
CREATE INDEX IF NOT EXISTS base_data_district_idx ON base_data_submissions (district_tenant_id);

-- Offices a city has to report for (known from a submission or a notice).
CREATE TABLE IF NOT EXISTS base_data_obligations (
  city_tenant_id     text NOT NULL,
  regional_office    text NOT NULL,
  district_tenant_id text NOT NULL,
  PRIMARY KEY (city_tenant_id, regional_office)
);

-- Quarters that ended without a submission; flagged (and published) once.
CREATE TABLE IF NOT EXISTS base_data_overdue (
  city_tenant_id     text        NOT NULL,
  regional_office    text        NOT NULL,
  year               int         NOT NULL,
  quarter            int         NOT NULL,
  district_tenant_id text        NOT NULL,
  due_at             timestamptz NOT NULL,
  flagged_at         timestamptz NOT NULL,
  resolved_at        timestamptz,
  PRIMARY KEY (city_tenant_id, regional_office, year, quarter)
);
