// PgApplicationStore: audit, GDPR export and erasure, retention, anonymous statistics.
#include <openssl/sha.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "common/outbox/events.h"
#include "common/pg/keyset.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/adapters/pg_application_rows.h"
#include "services/applications/adapters/pg_application_store.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace rows;  // NOLINT(build/namespaces): this store's own row mapping

namespace {

std::vector<v1::AuditEntry> ReadAudit(pqxx::work& tx, const std::string& application_id) {
  std::vector<v1::AuditEntry> out;
  for (const auto& r : tx.exec_params(
           "SELECT actor, action, coalesce(from_status, ''), coalesce(to_status, ''), reason,"
           " micros(at) FROM audit_log WHERE application_id = $1::uuid ORDER BY id",
           application_id)) {
    v1::AuditEntry e;
    e.set_actor(r[0].as<std::string>());
    e.set_action(r[1].as<std::string>());
    e.set_from(r[2].as<std::string>());
    e.set_to(r[3].as<std::string>());
    e.set_reason(r[4].as<std::string>());
    *e.mutable_time() = TsOf(r[5]);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<v1::AuditEntry>> PgApplicationStore::Audit(
    const std::string& application_id) {
  std::vector<v1::AuditEntry> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out = ReadAudit(tx, application_id);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgApplicationStore::RecordAccess(const Actor& actor,
                                              const std::vector<std::string>& application_ids,
                                              const std::string& action,
                                              const std::string& reason) {
  if (application_ids.empty()) return absl::OkStatus();
  const std::string now = pg::ToPgTimestamp(apps_.clock().Now());
  return db_.Transact([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO audit_log (application_id, tenant_id, actor, action, from_status, to_status,"
        " reason, at) SELECT id, tenant_id, $2, $3, status, status, $4, $5::timestamptz"
        " FROM applications WHERE id = ANY($1::uuid[])",
        pg::TextArray(application_ids), actor.sub, action, reason, now);
    return absl::OkStatus();
  });
}

absl::StatusOr<ApplicantData> PgApplicationStore::Export(const std::string& applicant_sub,
                                                         const std::string& tenant_id) {
  ApplicantData data;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    data = ApplicantData();
    for (const auto& row :
         tx.exec_params("SELECT data, version FROM applications WHERE applicant_sub = $1"
                        " AND ($2 = '' OR tenant_id = $2) ORDER BY submitted_at",
                        applicant_sub, tenant_id)) {
      data.applications.push_back(Parse(row));
    }
    for (const auto& a : data.applications) {
      for (auto& e : ReadAudit(tx, a.id())) data.audit.emplace_back(a.id(), std::move(e));
      for (const auto& r :
           tx.exec_params("SELECT rater, criterion, score, comment, micros(rated_at) FROM ratings"
                          " WHERE application_id = $1::uuid ORDER BY criterion, rater",
                          a.id())) {
        v1::Rating rating;
        rating.set_application_id(a.id());
        rating.set_rater(r[0].as<std::string>());
        rating.set_criterion(r[1].as<std::string>());
        rating.set_score(r[2].as<int>());
        rating.set_comment(r[3].as<std::string>());
        *rating.mutable_time() = TsOf(r[4]);
        data.ratings.push_back(std::move(rating));
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return data;
}

namespace {

// Erased facts into erased_fact_totals / statistics_postings (decision 0042).
constexpr char kFoldErasedApplications[] =
    "INSERT INTO erased_fact_totals (tenant_id, year, applications, women_applicants,"
    " severely_disabled_applicants)"
    " SELECT tenant_id, extract(year FROM submitted_at AT TIME ZONE 'Europe/Berlin')::int,"
    " count(*), count(*) FILTER (WHERE female), count(*) FILTER (WHERE severely_disabled)"
    " FROM application_facts WHERE application_id = ANY($1::uuid[]) GROUP BY 1, 2"
    " ON CONFLICT (tenant_id, year) DO UPDATE SET"
    " applications = erased_fact_totals.applications + EXCLUDED.applications,"
    " women_applicants = erased_fact_totals.women_applicants + EXCLUDED.women_applicants,"
    " severely_disabled_applicants = erased_fact_totals.severely_disabled_applicants"
    " + EXCLUDED.severely_disabled_applicants";
constexpr char kFoldErasedHires[] =
    "INSERT INTO erased_fact_totals (tenant_id, year, hires, women_hires,"
    " severely_disabled_hires, days_to_hire)"
    " SELECT tenant_id, extract(year FROM hired_at AT TIME ZONE 'Europe/Berlin')::int, count(*),"
    " count(*) FILTER (WHERE female), count(*) FILTER (WHERE severely_disabled),"
    " array_agg(round(extract(epoch FROM hired_at - submitted_at) / 86400.0)::int"
    " ORDER BY round(extract(epoch FROM hired_at - submitted_at) / 86400.0)::int)"
    " FROM application_facts WHERE application_id = ANY($1::uuid[]) AND hired_at IS NOT NULL"
    " GROUP BY 1, 2"
    " ON CONFLICT (tenant_id, year) DO UPDATE SET"
    " hires = erased_fact_totals.hires + EXCLUDED.hires,"
    " women_hires = erased_fact_totals.women_hires + EXCLUDED.women_hires,"
    " severely_disabled_hires = erased_fact_totals.severely_disabled_hires"
    " + EXCLUDED.severely_disabled_hires,"
    " days_to_hire = (SELECT array_agg(d ORDER BY d)"
    " FROM unnest(erased_fact_totals.days_to_hire || EXCLUDED.days_to_hire) d)";
constexpr char kKeepErasedPostings[] =
    "INSERT INTO statistics_postings (tenant_id, year, posting_id)"
    " SELECT DISTINCT tenant_id, extract(year FROM submitted_at AT TIME ZONE 'Europe/Berlin')::int,"
    " posting_id FROM application_facts WHERE application_id = ANY($1::uuid[])"
    " ON CONFLICT DO NOTHING";

}  // namespace

int PgApplicationStore::EraseApplications(pqxx::work& tx, const std::vector<std::string>& ids,
                                          const std::string& cause, const Actor& actor) {
  if (ids.empty()) return 0;
  const std::string array = UuidArray(ids);
  // Who they belonged to, for the event that tells every other service to forget them too.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_owner;
  for (const auto& r : tx.exec_params(
           "SELECT tenant_id, applicant_sub, id::text FROM applications WHERE id = ANY($1::uuid[])",
           array)) {
    by_owner[{r[0].as<std::string>(), r[1].as<std::string>()}].push_back(r[2].as<std::string>());
  }
  tx.exec_params("DELETE FROM documents WHERE application_id = ANY($1::uuid[])", array);
  tx.exec_params("DELETE FROM ratings WHERE application_id = ANY($1::uuid[])", array);
  tx.exec_params("DELETE FROM audit_log WHERE application_id = ANY($1::uuid[])", array);
  // Stored answers of idempotent calls hold copies of the application: they go too.
  tx.exec_params(
      "DELETE FROM idempotency_keys k WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) i"
      " WHERE position(convert_to(i, 'UTF8') IN k.response) > 0)",
      array);
  // Erased means not re-identifiable (GDPR Art. 17, Recital 26; disability is Art. 9 data):
  // the anonymous fact does not stay as a row beside its posting — the only severely disabled
  // applicant of a posting would still be picked out. It joins the totals of its tenant and
  // Berlin year, the personnel report's level (seed 002, no group under 5 shown), and goes
  // (decision 0042; the same statements as migration 0004).
  for (const char* fold : {kFoldErasedApplications, kFoldErasedHires, kKeepErasedPostings}) {
    tx.exec_params(fold, array);
  }
  tx.exec_params("DELETE FROM application_facts WHERE application_id = ANY($1::uuid[])", array);
  const auto deleted = tx.exec_params("DELETE FROM applications WHERE id = ANY($1::uuid[])", array);
  const absl::Time now = apps_.clock().Now();
  std::map<std::string, int> per_tenant;
  for (const auto& [owner, app_ids] : by_owner) {
    per_tenant[owner.first] += static_cast<int>(app_ids.size());
    events::v1::ApplicantErased e;
    e.set_applicant_sub(owner.second);
    for (const auto& id : app_ids) e.add_application_ids(id);
    e.set_cause(cause);
    outbox::Publish(
        tx, outbox::EventContext{apps_.schema(), owner.first, actor.correlation_id, actor.sub, now},
        e);
  }
  for (const auto& [tenant, n] : per_tenant) {
    tx.exec_params(
        "INSERT INTO erasures (tenant_id, applications, cause, actor, erased_at)"
        " VALUES ($1, $2, $3, $4, $5::timestamptz)",
        tenant, n, cause, actor.sub, pg::ToPgTimestamp(now));
  }
  return static_cast<int>(deleted.affected_rows());
}

absl::StatusOr<v1::EraseApplicantResponse> PgApplicationStore::Erase(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& applicant_sub,
    const std::string& tenant_id) {
  return pg::Command<v1::EraseApplicantResponse>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::EraseApplicantResponse> {
        std::vector<std::string> ids;
        for (const auto& r :
             tx.exec_params("SELECT id::text FROM applications WHERE applicant_sub = $1"
                            " AND ($2 = '' OR tenant_id = $2) FOR UPDATE",
                            applicant_sub, tenant_id)) {
          ids.push_back(r[0].as<std::string>());
        }
        v1::EraseApplicantResponse out;
        // The applicant's own request is recorded without their account id: the record of
        // an erasure must not keep the person it erased.
        Actor recorded = actor;
        if (tenant_id.empty()) recorded.sub = "applicant";
        out.set_applications_erased(EraseApplications(tx, ids, "ERASURE_REQUEST", recorded));
        if (tenant_id.empty()) {
          // The applicant's own request: also documents never attached to an application, and
          // the answers stored for their own calls.
          tx.exec_params("DELETE FROM documents WHERE owner_sub = $1", applicant_sub);
          Actor owner = actor;
          owner.sub = applicant_sub;
          tx.exec_params("DELETE FROM idempotency_keys WHERE scope = $1",
                         store::IdempotencyScope(owner));
        }
        return out;
      });
}

absl::StatusOr<int> PgApplicationStore::EraseExpired(pqxx::work& tx, absl::Time now, int limit) {
  // Months are Berlin calendar months ("6 months after" 31 August is 28/29 February, PG's
  // interval arithmetic clamps to the month's end), also across DST changes.
  tx.exec("SET LOCAL TimeZone = 'Europe/Berlin'");
  std::vector<std::string> ids;
  for (const auto& r : tx.exec_params(
           "SELECT a.id::text FROM applications a"
           " LEFT JOIN retention_policies p ON p.tenant_id = a.tenant_id"
           " WHERE a.ended_at IS NOT NULL AND NOT a.talent_pool"
           " AND a.ended_at + make_interval(months => coalesce(p.months, $2)) <= $1::timestamptz"
           " ORDER BY a.ended_at LIMIT $3 FOR UPDATE OF a SKIP LOCKED",
           pg::ToPgTimestamp(now), kDefaultRetentionMonths, limit)) {
    ids.push_back(r[0].as<std::string>());
  }
  const int erased = EraseApplications(tx, ids, "RETENTION", Actor::System("retention", "", ""));
  // Uploads never attached to an application (the applicant did not submit) are kept only
  // as long as a submission could still use them (GDPR Art. 5 (1) e).
  tx.exec_params(
      "DELETE FROM documents WHERE id IN (SELECT id FROM documents WHERE application_id IS NULL"
      " AND created_at < $1::timestamptz LIMIT $2)",
      pg::ToPgTimestamp(now - absl::Hours(24) * kUnsubmittedDocumentDays), limit);
  return erased;
}

absl::StatusOr<v1::RetentionPolicy> PgApplicationStore::SetRetention(
    const Actor& actor, const IdempotencyRequest& idem, const v1::RetentionPolicy& policy) {
  return pg::Command<v1::RetentionPolicy>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::RetentionPolicy> {
        tx.exec_params(
            "INSERT INTO retention_policies (tenant_id, months) VALUES ($1, $2)"
            " ON CONFLICT (tenant_id) DO UPDATE SET months = EXCLUDED.months",
            policy.tenant_id(), policy.months());
        return policy;
      });
}

absl::StatusOr<StatisticsInput> PgApplicationStore::Statistics(const std::string& tenant_id,
                                                               int year, absl::Time from,
                                                               absl::Time to) {
  StatisticsInput in;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    in = StatisticsInput();
    const std::string f = pg::ToPgTimestamp(from), t = pg::ToPgTimestamp(to);
    auto a = tx.exec_params(
        "SELECT count(*), count(*) FILTER (WHERE female),"
        " count(*) FILTER (WHERE severely_disabled)"
        " FROM application_facts WHERE tenant_id = $1 AND submitted_at >= $2::timestamptz"
        " AND submitted_at < $3::timestamptz",
        tenant_id, f, t)[0];
    in.applications = a[0].as<int64_t>();
    in.women_applicants = a[1].as<int64_t>();
    in.severely_disabled_applicants = a[2].as<int64_t>();
    in.postings_with_applications =
        tx.exec_params(
              "SELECT count(*) FROM (SELECT posting_id FROM application_facts WHERE tenant_id = $1"
              " AND submitted_at >= $2::timestamptz AND submitted_at < $3::timestamptz"
              " UNION SELECT posting_id FROM statistics_postings WHERE tenant_id = $1"
              " AND year = $4) p",
              tenant_id, f, t, year)[0][0]
            .as<int64_t>();
    // Erased applications count at the year's level only (decision 0042).
    auto erased = tx.exec_params(
        "SELECT applications, women_applicants, severely_disabled_applicants, hires, women_hires,"
        " severely_disabled_hires, array_to_string(days_to_hire, ',') FROM erased_fact_totals"
        " WHERE tenant_id = $1 AND year = $2",
        tenant_id, year);
    if (!erased.empty()) {
      const auto& e = erased[0];
      in.applications += e[0].as<int64_t>();
      in.women_applicants += e[1].as<int64_t>();
      in.severely_disabled_applicants += e[2].as<int64_t>();
      in.hires += e[3].as<int64_t>();
      in.women_hires += e[4].as<int64_t>();
      in.severely_disabled_hires += e[5].as<int64_t>();
      for (absl::string_view d : absl::StrSplit(e[6].as<std::string>(), ',', absl::SkipEmpty())) {
        int days = 0;
        if (absl::SimpleAtoi(d, &days)) in.days_to_hire.push_back(days);
      }
    }
    for (const auto& r : tx.exec_params(
             "SELECT female, severely_disabled,"
             " extract(epoch FROM hired_at - submitted_at) / 86400.0"
             " FROM application_facts WHERE tenant_id = $1 AND hired_at >= $2::timestamptz"
             " AND hired_at < $3::timestamptz",
             tenant_id, f, t)) {
      ++in.hires;
      if (r[0].as<bool>()) ++in.women_hires;
      if (r[1].as<bool>()) ++in.severely_disabled_hires;
      in.days_to_hire.push_back(r[2].as<double>());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return in;
}

}  // namespace stellenwerk::applications
