#include "services/applications/adapters/pg_application_store.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/uuid.h"
#include "common/outbox/events.h"
#include "common/pg/keyset.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

v1::Application Parse(const pqxx::row& row) {  // data, version
  v1::Application a;
  a.ParseFromString(pg::BytesOf(row[0]));
  a.set_etag(std::to_string(row[1].as<int64_t>()));
  return a;
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

// Write found an application of this applicant to this posting (caught in Submit).
struct AlreadyApplied {};

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
    auto rows = tx.exec_params(
        "SELECT id::text, kind, file_name, detected_type, sha256, size_bytes, micros(created_at)"
        " FROM documents WHERE id = ANY($1::uuid[]) AND owner_sub = $2 AND application_id IS NULL",
        UuidArray(ids), owner_sub);
    if (rows.size() != ids.size()) {
      return absl::NotFoundError("document_ids: a document is unknown, not yours, or already used");
    }
    for (const auto& r : rows) {
      v1::Document d;
      d.set_id(r[0].as<std::string>());
      d.set_kind(static_cast<v1::DocumentKind>(r[1].as<int>()));
      d.set_file_name(r[2].as<std::string>());
      d.set_detected_type(r[3].as<std::string>());
      d.set_sha256(r[4].as<std::string>());
      d.set_size_bytes(r[5].as<int64_t>());
      *d.mutable_upload_time() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(r[6].as<int64_t>());
      out.push_back(std::move(d));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<PostingSnapshot>> PgApplicationStore::Posting(
    const std::string& posting_id) {
  std::optional<PostingSnapshot> out;
  absl::Status s = db_.ReadStatement([&](pqxx::transaction_base& tx) {
    auto rows = tx.exec_params(
        "SELECT posting_id::text, tenant_id, kennziffer, title, status, micros(deadline_at),"
        " anonymised, coordination_required FROM posting_snapshots WHERE posting_id = $1::uuid",
        posting_id);
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
    // The unique constraint decides (ON CONFLICT in Write): no separate check, one round trip
    // fewer, and two simultaneous submissions get the same answer.
    try {
      result = Write(tx, actor, v1::Application(), *std::move(change), /*insert=*/true);
    } catch (const AlreadyApplied&) {
      return absl::AlreadyExistsError("you have already applied to this posting");
    }
    std::vector<std::string> doc_ids;
    for (const auto& d : result.documents()) doc_ids.push_back(d.id());
    auto attached = tx.exec_params(
        "UPDATE documents SET application_id = $1::uuid WHERE id = ANY($2::uuid[])"
        " AND owner_sub = $3 AND application_id IS NULL",
        result.id(), UuidArray(doc_ids), actor.sub);
    if (attached.affected_rows() != doc_ids.size()) {
      return absl::AbortedError("a document was used by another application meanwhile");
    }
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
    result = Write(tx, actor, current, *std::move(change), /*insert=*/false);
    idempotency::Remember(tx, KeyOf(actor, idem), idem.request_hash, result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

v1::Application PgApplicationStore::Write(pqxx::work& tx, const Actor& actor,
                                          const v1::Application& current, AppChange change,
                                          bool insert) {
  v1::Application& next = change.next;
  int64_t version = 1;
  if (!insert) {
    absl::SimpleAtoi(current.etag(), &version);
    ++version;
  }
  next.clear_etag();
  const std::string now = pg::ToPgTimestamp(clock_.Now());
  if (insert) {
    auto inserted = tx.exec_params(
        "INSERT INTO applications (id, tenant_id, posting_id, applicant_sub, status, version,"
        " severely_disabled, data, submitted_at, updated_at)"
        " VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, $7, $8, $9::timestamptz, $9::timestamptz)"
        " ON CONFLICT ON CONSTRAINT applications_once_per_posting DO NOTHING",
        next.id(), next.tenant_id(), next.posting_id(), next.applicant_sub(),
        std::string(StatusName(next.status())), version,
        next.severely_disabled() || next.equivalent_status(), pg::Bytes(next.SerializeAsString()), now);
    if (inserted.affected_rows() == 0) throw AlreadyApplied();
  } else {
    tx.exec_params(
        "UPDATE applications SET status = $2, version = $3, data = $4, updated_at = $5::timestamptz"
        " WHERE id = $1::uuid",
        next.id(), std::string(StatusName(next.status())), version,
        pg::Bytes(next.SerializeAsString()), now);
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

absl::Status PgApplicationStore::ApplyPostingSnapshot(pqxx::work& tx, const PostingSnapshot& p,
                                                      int64_t version) {
  std::optional<std::string> deadline;
  if (p.deadline.has_value()) deadline = pg::ToPgTimestamp(*p.deadline);
  tx.exec_params(
      "INSERT INTO posting_snapshots (posting_id, tenant_id, kennziffer, title, status,"
      " deadline_at, anonymised, coordination_required, version)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9)"
      " ON CONFLICT (posting_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
      " kennziffer = EXCLUDED.kennziffer, title = EXCLUDED.title, status = EXCLUDED.status,"
      " deadline_at = EXCLUDED.deadline_at, anonymised = EXCLUDED.anonymised,"
      " coordination_required = EXCLUDED.coordination_required, version = EXCLUDED.version"
      " WHERE posting_snapshots.version < EXCLUDED.version",  // events may arrive out of order
      p.posting_id, p.tenant_id, p.kennziffer, p.title, p.status, deadline, p.anonymised,
      p.coordination_required, version);
  return absl::OkStatus();
}

absl::Status PgApplicationStore::StartScreening(pqxx::work& tx, const std::string& posting_id,
                                                const std::string& correlation_id) {
  auto rows = tx.exec_params(
      "SELECT data, version FROM applications WHERE posting_id = $1::uuid AND status = 'RECEIVED'"
      " FOR UPDATE",
      posting_id);
  const absl::Time now = clock_.Now();
  for (const auto& row : rows) {
    const v1::Application current = Parse(row);
    AppChange c;
    c.next = current;
    c.next.set_status(v1::SCREENING);
    *c.next.mutable_update_time() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
    auto* h = c.next.add_history();
    h->set_from(v1::RECEIVED);
    h->set_to(v1::SCREENING);
    h->set_actor("system:deadline");
    h->set_reason("application deadline passed");
    *h->mutable_time() = c.next.update_time();
    auto e = std::make_shared<events::v1::ApplicationStatusChanged>();
    e->set_application_id(current.id());
    e->set_posting_id(current.posting_id());
    e->set_applicant_sub(current.applicant_sub());
    e->set_from("RECEIVED");
    e->set_to("SCREENING");
    e->set_reason("application deadline passed");
    c.events.emplace_back(kStatusChangedEvent, e);
    c.audit.push_back({"status_changed", "RECEIVED", "SCREENING", "application deadline passed"});
    Write(tx, Actor{"system:deadline", current.tenant_id(), correlation_id}, current, std::move(c),
          /*insert=*/false);
  }
  return absl::OkStatus();
}

}  // namespace stellenwerk::applications
