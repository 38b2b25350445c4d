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
#include "common/outbox/events.h"
#include "common/logging/log.h"
#include "common/pg/keyset.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

// A document's metadata: these columns, in this order, read by DocumentOf.
constexpr char kDocumentColumns[] =
    "id::text, kind, file_name, detected_type, sha256, size_bytes, micros(created_at)";

v1::Document DocumentOf(const pqxx::row& r) {
  v1::Document d;
  d.set_id(r[0].as<std::string>());
  d.set_kind(static_cast<v1::DocumentKind>(r[1].as<int>()));
  d.set_file_name(r[2].as<std::string>());
  d.set_detected_type(r[3].as<std::string>());
  d.set_sha256(r[4].as<std::string>());
  d.set_size_bytes(r[5].as<int64_t>());
  *d.mutable_upload_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(r[6].as<int64_t>());
  return d;
}

v1::Application Parse(const pqxx::row& row) {  // data, version
  return pg::ParseVersioned<v1::Application>(row);
}

idempotency::Key KeyOf(const Actor& actor, const IdempotencyRequest& idem) {
  return idempotency::Key{actor.sub, idem.operation, idem.request_id};
}

absl::StatusOr<std::optional<v1::Application>> Replay(pqxx::work& tx, const Actor& actor,
                                                      const IdempotencyRequest& idem) {
  return idempotency::Replay<v1::Application>(tx, KeyOf(actor, idem), idem.request_hash);
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string UuidArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) absl::StrAppend(&out, out.size() > 1 ? "," : "", id);
  return out + "}";
}

}  // namespace

