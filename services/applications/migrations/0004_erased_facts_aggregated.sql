-- Issue 16 (decision 0042): erased means not re-identifiable (GDPR Art. 17, Recital 26). The
-- fact of an erased application no longer stays as a row of its own next to its posting (one
-- severely disabled applicant of a posting could be picked out even without a name); it is
-- added to the totals of its tenant and Berlin year — the level of the personnel report
-- (seed 002), which suppresses groups under 5 — and the row goes.
CREATE TABLE IF NOT EXISTS erased_fact_totals (
  tenant_id                    text   NOT NULL,
  year                         int    NOT NULL,  -- Berlin year of submission (applications) or hire (hires)
  applications                 bigint NOT NULL DEFAULT 0,
  women_applicants             bigint NOT NULL DEFAULT 0,
  severely_disabled_applicants bigint NOT NULL DEFAULT 0,
  hires                        bigint NOT NULL DEFAULT 0,
  women_hires                  bigint NOT NULL DEFAULT 0,
  severely_disabled_hires      bigint NOT NULL DEFAULT 0,
  -- Whole days from submission to hire of the year's erased hires, sorted: a multiset for the
  -- mean and median, tied to no posting, sex or disability.
  days_to_hire                 int[]  NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, year)
);

-- Postings that had applications in a year, kept when their applications are erased (counts
-- postings, not people: the report's postings_with_applications).
CREATE TABLE IF NOT EXISTS statistics_postings (
  tenant_id  text NOT NULL,
  year       int  NOT NULL,
  posting_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, year, posting_id)
);

-- The facts of applications erased before this migration (application_id cut): folded into
-- the totals, then removed. The same statements as PgApplicationStore::EraseApplications.
INSERT INTO erased_fact_totals (tenant_id, year, applications, women_applicants,
                                severely_disabled_applicants)
SELECT tenant_id, extract(year FROM submitted_at AT TIME ZONE 'Europe/Berlin')::int, count(*),
       count(*) FILTER (WHERE female), count(*) FILTER (WHERE severely_disabled)
FROM application_facts WHERE application_id IS NULL GROUP BY 1, 2
ON CONFLICT (tenant_id, year) DO UPDATE SET
  applications = erased_fact_totals.applications + EXCLUDED.applications,
  women_applicants = erased_fact_totals.women_applicants + EXCLUDED.women_applicants,
  severely_disabled_applicants =
    erased_fact_totals.severely_disabled_applicants + EXCLUDED.severely_disabled_applicants;

INSERT INTO erased_fact_totals (tenant_id, year, hires, women_hires, severely_disabled_hires,
                                days_to_hire)
SELECT tenant_id, extract(year FROM hired_at AT TIME ZONE 'Europe/Berlin')::int, count(*),
       count(*) FILTER (WHERE female), count(*) FILTER (WHERE severely_disabled),
       array_agg(round(extract(epoch FROM hired_at - submitted_at) / 86400.0)::int
                 ORDER BY round(extract(epoch FROM hired_at - submitted_at) / 86400.0)::int)
FROM application_facts WHERE application_id IS NULL AND hired_at IS NOT NULL GROUP BY 1, 2
ON CONFLICT (tenant_id, year) DO UPDATE SET
  hires = erased_fact_totals.hires + EXCLUDED.hires,
  women_hires = erased_fact_totals.women_hires + EXCLUDED.women_hires,
  severely_disabled_hires =
    erased_fact_totals.severely_disabled_hires + EXCLUDED.severely_disabled_hires,
  days_to_hire = (SELECT array_agg(d ORDER BY d)
                  FROM unnest(erased_fact_totals.days_to_hire || EXCLUDED.days_to_hire) d);

INSERT INTO statistics_postings (tenant_id, year, posting_id)
SELECT DISTINCT tenant_id, extract(year FROM submitted_at AT TIME ZONE 'Europe/Berlin')::int,
       posting_id
FROM application_facts WHERE application_id IS NULL
ON CONFLICT DO NOTHING;

DELETE FROM application_facts WHERE application_id IS NULL;
