#include "services/applications/domain/transitions.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/domain/application_rules.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

namespace ev = events::v1;

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

bool InformsDisabilityRepresentative(v1::ApplicationStatus to) {
  return to == v1::INVITED || to == v1::REJECTED || to == v1::PROPOSED || to == v1::HIRED;
}

bool MayMove(Cause cause, v1::ApplicationStatus from, v1::ApplicationStatus to) {
  switch (cause) {
    case Cause::kStaffDecision:
      // DOMAIN.md: screening starts at the deadline (the posting's close), never by hand
      // before it — RECEIVED → SCREENING is the deadline's move alone.
      return to != v1::WITHDRAWN && !(from == v1::RECEIVED && to == v1::SCREENING) &&
             IsAllowedTransition(from, to);
    case Cause::kWithdrawal:
      return to == v1::WITHDRAWN && IsOpen(from);
    case Cause::kDeadline:
      return from == v1::RECEIVED && to == v1::SCREENING;
    case Cause::kProcedureEnded:
      return to == v1::REJECTED && IsOpen(from);
    case Cause::kCoordination:
      return from == v1::PENDING_COORDINATION && (to == v1::OFFER_APPROVED || to == v1::PROPOSED);
  }
  return false;
}

absl::StatusOr<AppChange> Transition(const v1::Application& current, const Move& move) {
  std::vector<std::pair<v1::ApplicationStatus, v1::ApplicationStatus>> steps;
  if (move.via != v1::APPLICATION_STATUS_UNSPECIFIED && move.via != current.status()) {
    steps = {{current.status(), move.via}, {move.via, move.to}};
  } else {
    steps = {{current.status(), move.to}};
  }
  for (const auto& [from, to] : steps) {
    if (!MayMove(move.cause, from, to)) {
      return absl::FailedPreconditionError(
          absl::StrCat("an application in ", StatusName(from), " cannot become ", StatusName(to)));
    }
  }
  AppChange c;
  c.next = current;
  c.next.set_status(move.to);
  *c.next.mutable_update_time() = Ts(move.now);
  if (IsOpen(current.status()) && !IsOpen(move.to)) *c.next.mutable_end_time() = Ts(move.now);
  if (move.obviously_unqualified && move.to == v1::REJECTED) c.next.set_obviously_unqualified(true);
  const bool disabled = current.severely_disabled() || current.equivalent_status();
  for (const auto& [from, to] : steps) {
    auto* h = c.next.add_history();
    h->set_from(from);
    h->set_to(to);
    h->set_actor(move.actor);
    h->set_reason(move.reason);
    *h->mutable_time() = Ts(move.now);
    auto e = std::make_shared<ev::ApplicationStatusChanged>();
    e->set_application_id(current.id());
    e->set_posting_id(current.posting_id());
    e->set_applicant_sub(current.applicant_sub());
    e->set_from(StatusName(from));
    e->set_to(StatusName(to));
    e->set_reason(move.reason);
    c.events.push_back(std::move(e));
    c.audit.push_back({"status_changed", StatusName(from), StatusName(to), move.reason});
    // SGB IX § 178 (2) S. 1: the Schwerbehindertenvertretung is told of every decision about a
    // severely disabled or equivalent applicant, § 165 S. 4 the finding with its reason. The
    // district's outcome (kCoordination) is not the employer's decision.
    if (disabled && move.cause != Cause::kCoordination && InformsDisabilityRepresentative(to)) {
      auto i = std::make_shared<ev::DisabilityRepresentativeInformed>();
      i->set_application_id(current.id());
      i->set_posting_id(current.posting_id());
      i->set_kennziffer(current.kennziffer());
      i->set_pseudonym(current.pseudonym());
      i->set_decision(StatusName(to));
      i->set_reason(move.reason);
      i->set_obviously_unqualified(to == v1::REJECTED && c.next.obviously_unqualified());
      const int heard = current.representative_statements_size();
      i->set_representative_heard(heard > 0);
      if (heard > 0) {
        i->set_representative_statement(current.representative_statements(heard - 1).text());
      }
      c.events.push_back(std::move(i));
    }
  }
  if (move.to == v1::WITHDRAWN) {
    auto w = std::make_shared<ev::ApplicationWithdrawn>();
    w->set_application_id(current.id());
    w->set_posting_id(current.posting_id());
    w->set_applicant_sub(current.applicant_sub());
    c.events.push_back(std::move(w));
  }
  return c;
}

AppChange CoordinationOutcome(const v1::Application& current, bool cleared,
                              const std::string& reason, absl::Time now,
                              const v1::CoordinationConditions* conditions) {
  auto moved = Transition(current, Move{.to = cleared ? v1::OFFER_APPROVED : v1::PROPOSED,
                                        .cause = Cause::kCoordination,
                                        .actor = "system:coordination",
                                        .reason = reason,
                                        .now = now});
  if (moved.ok()) {
    if (cleared && conditions != nullptr)
      *moved->next.mutable_coordination_conditions() = *conditions;
    return *std::move(moved);
  }
  AppChange unchanged;
  unchanged.next = current;
  return unchanged;
}

}  // namespace stellenwerk::applications
