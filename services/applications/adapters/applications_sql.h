#pragma once
// The statements of the submission path, named once: the store prepares them, and the
// submit benchmark's libpqxx baseline (bench/applications_bench.cpp) issues exactly these,
// so the two cannot drift apart.

namespace stellenwerk::applications::sql {

// The caller's own, not yet attached documents ($1 ids, $2 owner); columns as DocumentOf reads.
inline constexpr char kOwnDocuments[] =
    "SELECT id::text, kind, file_name, detected_type, sha256, size_bytes, micros(created_at)"
    " FROM documents WHERE id = ANY($1::uuid[]) AND owner_sub = $2 AND application_id IS NULL";

// The posting as applications knows it ($1 posting id).
inline constexpr char kPostingSnapshot[] =
    "SELECT posting_id::text, tenant_id, kennziffer, title, status, micros(deadline_at),"
    " anonymised, coordination_required, women_preferred, role_category, regional_office,"
    " district_tenant_id FROM posting_snapshots WHERE posting_id = $1::uuid";

// One statement for the application, its anonymous facts, its audit line and the documents it
// takes: the submit path's round trips and planning are most of its cost next to the commit.
// The unique constraint decides a second application of the same person (no separate check;
// simultaneous ones get one answer). `still_open` checks the posting again under the posting
// lock taken just before (ADR 0017): a close either waited for this commit (and its move to
// SCREENING sees this application) or committed first (and the insert finds nothing open).
// $1 id, $2 tenant, $3 posting, $4 applicant, $5 severely disabled, $6 data, $7 now,
// $8 talent pool, $9 female, $10 document ids. Returns (inserted, documents taken, open).
inline constexpr char kSubmit[] = R"sql(
      WITH still_open AS (
        SELECT 1 FROM posting_snapshots
        WHERE posting_id = $3::uuid AND status = 'PUBLISHED'
          AND (deadline_at IS NULL OR deadline_at > $7::timestamptz)),
      app AS (
        INSERT INTO applications (id, tenant_id, posting_id, applicant_sub, status, version,
                                  severely_disabled, data, submitted_at, updated_at, talent_pool)
        SELECT $1::uuid, $2, $3::uuid, $4, 'RECEIVED', 1, $5, $6, $7::timestamptz,
               $7::timestamptz, $8
        WHERE EXISTS (SELECT 1 FROM still_open)
        ON CONFLICT ON CONSTRAINT applications_once_per_posting DO NOTHING
        RETURNING id, tenant_id, posting_id),
      facts AS (
        INSERT INTO application_facts (application_id, tenant_id, posting_id, submitted_at,
                                       female, severely_disabled)
        SELECT id, tenant_id, posting_id, $7::timestamptz, $9, $5 FROM app),
      audit AS (
        INSERT INTO audit_log (application_id, tenant_id, actor, action, from_status, to_status,
                               reason, at)
        SELECT id, tenant_id, $4, 'submitted', '', 'RECEIVED', '', $7::timestamptz FROM app),
      docs AS (
        UPDATE documents SET application_id = $1::uuid
        WHERE id = ANY($10::uuid[]) AND owner_sub = $4 AND application_id IS NULL
          AND EXISTS (SELECT 1 FROM app)
        RETURNING 1)
      SELECT (SELECT count(*) FROM app), (SELECT count(*) FROM docs), (SELECT count(*) FROM still_open)
    )sql";

}  // namespace stellenwerk::applications::sql
