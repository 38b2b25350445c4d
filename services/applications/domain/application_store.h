#pragma once
// The applications service's storage port: each call one transaction in which the state, its
// events (outbox), the audit rows and the idempotent answer commit together.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications {

struct Actor {
  std::string sub;
  std::string tenant;
  std::string correlation_id;
};

struct IdempotencyRequest {
  std::string operation;
  std::string request_id;
  std::string request_hash;
};

struct PostingSnapshot {
  std::string posting_id;
  std::string tenant_id;
  std::string kennziffer;
  std::string title;
  std::string status;  // PUBLISHED, CLOSED, ...
  std::optional<absl::Time> deadline;
  bool anonymised = false;
  bool coordination_required = false;
};

struct AuditEntry {
  std::string action;
  std::string from;
  std::string to;
  std::string reason;
};

struct AppChange {
  v1::Application next;
  std::vector<std::pair<std::string, std::shared_ptr<google::protobuf::Message>>> events;
  std::vector<AuditEntry> audit;
};

struct ApplicationPage {
  std::vector<v1::Application> applications;
  std::string next_page_token;
};

class ApplicationStore {
 public:
  virtual ~ApplicationStore() = default;

  virtual absl::StatusOr<v1::Document> SaveDocument(const std::string& owner_sub,
                                                    const v1::Document& meta,
                                                    const std::string& content) = 0;
  // The caller's own, not yet attached documents among `ids` (others are NOT_FOUND).
  virtual absl::StatusOr<std::vector<v1::Document>> OwnDocuments(
      const std::string& owner_sub, const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<std::optional<PostingSnapshot>> Posting(const std::string& posting_id) = 0;

  // The stored answer to an earlier call with this request_id (ALREADY_EXISTS if the body
  // differs), checked before anything else so a replay is not refused by later state.
  virtual absl::StatusOr<std::optional<v1::Application>> Replayed(
      const Actor& actor, const IdempotencyRequest& idem) = 0;
  // Inserts the application built by `build` (ALREADY_EXISTS if this applicant already
  // applied to the posting) and attaches its documents.
  virtual absl::StatusOr<v1::Application> Submit(
      const Actor& actor, const IdempotencyRequest& idem,
      const std::function<absl::StatusOr<AppChange>(const std::string& id,
                                                    const std::string& pseudonym)>& build) = 0;
  virtual absl::StatusOr<v1::Application> Get(const std::string& id) = 0;
  // Locks the application and applies `decide` to it.
  virtual absl::StatusOr<v1::Application> Update(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& id,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) = 0;
  virtual absl::StatusOr<ApplicationPage> List(const std::string& tenant_id,
                                               const std::string& posting_id,
                                               const std::vector<v1::ApplicationStatus>& statuses,
                                               int page_size, const std::string& page_token) = 0;
  virtual absl::StatusOr<ApplicationPage> ListOwn(const std::string& applicant_sub) = 0;
};

}  // namespace stellenwerk::applications
