-- Issue 16 (decision 0040): only a real pair coordinates. A city and its district agree on the
-- procedure (seed 004: "Die Stadt und der Kreis vereinbaren ..."); the administrators of both
-- tenants declare the pair, and it is in force once both have. A city has one district at a
-- time; an ended pair stays as the record of who coordinated with whom.
CREATE TABLE IF NOT EXISTS coordination_pairs (
  id                   bigserial PRIMARY KEY,
  city_tenant_id       text        NOT NULL,
  district_tenant_id   text        NOT NULL,
  city_declared_by     text,
  city_declared_at     timestamptz,
  district_declared_by text,
  district_declared_at timestamptz,
  in_force_at          timestamptz,
  ended_at             timestamptz,
  ended_by             text,
  end_reason           text        NOT NULL DEFAULT '',
  CHECK (city_tenant_id <> district_tenant_id)
);
-- One open declaration per (city, district); one pair in force per city.
CREATE UNIQUE INDEX IF NOT EXISTS coordination_pairs_open_idx
  ON coordination_pairs (city_tenant_id, district_tenant_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS coordination_pairs_city_in_force_idx
  ON coordination_pairs (city_tenant_id) WHERE in_force_at IS NOT NULL AND ended_at IS NULL;
CREATE INDEX IF NOT EXISTS coordination_pairs_district_idx
  ON coordination_pairs (district_tenant_id);

-- The head of each district's JobAgentur (direct participation in leadership staffing).
CREATE TABLE IF NOT EXISTS job_agency_heads (
  district_tenant_id text PRIMARY KEY,
  head_sub           text        NOT NULL,
  set_by             text        NOT NULL,
  set_at             timestamptz NOT NULL
);

-- What ran before pairs existed keeps running: each city's latest partner (by notice, base
-- data obligation or cap) becomes its pair in force, declared by this migration for both
-- sides. Administrators end a wrong one with EndCoordinationPair.
INSERT INTO coordination_pairs (city_tenant_id, district_tenant_id, city_declared_by,
                                city_declared_at, district_declared_by, district_declared_at,
                                in_force_at)
SELECT city_tenant_id, district_tenant_id, 'migration:0004', now(), 'migration:0004', now(), now()
FROM (
  SELECT DISTINCT ON (city_tenant_id) city_tenant_id, district_tenant_id
  FROM (
    SELECT city_tenant_id, district_tenant_id, filed_at AS at FROM staffing_notices
    UNION ALL
    SELECT city_tenant_id, district_tenant_id, '-infinity'::timestamptz FROM base_data_obligations
    UNION ALL
    SELECT city_tenant_id, district_tenant_id, set_at FROM reimbursement_caps
  ) known
  WHERE city_tenant_id <> district_tenant_id
  ORDER BY city_tenant_id, at DESC
) latest
WHERE NOT EXISTS (SELECT 1 FROM coordination_pairs p WHERE p.city_tenant_id = latest.city_tenant_id);
