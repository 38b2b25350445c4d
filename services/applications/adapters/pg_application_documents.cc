// PgApplicationStore: documents.

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/digest.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "common/outbox/events.h"
#include "common/pg/keyset.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/adapters/applications_sql.h"
#include "services/applications/adapters/pg_application_rows.h"
#include "services/applications/adapters/pg_application_store.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace rows;  // NOLINT(build/namespaces): this store's own row mapping

absl::StatusOr<v1::Document> PgApplicationStore::SaveDocument(const std::string& owner_sub,
                                                              const v1::Document& meta,
                                                              const std::string& content) {
  v1::Document doc = meta;
  doc.set_sha256(ids::Sha256Hex(content));
  absl::Status s = db_.Transact([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO documents (id, owner_sub, kind, file_name, detected_type, sha256, size_bytes,"
        " content, created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz)",
        doc.id(), owner_sub, static_cast<int>(doc.kind()), doc.file_name(), doc.detected_type(),
        doc.sha256(), doc.size_bytes(), pg::Bytes(content), pg::ToPgTimestamp(apps_.clock().Now()));
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
    tx.conn().prepare("applications_own_documents", sql::kOwnDocuments);
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
    const auto rows = tx.exec_params("SELECT " + std::string(kDocumentColumns) +
                                         ", content FROM documents"
                                         " WHERE id = $1::uuid AND application_id = $2::uuid",
                                     document_id, application_id);
    if (!rows.empty()) out.emplace(DocumentOf(rows[0]), pg::BytesOf(rows[0][7]));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace stellenwerk::applications
