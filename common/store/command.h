#pragma once
// The vocabulary of a command on an aggregate, shared by every service's domain and stores:
// who acts (Actor), which idempotent request it is (IdempotencyRequest), and what a decision
// produces (Change: the next state, its events, its audit lines). Pure: no SQL, no transport.
// The generic transaction path that carries a Change out is common/pg/aggregate_store.h.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "google/protobuf/message.h"

namespace stellenwerk::store {

// Who causes a change: from the verified token, with the request's correlation id; or the
// system itself (a timer, a consumer).
struct Actor {
  // Not an aggregate: built by Of or System (or field by field), so no brace list can put a
  // role where the issuer belongs.
  Actor() = default;

  std::string sub;     // Principal::Subject() (issuer-qualified), or "system:<what>"
  std::string issuer;  // token issuer ("" for the local issuer and the system)
  std::string tenant;
  std::string correlation_id;
  std::string role;        // the role acted under, where a service tells roles apart
  bool applicant = false;  // an applicant (from the portal), not staff of `tenant`

  static Actor Of(const auth::Principal& who, std::string correlation_id, std::string role = "");
  static Actor System(std::string what, std::string tenant, std::string correlation_id);
};

// A mutating RPC's client-chosen request_id (CONTRACT.md): a retry with the same id gets the
// first answer; the same id with another body is ALREADY_EXISTS.
struct IdempotencyRequest {
  std::string operation;   // e.g. "CreatePosting"
  std::string request_id;  // empty: the call is not idempotency-keyed
  std::string request_hash;

  static IdempotencyRequest Of(std::string operation, const std::string& request_id,
                               const google::protobuf::Message& request);
};

// SHA-256 (hex) of the request's deterministic serialization.
std::string RequestHash(const google::protobuf::Message& request);

// Whose request ids may not collide — decided here, once, for every service:
//  - the staff of one tenant share a scope (any clerk of the tenant retrying the call sees its
//    answer; a role check precedes every lookup);
//  - each applicant has a scope of their own.
// Subjects are unique only per token issuer and tenants only per issuer, so both are part of
// every scope: a caller of another tenant (or issuer) whose token carries the same subject
// never meets another's answer.
std::string IdempotencyScope(const Actor& actor);

// Optimistic concurrency (CONTRACT.md "Errors": stale etag → ABORTED): `given` empty means the
// caller does not condition the change; otherwise it must be the aggregate's current etag.
absl::Status CheckEtag(const std::string& current, const std::string& given);

// The events of a change: each message names its own routing key (common/events/catalogue.h).
using Events = std::vector<std::shared_ptr<google::protobuf::Message>>;

// One line of an aggregate's audit trail.
struct AuditLine {
  std::string action;
  std::string from;
  std::string to;
  std::string reason;
};

// What a decision produces: the next state, the events to publish, the audit lines to write —
// all committed in one transaction with the state (outbox).
template <typename State, typename Audit = AuditLine>
struct Change {
  State next;
  Events events;
  std::vector<Audit> audit;
};

}  // namespace stellenwerk::store
