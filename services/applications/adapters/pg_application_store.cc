// PgApplicationStore: the applications table, submission, lifecycle moves, posting snapshots.
#include "services/applications/adapters/pg_application_store.h"

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
#include "services/applications/adapters/applications_sql.h"
#include "services/applications/adapters/pg_application_rows.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace rows;  // NOLINT(build/namespaces): this store's own row mapping

namespace {

pg::AggregateTable<v1::Application> ApplicationsTable() {
  pg::AggregateTable<v1::Application> t;
  t.table = "applications";
  t.noun = "application";
  t.write_row = [](pqxx::work& tx, const v1::Application& next, const std::string& data,
                   int64_t version, bool insert, absl::Time now) {
    // A new application's row is inserted by Submit, in one statement with its facts.
    if (insert) return;
    const std::string now_text = pg::ToPgTimestamp(now);
    std::optional<std::string> ended;
    if (next.has_end_time()) {
      ended = pg::ToPgTimestamp(absl::FromUnixMicros(
          google::protobuf::util::TimeUtil::TimestampToMicroseconds(next.end_time())));
    }
    tx.exec_params(
        "UPDATE applications SET status = $2, version = $3, data = $4,"
        " updated_at = $5::timestamptz, ended_at = $6::timestamptz WHERE id = $1::uuid",
        next.id(), std::string(StatusName(next.status())), version, pg::Bytes(data), now_text,
        ended);
    // The anonymous fact of a hire is dated once, by the move to HIRED (a final status).
    if (next.status() == v1::HIRED) {
      tx.exec_params(
          "UPDATE application_facts SET hired_at = $2::timestamptz"
          " WHERE application_id = $1::uuid AND hired_at IS NULL",
          next.id(), now_text);
    }
  };
  t.tenant_of = [](const v1::Application& a) { return a.tenant_id(); };
  t.write_audit = [](pqxx::work& tx, const Actor& actor, const v1::Application& next,
                     const std::vector<store::AuditLine>& lines, absl::Time now) {
    const std::string now_text = pg::ToPgTimestamp(now);
    for (const auto& a : lines) {
      tx.exec_params(
          "INSERT INTO audit_log (application_id, tenant_id, actor, action, from_status,"
          " to_status, reason, at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::timestamptz)",
          next.id(), next.tenant_id(), actor.sub, a.action, a.from, a.to, a.reason, now_text);
    }
  };
  return t;
}

}  // namespace

PgApplicationStore::PgApplicationStore(pg::Pool& db, std::string schema, const Clock& clock)
    : db_(db), apps_(db, std::move(schema), clock, ApplicationsTable()) {}

