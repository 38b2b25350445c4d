// ApplicationService: documents (upload, download).
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "services/applications/domain/service_support.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace service_support;  // NOLINT(build/namespaces): this class's own helpers
using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

absl::StatusOr<v1::Document> ApplicationService::Upload(const auth::Principal& who,
                                                        const v1::DocumentMetadata& metadata,
                                                        const std::string& content) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  errors::Validator v;
  v.Check(!metadata.file_name().empty() && metadata.file_name().size() <= 255, "metadata.file_name",
          "1–255 characters");
  v.Check(
      v1::DocumentKind_IsValid(metadata.kind()) && metadata.kind() != v1::DOCUMENT_KIND_UNSPECIFIED,
      "metadata.kind", "CV, COVER_LETTER, CERTIFICATE or OTHER_DOCUMENT");
  v.Check(!content.empty(), "chunk", "the document is empty");
  if (!v.ok()) return v.status();
  if (static_cast<int64_t>(content.size()) > kMaxDocumentBytes) {
    return absl::ResourceExhaustedError("a document may have at most 20 MB");
  }
  auto detected = SniffType(content);
  if (!detected.has_value()) {
    return errors::InvalidField("chunk", "only PDF, PNG and JPEG documents are accepted");
  }
  // A document must also end like one: a truncated upload is refused.
  if (!IsComplete(content, *detected)) {
    return errors::InvalidField("chunk", absl::StrCat("the ", *detected, " document is truncated"));
  }
  if (absl::Status s = CheckDeclaredType(metadata, *detected); !s.ok()) return s;
  v1::Document doc;
  doc.set_id(ids::NewUuid());
  doc.set_file_name(metadata.file_name());
  doc.set_kind(metadata.kind());
  doc.set_detected_type(*detected);
  doc.set_size_bytes(static_cast<int64_t>(content.size()));
  *doc.mutable_upload_time() = Ts(clock_.Now());
  return store_.SaveDocument(who.Subject(), doc, content);
}

absl::StatusOr<ApplicationService::DocumentContent> ApplicationService::ReadDocument(
    const auth::Principal& who, const std::string& correlation_id,
    const std::string& application_id, const std::string& document_id) {
  errors::Validator v;
  v.Check(ids::IsUuid(application_id), "application_id", "not an application id");
  v.Check(ids::IsUuid(document_id), "document_id", "not a document id");
  if (!v.ok()) return v.status();
  auto a = store_.Get(application_id);
  if (!a.ok()) return a.status();
  if (absl::Status s = CheckAccess(who, *a); !s.ok()) return s;
  const bool own = IsOwn(who, *a);
  if (!own) {
    // Seed 003: CVs and letters carry name, age, sex and photo — in an anonymised procedure
    // they stay closed to the committee and HR until the identity is revealed (audited).
    auto posting = store_.Posting(a->posting_id());
    if (!posting.ok()) return posting.status();
    if (posting->has_value() && (*posting)->anonymised && !a->identity_revealed()) {
      return absl::FailedPreconditionError(
          "anonymised procedure: documents are shown after RevealIdentity");
    }
  }
  auto doc = store_.AttachedDocument(application_id, document_id);
  if (!doc.ok()) return doc.status();
  if (!doc->has_value()) {
    return absl::NotFoundError(absl::StrCat("document ", document_id, " not found"));
  }
  if (!own) {
    // Who read which applicant's documents stays provable (GDPR Art. 5 (2)).
    if (absl::Status s = store_.RecordAccess(Actor::Of(who, correlation_id), {application_id},
                                             "document_viewed", (*doc)->first.file_name());
        !s.ok()) {
      return s;
    }
  }
  return DocumentContent{std::move((*doc)->first), std::move((*doc)->second)};
}

}  // namespace stellenwerk::applications