absl::StatusOr<v1::Document> PgApplicationStore::SaveDocument(const std::string& owner_sub,
                                                              const v1::Document& meta,
                                                              const std::string& content) {
  v1::Document doc = meta;
  doc.set_sha256(Sha256Hex(content));
  absl::Status s = db_.Transact([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO documents (id, owner_sub, kind, file_name, detected_type, sha256, size_bytes,"
        " content, created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz)",
        doc.id(), owner_sub, static_cast<int>(doc.kind()), doc.file_name(), doc.detected_type(),
        doc.sha256(), doc.size_bytes(), pg::Bytes(content), pg::ToPgTimestamp(clock_.Now()));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return doc;
}

absl::StatusOr<std::vector<v1::Document>> PgApplicationStore::OwnDocuments(
    const std::string& owner_sub, const std::vector<std::string>& ids) {
  std::vector<v1::Document> out;
  for (const auto& id : ids) {
    if (!ids::IsUuid(id)) return absl::InvalidArgumentError("document_ids: not a document id");
  }
  if (ids.empty()) return out;
  // Single statements in autocommit: BEGIN/COMMIT would double the submit path's reads.
  absl::Status s = db_.ReadStatement([&](pqxx::transaction_base& tx) -> absl::Status {
    tx.conn().prepare(
        "applications_own_documents",
        "SELECT " + std::string(kDocumentColumns) +
            " FROM documents WHERE id = ANY($1::uuid[]) AND owner_sub = $2"
            " AND application_id IS NULL");
    auto rows = tx.exec_prepared("applications_own_documents", UuidArray(ids), owner_sub);
    if (rows.size() != ids.size()) {
      return absl::NotFoundError("document_ids: a document is unknown, not yours, or already used");
    }
    for (const auto& r : rows) out.push_back(DocumentOf(r));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<std::pair<v1::Document, std::string>>>
PgApplicationStore::AttachedDocument(const std::string& application_id,
                                     const std::string& document_id) {
  std::optional<std::pair<v1::Document, std::string>> out;
  absl::Status s = db_.ReadStatement([&](pqxx::transaction_base& tx) -> absl::Status {
    out.reset();
    const auto rows = tx.exec_params(
        "SELECT " + std::string(kDocumentColumns) + ", content FROM documents"
        " WHERE id = $1::uuid AND application_id = $2::uuid",
        document_id, application_id);
    if (!rows.empty()) out.emplace(DocumentOf(rows[0]), pg::BytesOf(rows[0][7]));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<PostingSnapshot>> PgApplicationStore::Posting(
    const std::string& posting_id) {
  std::optional<PostingSnapshot> out;
  absl::Status s = db_.ReadStatement([&](pqxx::transaction_base& tx) {
    tx.conn().prepare(
        "applications_posting_snapshot",
        "SELECT posting_id::text, tenant_id, kennziffer, title, status, micros(deadline_at),"
        " anonymised, coordination_required, women_preferred, role_category, regional_office,"
        " district_tenant_id FROM posting_snapshots WHERE posting_id = $1::uuid");
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
  std::optional<v1::Application> out;
  if (idem.request_id.empty()) return out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    auto replay = Replay(tx, actor, idem);
    if (!replay.ok()) return replay.status();
    out = *std::move(replay);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Application> PgApplicationStore::Submit(
    const Actor& actor, const IdempotencyRequest& idem,
    const std::function<absl::StatusOr<AppChange>(const std::string&, const std::string&)>& build) {
  v1::Application result;
  absl::Status status = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto replay = Replay(tx, actor, idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      result = **replay;
      return absl::OkStatus();
    }
    const int64_t n = NextPseudonym(tx);
    auto change = build(ids::NewUuid(), absl::StrFormat("B-%04d", n));
    if (!change.ok()) return change.status();
    v1::Application& next = change->next;
    next.set_etag("1");
    std::vector<std::string> doc_ids;
    for (const auto& d : next.documents()) doc_ids.push_back(d.id());
    const std::string now = pg::ToPgTimestamp(clock_.Now());
    const bool disabled = next.severely_disabled() || next.equivalent_status();
    // One statement (prepared once per connection) for the application, its anonymous facts,
    // its audit line and the documents it takes: the submit path's round trips and planning
    // are most of its cost next to the commit. The unique constraint decides a second
    // application of the same person (no separate check; simultaneous ones get one answer).
    // `still_open` checks the posting again under the posting lock taken just before (see
    // LockPostingShared): a close either waited for this commit (and its move to SCREENING
    // sees this application) or committed first (and the insert finds nothing open).
    static constexpr char kInsert[] = R"sql(
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
    LockPosting(tx, next.posting_id(), /*exclusive=*/false);
    tx.conn().prepare("applications_submit", kInsert);
    const auto row = tx.exec_prepared1(
        "applications_submit", next.id(), next.tenant_id(), next.posting_id(), next.applicant_sub(),
        disabled, pg::Bytes(next.SerializeAsString()), now, next.talent_pool_consent(),
        IsFemale(next.applicant()), UuidArray(doc_ids));
    if (row[2].as<int>() == 0) {
      return absl::FailedPreconditionError("the posting is not open for applications");
    }
    if (row[0].as<int>() == 0) return absl::AlreadyExistsError("you have already applied to this posting");
    if (row[1].as<size_t>() != doc_ids.size()) {
      return absl::AbortedError("a document was used by another application meanwhile");
    }
    const outbox::EventContext ctx{schema_, next.tenant_id(), actor.correlation_id, actor.sub,
                                   clock_.Now()};
    for (auto& [type, event] : change->events) outbox::Publish(tx, ctx, type, *event);
    result = std::move(next);
    idempotency::Remember(tx, KeyOf(actor, idem), idem.request_hash, result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
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
  v1::Application result;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params("SELECT data, version FROM applications WHERE id = $1::uuid", id);
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("application ", id, " not found"));
    result = Parse(rows[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<v1::Application> PgApplicationStore::Update(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& id,
    const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) {
  v1::Application result;
  absl::Status status = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto replay = Replay(tx, actor, idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      result = **replay;
      return absl::OkStatus();
    }
    auto rows = tx.exec_params("SELECT data, version FROM applications WHERE id = $1::uuid FOR UPDATE", id);
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("application ", id, " not found"));
    const v1::Application current = Parse(rows[0]);
    auto change = decide(current);
    if (!change.ok()) return change.status();
    result = Write(tx, actor, current, *std::move(change));
    idempotency::Remember(tx, KeyOf(actor, idem), idem.request_hash, result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

v1::Application PgApplicationStore::Write(pqxx::work& tx, const Actor& actor,
                                          const v1::Application& current, AppChange change) {
  v1::Application& next = change.next;
  int64_t version = 1;
  absl::SimpleAtoi(current.etag(), &version);
  ++version;
  next.clear_etag();
  const std::string now = pg::ToPgTimestamp(clock_.Now());
  std::optional<std::string> ended;
  if (next.has_end_time()) {
    ended = pg::ToPgTimestamp(absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(next.end_time())));
  }
  tx.exec_params(
      "UPDATE applications SET status = $2, version = $3, data = $4, updated_at = $5::timestamptz,"
      " ended_at = $6::timestamptz WHERE id = $1::uuid",
      next.id(), std::string(StatusName(next.status())), version,
      pg::Bytes(next.SerializeAsString()), now, ended);
  if (next.status() == v1::HIRED && current.status() != v1::HIRED) {
    tx.exec_params("UPDATE application_facts SET hired_at = $2::timestamptz"
                   " WHERE application_id = $1::uuid",
                   next.id(), now);
  }
  next.set_etag(std::to_string(version));
  for (const auto& a : change.audit) {
    tx.exec_params(
        "INSERT INTO audit_log (application_id, tenant_id, actor, action, from_status, to_status,"
        " reason, at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::timestamptz)",
        next.id(), next.tenant_id(), actor.sub, a.action, a.from, a.to, a.reason, now);
  }
  const outbox::EventContext ctx{schema_, next.tenant_id(), actor.correlation_id, actor.sub,
                                 clock_.Now()};
  for (auto& [type, event] : change.events) outbox::Publish(tx, ctx, type, *event);
  return next;
}

absl::StatusOr<ApplicationPage> PgApplicationStore::List(
    const std::string& tenant_id, const std::string& posting_id,
    const std::vector<v1::ApplicationStatus>& statuses, int page_size,
    const std::string& page_token) {
  auto cursor = pg::DecodeKeysetToken(page_token);
  if (!cursor.ok()) return cursor.status();
  std::string wanted = "{";
  for (auto s : statuses) absl::StrAppend(&wanted, wanted.size() > 1 ? "," : "", StatusName(s));
  wanted += "}";
  ApplicationPage page;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "SELECT data, version, micros(submitted_at), id::text FROM applications"
        " WHERE tenant_id = $1 AND posting_id = $2::uuid"
        " AND (cardinality($3::text[]) = 0 OR status = ANY($3::text[]))"
        " AND ($4::timestamptz IS NULL OR (submitted_at, id) > ($4::timestamptz, $5::uuid))"
        " ORDER BY submitted_at, id LIMIT $6",
        tenant_id, posting_id, wanted, cursor->after_time, cursor->after_id, page_size + 1);
    page.applications.clear();
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
      page.applications.push_back(Parse(rows[i]));
    }
    if (static_cast<int>(rows.size()) > page_size) {
      const auto& last = rows[page_size - 1];
      page.next_page_token =
          pg::EncodeKeysetToken(pg::FromMicros(last[2]), last[3].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<ApplicationPage> PgApplicationStore::ListOwn(const std::string& applicant_sub) {
  ApplicationPage page;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_params(
             "SELECT data, version FROM applications WHERE applicant_sub = $1"
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
  return db_.Transact(
      [&](pqxx::work& tx) { return ApplyPostingSnapshot(tx, snapshot, version); });
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
    v1::ApplicationStatus to, const Actor& actor, const std::string& reason,
    const std::function<absl::Status(const std::vector<v1::Application>&)>& check) {
  std::string statuses = "{";
  for (auto f : from) absl::StrAppend(&statuses, statuses.size() > 1 ? "," : "", StatusName(f));
  statuses += "}";
  std::vector<v1::Application> locked;
  for (const auto& row : tx.exec_params(
           "SELECT data, version FROM applications WHERE posting_id = $1::uuid"
           " AND status = ANY($2::text[]) ORDER BY id FOR UPDATE",
           posting_id, statuses)) {
    locked.push_back(Parse(row));
  }
  if (check) {
    if (absl::Status s = check(locked); !s.ok()) return s;
  }
  const auto now = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(clock_.Now()));
  for (const v1::Application& current : locked) {
    AppChange c;
    c.next = current;
    c.next.set_status(to);
    *c.next.mutable_update_time() = now;
    if (IsOpen(current.status()) && !IsOpen(to)) *c.next.mutable_end_time() = now;
    auto* h = c.next.add_history();
    h->set_from(current.status());
    h->set_to(to);
    h->set_actor(actor.sub);
    h->set_reason(reason);
    *h->mutable_time() = now;
    auto e = std::make_shared<events::v1::ApplicationStatusChanged>();
    e->set_application_id(current.id());
    e->set_posting_id(current.posting_id());
    e->set_applicant_sub(current.applicant_sub());
    e->set_from(StatusName(current.status()));
    e->set_to(StatusName(to));
    e->set_reason(reason);
    c.events.emplace_back(kStatusChangedEvent, e);
    c.audit.push_back({"status_changed", StatusName(current.status()), StatusName(to), reason});
    Write(tx, Actor{actor.sub, current.tenant_id(), actor.correlation_id}, current, std::move(c));
  }
  return static_cast<int>(locked.size());
}

namespace {

std::vector<v1::ApplicationStatus> OpenStatuses() {
  std::vector<v1::ApplicationStatus> open;
  for (int s = v1::ApplicationStatus_MIN; s <= v1::ApplicationStatus_MAX; ++s) {
    const auto status = static_cast<v1::ApplicationStatus>(s);
    if (v1::ApplicationStatus_IsValid(s) && IsOpen(status)) open.push_back(status);
  }
  return open;
}

}  // namespace

absl::Status PgApplicationStore::StartScreening(pqxx::work& tx, const std::string& posting_id,
                                                const std::string& correlation_id) {
  return MoveAll(tx, posting_id, {v1::RECEIVED}, v1::SCREENING,
                 Actor{"system:deadline", "", correlation_id}, "application deadline passed")
      .status();
}

absl::Status PgApplicationStore::EndWithdrawnProcedure(pqxx::work& tx,
                                                       const std::string& posting_id,
                                                       const std::string& correlation_id) {
  return MoveAll(tx, posting_id, OpenStatuses(), v1::REJECTED,
                 Actor{"system:posting_withdrawn", "", correlation_id},
                 "the posting was withdrawn; the selection procedure has ended")
      .status();
}

absl::StatusOr<v1::ConcludeProcedureResponse> PgApplicationStore::Conclude(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& posting_id,
    const std::string& reason,
    const std::function<absl::Status(const std::vector<v1::Application>& open)>& check) {
  return Idempotent<v1::ConcludeProcedureResponse>(
      actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::ConcludeProcedureResponse> {
        auto rejected = MoveAll(tx, posting_id, OpenStatuses(), v1::REJECTED, actor, reason, check);
        if (!rejected.ok()) return rejected.status();
        v1::ConcludeProcedureResponse out;
        out.set_posting_id(posting_id);
        out.set_rejected(*rejected);
        out.set_hired(tx.exec_params("SELECT count(*) FROM applications WHERE posting_id = $1::uuid"
                                     " AND status = 'HIRED'",
                                     posting_id)[0][0]
                          .as<int>());
        *out.mutable_conclude_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            absl::ToUnixMicros(clock_.Now()));
        return out;
      });
}

template <typename M>
absl::StatusOr<M> PgApplicationStore::Idempotent(
    const Actor& actor, const IdempotencyRequest& idem,
    const std::function<absl::StatusOr<M>(pqxx::work&)>& effect) {
  M result;
  absl::Status status = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto replay = idempotency::Replay<M>(tx, KeyOf(actor, idem), idem.request_hash);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      result = **replay;
      return absl::OkStatus();
    }
    auto out = effect(tx);
    if (!out.ok()) return out.status();
    result = *std::move(out);
    idempotency::Remember(tx, KeyOf(actor, idem), idem.request_hash, result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::optional<absl::Time>> PgApplicationStore::LastInterview(
    const std::string& posting_id) {
  std::optional<absl::Time> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    out.reset();
    const auto row = tx.exec_params1(
        "SELECT micros(max(al.at)) FROM audit_log al JOIN applications a ON a.id = al.application_id"
        " WHERE a.posting_id = $1::uuid AND al.action = 'status_changed'"
        " AND al.to_status = 'INTERVIEWED'",
        posting_id);
    if (!row[0].is_null()) out = pg::FromMicros(row[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

namespace {

std::vector<v1::RatingCriterion> ReadCriteria(pqxx::work& tx, const std::string& posting_id) {
  std::vector<v1::RatingCriterion> out;
  for (const auto& r : tx.exec_params(
           "SELECT name, description FROM rating_criteria WHERE posting_id = $1::uuid"
           " ORDER BY position",
           posting_id)) {
    v1::RatingCriterion c;
    c.set_name(r[0].as<std::string>());
    c.set_description(r[1].as<std::string>());
    out.push_back(std::move(c));
  }
  return out;
}

google::protobuf::Timestamp TsOf(const pqxx::field& micros) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros.as<int64_t>());
}

}  // namespace

absl::StatusOr<v1::RatingCriteria> PgApplicationStore::SetCriteria(
    const Actor& actor, const IdempotencyRequest& idem, const v1::RatingCriteria& criteria) {
  return Idempotent<v1::RatingCriteria>(
      actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::RatingCriteria> {
        // Serialise with concurrent ratings of the posting.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('criteria:' || $1))",
                       criteria.posting_id());
        if (!tx.exec_params("SELECT 1 FROM ratings WHERE posting_id = $1::uuid LIMIT 1",
                            criteria.posting_id())
                 .empty()) {
          return absl::FailedPreconditionError(
              "the committee has started rating; the criteria are fixed now");
        }
        tx.exec_params("DELETE FROM rating_criteria WHERE posting_id = $1::uuid",
                       criteria.posting_id());
        for (int i = 0; i < criteria.criteria_size(); ++i) {
          tx.exec_params(
              "INSERT INTO rating_criteria (posting_id, position, tenant_id, name, description)"
              " VALUES ($1::uuid, $2, $3, $4, $5)",
              criteria.posting_id(), i, actor.tenant, criteria.criteria(i).name(),
              criteria.criteria(i).description());
        }
        return criteria;
      });
}

absl::StatusOr<std::vector<v1::RatingCriterion>> PgApplicationStore::Criteria(
    const std::string& posting_id) {
  std::vector<v1::RatingCriterion> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    out = ReadCriteria(tx, posting_id);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Rating> PgApplicationStore::Rate(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& application_id,
    const std::function<absl::StatusOr<v1::Rating>(
        const v1::Application&, const std::vector<v1::RatingCriterion>&)>& decide) {
  return Idempotent<v1::Rating>(actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Rating> {
    // FOR SHARE: a rating never lands on an application that is being rejected meanwhile.
    auto rows = tx.exec_params(
        "SELECT data, version FROM applications WHERE id = $1::uuid FOR SHARE", application_id);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("application ", application_id, " not found"));
    }
    const v1::Application current = Parse(rows[0]);
    tx.exec_params("SELECT pg_advisory_xact_lock_shared(hashtext('criteria:' || $1))",
                   current.posting_id());
    auto rating = decide(current, ReadCriteria(tx, current.posting_id()));
    if (!rating.ok()) return rating.status();
    tx.exec_params(
        "INSERT INTO ratings (application_id, posting_id, tenant_id, rater, criterion, score,"
        " comment, rated_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8::timestamptz)"
        " ON CONFLICT (application_id, rater, criterion) DO UPDATE SET score = EXCLUDED.score,"
        " comment = EXCLUDED.comment, rated_at = EXCLUDED.rated_at",
        current.id(), current.posting_id(), current.tenant_id(), rating->rater(),
        rating->criterion(), rating->score(), rating->comment(), pg::ToPgTimestamp(clock_.Now()));
    return rating;
  });
}

absl::StatusOr<std::vector<RankingCandidate>> PgApplicationStore::RankingCandidates(
    const std::string& posting_id) {
  std::vector<RankingCandidate> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    out.clear();
    // Rated applications and those the committee is still to rate; rejected and withdrawn
    // ones leave the ranking.
    auto rows = tx.exec_params(
        "SELECT a.data, a.version, coalesce(sum(r.score), 0), count(r.score),"
        " count(DISTINCT r.rater),"
        " (SELECT count(DISTINCT r2.rater) FROM ratings r2 JOIN applications a2"
        "  ON a2.id = r2.application_id WHERE a2.posting_id = $1::uuid)"
        " FROM applications a LEFT JOIN ratings r ON r.application_id = a.id"
        " WHERE a.posting_id = $1::uuid AND a.status NOT IN"
        " ('RECEIVED', 'SCREENING', 'REJECTED', 'WITHDRAWN')"
        " GROUP BY a.id ORDER BY a.submitted_at, a.id",
        posting_id);
    for (const auto& row : rows) {
      const v1::Application a = Parse(row);
      RankingCandidate c;
      c.application_id = a.id();
      c.pseudonym = a.pseudonym();
      c.status = a.status();
      c.score_sum = row[2].as<int64_t>();
      c.rating_count = row[3].as<int>();
      c.rater_count = row[4].as<int>();
      c.female = IsFemale(a.applicant());
      c.severely_disabled = a.severely_disabled() || a.equivalent_status();
      c.identity_revealed = a.identity_revealed();
      c.procedure_raters = row[5].as<int>();
      out.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::ParticipationVerdict> PgApplicationStore::RecordVerdict(
    const Actor& actor, const IdempotencyRequest& idem, const v1::ParticipationVerdict& v) {
  return Idempotent<v1::ParticipationVerdict>(
      actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::ParticipationVerdict> {
        const absl::Time now = clock_.Now();
        tx.exec_params(
            "INSERT INTO participation_verdicts (posting_id, tenant_id, body, verdict, agrees,"
            " actor, recorded_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz)",
            v.posting_id(), actor.tenant, static_cast<int>(v.body()), v.verdict(), v.agrees(),
            actor.sub, pg::ToPgTimestamp(now));
        events::v1::ParticipationRecorded e;
        e.set_posting_id(v.posting_id());
        e.set_body(v1::ParticipationBody_Name(v.body()));
        e.set_agrees(v.agrees());
        outbox::Publish(tx, outbox::EventContext{schema_, actor.tenant, actor.correlation_id,
                                                 actor.sub, now},
                        kParticipationRecordedEvent, e);
        return v;
      });
}

absl::StatusOr<std::vector<v1::ParticipationVerdict>> PgApplicationStore::LatestVerdicts(
    const std::string& posting_id) {
  std::vector<v1::ParticipationVerdict> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    out.clear();
    for (const auto& r : tx.exec_params(
             "SELECT DISTINCT ON (body) body, verdict, agrees, actor, micros(recorded_at)"
             " FROM participation_verdicts WHERE posting_id = $1::uuid ORDER BY body, id DESC",
             posting_id)) {
      v1::ParticipationVerdict v;
      v.set_posting_id(posting_id);
      v.set_body(static_cast<v1::ParticipationBody>(r[0].as<int>()));
      v.set_verdict(r[1].as<std::string>());
      v.set_agrees(r[2].as<bool>());
      v.set_actor(r[3].as<std::string>());
      *v.mutable_time() = TsOf(r[4]);
      out.push_back(std::move(v));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<bool> PgApplicationStore::HasSeverelyDisabledApplicant(const std::string& posting_id) {
  bool out = false;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    out = !tx.exec_params(
                 "SELECT 1 FROM applications WHERE posting_id = $1::uuid AND severely_disabled"
                 " LIMIT 1",
                 posting_id)
               .empty();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

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
  absl::Status s = db_.Read([&](pqxx::work& tx) {
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
  const std::string now = pg::ToPgTimestamp(clock_.Now());
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
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    data = ApplicantData();
    for (const auto& row : tx.exec_params(
             "SELECT data, version FROM applications WHERE applicant_sub = $1"
             " AND ($2 = '' OR tenant_id = $2) ORDER BY submitted_at",
             applicant_sub, tenant_id)) {
      data.applications.push_back(Parse(row));
    }
    for (const auto& a : data.applications) {
      for (auto& e : ReadAudit(tx, a.id())) data.audit.emplace_back(a.id(), std::move(e));
      for (const auto& r : tx.exec_params(
               "SELECT rater, criterion, score, comment, micros(rated_at) FROM ratings"
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
  // The anonymous fact stays for the personnel report, cut loose and coarsened to the Berlin
  // day: exact instants next to posting, sex and disability could point back to one person
  // (GDPR Recital 26; disability is Art. 9 data). Days to hire stay whole days.
  tx.exec_params(
      "UPDATE application_facts SET application_id = NULL,"
      " submitted_at = date_trunc('day', submitted_at, 'Europe/Berlin'),"
      " hired_at = date_trunc('day', hired_at, 'Europe/Berlin')"
      " WHERE application_id = ANY($1::uuid[])",
      array);
  const auto deleted = tx.exec_params("DELETE FROM applications WHERE id = ANY($1::uuid[])", array);
  const absl::Time now = clock_.Now();
  std::map<std::string, int> per_tenant;
  for (const auto& [owner, app_ids] : by_owner) {
    per_tenant[owner.first] += static_cast<int>(app_ids.size());
    events::v1::ApplicantErased e;
    e.set_applicant_sub(owner.second);
    for (const auto& id : app_ids) e.add_application_ids(id);
    e.set_cause(cause);
    outbox::Publish(tx, outbox::EventContext{schema_, owner.first, actor.correlation_id, actor.sub, now},
                    kApplicantErasedEvent, e);
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
  return Idempotent<v1::EraseApplicantResponse>(
      actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::EraseApplicantResponse> {
        std::vector<std::string> ids;
        for (const auto& r : tx.exec_params(
                 "SELECT id::text FROM applications WHERE applicant_sub = $1"
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
          tx.exec_params("DELETE FROM idempotency_keys WHERE tenant_id = $1", applicant_sub);
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
  const int erased = EraseApplications(tx, ids, "RETENTION", Actor{"system:retention", "", ""});
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
  return Idempotent<v1::RetentionPolicy>(
      actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::RetentionPolicy> {
        tx.exec_params(
            "INSERT INTO retention_policies (tenant_id, months) VALUES ($1, $2)"
            " ON CONFLICT (tenant_id) DO UPDATE SET months = EXCLUDED.months",
            policy.tenant_id(), policy.months());
        return policy;
      });
}

absl::StatusOr<StatisticsInput> PgApplicationStore::Statistics(const std::string& tenant_id,
                                                               absl::Time from, absl::Time to) {
  StatisticsInput in;
  absl::Status s = db_.Read([&](pqxx::work& tx) {
    in = StatisticsInput();
    const std::string f = pg::ToPgTimestamp(from), t = pg::ToPgTimestamp(to);
    auto a = tx.exec_params(
        "SELECT count(*), count(*) FILTER (WHERE female),"
        " count(*) FILTER (WHERE severely_disabled), count(DISTINCT posting_id)"
        " FROM application_facts WHERE tenant_id = $1 AND submitted_at >= $2::timestamptz"
        " AND submitted_at < $3::timestamptz",
        tenant_id, f, t)[0];
    in.applications = a[0].as<int64_t>();
    in.women_applicants = a[1].as<int64_t>();
    in.severely_disabled_applicants = a[2].as<int64_t>();
    in.postings_with_applications = a[3].as<int64_t>();
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

absl::Status PgApplicationStore::ApplyCoordinationOutcome(pqxx::work& tx,
                                                          const std::string& application_id,
                                                          const std::string& city_tenant,
                                                          bool cleared, const std::string& reason,
                                                          const std::string& correlation_id) {
  auto rows = tx.exec_params(
      "SELECT data, version FROM applications WHERE id = $1::uuid AND tenant_id = $2 FOR UPDATE",
      application_id, city_tenant);
  if (rows.empty()) {
    spdlog::warn("coordination outcome for unknown application {} of {}: ignored", application_id,
             city_tenant);
    return absl::OkStatus();
  }
  const v1::Application current = Parse(rows[0]);
  if (current.status() != v1::PENDING_COORDINATION) {
    spdlog::info("coordination outcome for application {} in {}: nothing to do", application_id,
             StatusName(current.status()));
    return absl::OkStatus();
  }
  const v1::ApplicationStatus to = cleared ? v1::OFFER_APPROVED : v1::PROPOSED;
  const absl::Time now = clock_.Now();
  const char* actor = "system:coordination";
  AppChange c;
  c.next = current;
  c.next.set_status(to);
  *c.next.mutable_update_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  auto* h = c.next.add_history();
  h->set_from(current.status());
  h->set_to(to);
  h->set_actor(actor);
  h->set_reason(reason);
  *h->mutable_time() = c.next.update_time();
  auto e = std::make_shared<events::v1::ApplicationStatusChanged>();
  e->set_application_id(current.id());
  e->set_posting_id(current.posting_id());
  e->set_applicant_sub(current.applicant_sub());
  e->set_from(StatusName(current.status()));
  e->set_to(StatusName(to));
  e->set_reason(reason);
  c.events.emplace_back(kStatusChangedEvent, e);
  c.audit.push_back({"status_changed", StatusName(current.status()), StatusName(to), reason});
  Write(tx, Actor{actor, current.tenant_id(), correlation_id}, current, std::move(c));
  return absl::OkStatus();
}

}  // namespace stellenwerk::applications