absl::StatusOr<std::optional<PostingSnapshot>> PgApplicationStore::Posting(
    const std::string& posting_id) {
  std::optional<PostingSnapshot> out;
  absl::Status s = db_.ReadStatement([&](pqxx::transaction_base& tx) {
    tx.conn().prepare("applications_posting_snapshot", sql::kPostingSnapshot);
    auto rows = tx.exec_prepared("applications_posting_snapshot", posting_id);
    if (!rows.empty()) {
      const auto& r = rows[0];
      PostingSnapshot p;
      p.posting_id = r[0].as<std::string>();
      p.tenant_id = r[1].as<std::string>();
      p.kennziffer = r[2].as<std::string>();
      p.title = r[3].as<std::string>();
      p.status = r[4].as<std::string>();
      if (!r[5].is_null()) p.deadline = pg::FromMicros(r[5]);
      p.anonymised = r[6].as<bool>();
      p.coordination_required = r[7].as<bool>();
      p.women_preferred = r[8].as<bool>();
      p.role_category = r[9].as<int>();
      p.regional_office = r[10].as<std::string>();
      p.district_tenant_id = r[11].as<std::string>();
      out = p;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<v1::Application>> PgApplicationStore::Replayed(
    const Actor& actor, const IdempotencyRequest& idem) {
  if (idem.request_id.empty()) return std::optional<v1::Application>();
  return pg::ReadValue<std::optional<v1::Application>>(
      db_, [&](pqxx::work& tx) { return idempotency::Replay<v1::Application>(tx, actor, idem); });
}

absl::StatusOr<v1::Application> PgApplicationStore::Submit(
    const Actor& actor, const IdempotencyRequest& idem,
    const std::function<absl::StatusOr<AppChange>(const std::string&, const std::string&)>& build) {
  return pg::Command<v1::Application>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Application> {
        const int64_t n = NextPseudonym(tx);
        auto change = build(ids::NewUuid(), absl::StrFormat("B-%04d", n));
        if (!change.ok()) return change.status();
        v1::Application& next = change->next;
        next.set_etag("1");
        std::vector<std::string> doc_ids;
        for (const auto& d : next.documents()) doc_ids.push_back(d.id());
        const std::string now = pg::ToPgTimestamp(apps_.clock().Now());
        const bool disabled = next.severely_disabled() || next.equivalent_status();
        LockPosting(tx, next.posting_id(), /*exclusive=*/false);
        tx.conn().prepare("applications_submit", sql::kSubmit);
        const auto row = tx.exec_prepared1(
            "applications_submit", next.id(), next.tenant_id(), next.posting_id(),
            next.applicant_sub(), disabled, pg::Bytes(next.SerializeAsString()), now,
            next.talent_pool_consent(), IsFemale(next.applicant()), UuidArray(doc_ids));
        if (row[2].as<int>() == 0) {
          return absl::FailedPreconditionError("the posting is not open for applications");
        }
        if (row[0].as<int>() == 0)
          return absl::AlreadyExistsError("you have already applied to this posting");
        if (row[1].as<size_t>() != doc_ids.size()) {
          return absl::AbortedError("a document was used by another application meanwhile");
        }
        apps_.Publish(tx, actor, next.tenant_id(), change->events);
        return next;
      });
}

int64_t PgApplicationStore::NextPseudonym(pqxx::work& tx) {
  constexpr int kBlock = 32;
  {
    std::lock_guard lock(pseudonym_mu_);
    if (!pseudonyms_.empty()) {
      const int64_t n = pseudonyms_.back();
      pseudonyms_.pop_back();
      return n;
    }
  }
  // nextval is not transactional: the block stays drawn even if tx rolls back.
  std::vector<int64_t> block;
  for (const auto& row : tx.exec_params(
           "SELECT nextval('pseudonym_seq') FROM generate_series(1, $1) ORDER BY 1 DESC", kBlock)) {
    block.push_back(row[0].as<int64_t>());
  }
  const int64_t n = block.back();
  block.pop_back();
  std::lock_guard lock(pseudonym_mu_);
  pseudonyms_.insert(pseudonyms_.end(), block.begin(), block.end());
  return n;
}

absl::StatusOr<v1::Application> PgApplicationStore::Get(const std::string& id) {
  return apps_.Get(id);
}

absl::StatusOr<v1::Application> PgApplicationStore::Update(const Actor& actor,
                                                           const IdempotencyRequest& idem,
                                                           const std::string& id,
                                                           const Decide& decide) {
  // Any tenant: the decision applies the access check (own application or staff of its tenant).
  return apps_.Update<AppChange>(actor, idem, id, pg::TenantScope::Any(), decide);
}

absl::StatusOr<v1::Application> PgApplicationStore::ApplyInTransaction(pqxx::work& tx,
                                                                       const Actor& actor,
                                                                       const std::string& id,
                                                                       const std::string& tenant,
                                                                       const Decide& decide) {
  return apps_.UpdateInTransaction<AppChange>(tx, actor, id, {"tenant_id", tenant}, decide);
}

absl::StatusOr<ApplicationPage> PgApplicationStore::List(
    const std::string& tenant_id, const std::string& posting_id,
    const std::vector<v1::ApplicationStatus>& statuses, int page_size,
    const std::string& page_token) {
  std::string wanted = "{";
  for (auto s : statuses) absl::StrAppend(&wanted, wanted.size() > 1 ? "," : "", StatusName(s));
  wanted += "}";
  auto page = apps_.ListPage(
      "SELECT data, version, micros(submitted_at), id::text FROM applications"
      " WHERE tenant_id = $1 AND posting_id = $2::uuid"
      " AND (cardinality($3::text[]) = 0 OR status = ANY($3::text[]))"
      " AND ($4::timestamptz IS NULL OR (submitted_at, id) > ($4::timestamptz, $5::uuid))"
      " ORDER BY submitted_at, id LIMIT $6",
      page_size, page_token, tenant_id, posting_id, wanted);
  if (!page.ok()) return page.status();
  return ApplicationPage{std::move(page->items), std::move(page->next_page_token)};
}

absl::StatusOr<ApplicationPage> PgApplicationStore::ListOwn(const std::string& applicant_sub) {
  ApplicationPage page;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row :
         tx.exec_params("SELECT data, version FROM applications WHERE applicant_sub = $1"
                        " ORDER BY submitted_at DESC LIMIT 200",
                        applicant_sub)) {
      page.applications.push_back(Parse(row));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return page;
}

absl::Status PgApplicationStore::SavePostingSnapshot(const PostingSnapshot& snapshot,
                                                     int64_t version) {
  return db_.Transact([&](pqxx::work& tx) { return ApplyPostingSnapshot(tx, snapshot, version); });
}

void PgApplicationStore::LockPosting(pqxx::work& tx, const std::string& posting_id,
                                     bool exclusive) {
  // A transaction-scoped advisory lock per posting: submissions share it, a change of the
  // posting's state takes it alone. Unlike FOR SHARE on the snapshot row it writes nothing
  // (no MultiXact for many concurrent submitters). Its own statement: the statement after it
  // reads with a snapshot taken once the lock is held.
  tx.exec_params(exclusive ? "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
                           : "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))",
                 "posting:" + posting_id);
}

absl::Status PgApplicationStore::ApplyPostingSnapshot(pqxx::work& tx, const PostingSnapshot& p,
                                                      int64_t version) {
  LockPosting(tx, p.posting_id, /*exclusive=*/true);
  std::optional<std::string> deadline;
  if (p.deadline.has_value()) deadline = pg::ToPgTimestamp(*p.deadline);
  tx.exec_params(
      "INSERT INTO posting_snapshots (posting_id, tenant_id, kennziffer, title, status,"
      " deadline_at, anonymised, coordination_required, version, women_preferred, role_category,"
      " regional_office, district_tenant_id)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9, $10, $11, $12, $13)"
      " ON CONFLICT (posting_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
      " kennziffer = EXCLUDED.kennziffer, title = EXCLUDED.title, status = EXCLUDED.status,"
      " deadline_at = EXCLUDED.deadline_at, anonymised = EXCLUDED.anonymised,"
      " coordination_required = EXCLUDED.coordination_required, version = EXCLUDED.version,"
      " women_preferred = EXCLUDED.women_preferred, role_category = EXCLUDED.role_category,"
      " regional_office = EXCLUDED.regional_office,"
      " district_tenant_id = EXCLUDED.district_tenant_id"
      " WHERE posting_snapshots.version < EXCLUDED.version",  // events may arrive out of order
      p.posting_id, p.tenant_id, p.kennziffer, p.title, p.status, deadline, p.anonymised,
      p.coordination_required, version, p.women_preferred, p.role_category, p.regional_office,
      p.district_tenant_id);
  return absl::OkStatus();
}

absl::StatusOr<int> PgApplicationStore::MoveAll(
    pqxx::work& tx, const std::string& posting_id, const std::vector<v1::ApplicationStatus>& from,
    const Actor& actor, const Decide& decide,
    const std::function<absl::Status(const std::vector<v1::Application>&)>& check) {
  std::string statuses = "{";
  for (auto f : from) absl::StrAppend(&statuses, statuses.size() > 1 ? "," : "", StatusName(f));
  statuses += "}";
  std::vector<v1::Application> locked;
  for (const auto& row :
       tx.exec_params("SELECT data, version FROM applications WHERE posting_id = $1::uuid"
                      " AND status = ANY($2::text[]) ORDER BY id FOR UPDATE",
                      posting_id, statuses)) {
    locked.push_back(Parse(row));
  }
  if (check) {
    if (absl::Status s = check(locked); !s.ok()) return s;
  }
  for (const v1::Application& current : locked) {
    Actor of_tenant = actor;
    of_tenant.tenant = current.tenant_id();
    auto moved = apps_.Apply<AppChange>(tx, of_tenant, current, decide);
    if (!moved.ok()) return moved.status();
  }
  return static_cast<int>(locked.size());
}

absl::StatusOr<int> PgApplicationStore::MoveAllInTransaction(
    pqxx::work& tx, const std::string& posting_id, const std::vector<v1::ApplicationStatus>& from,
    const Actor& actor, const Decide& decide) {
  return MoveAll(tx, posting_id, from, actor, decide);
}

absl::StatusOr<v1::ConcludeProcedureResponse> PgApplicationStore::Conclude(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& posting_id,
    const std::function<absl::Status(const std::vector<v1::Application>& open)>& check,
    const Decide& decide) {
  return pg::Command<v1::ConcludeProcedureResponse>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::ConcludeProcedureResponse> {
        auto rejected = MoveAll(tx, posting_id, OpenStatuses(), actor, decide, check);
        if (!rejected.ok()) return rejected.status();
        v1::ConcludeProcedureResponse out;
        out.set_posting_id(posting_id);
        out.set_rejected(*rejected);
        out.set_hired(tx.exec_params("SELECT count(*) FROM applications WHERE posting_id = $1::uuid"
                                     " AND status = 'HIRED'",
                                     posting_id)[0][0]
                          .as<int>());
        *out.mutable_conclude_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            absl::ToUnixMicros(apps_.clock().Now()));
        return out;
      });
}

}  // namespace stellenwerk::applications
