#pragma once
// The status moves of an application (DOMAIN.md "Applications") as pure decisions, in the
// style of coordination's notice_rules: the current application and a move (target, cause,
// who, why) → the change (history entries, status events, audit lines, end of procedure) or a
// refusal. RPCs, consumers and ConcludeProcedure move applications only through here, so
// every move — a person's or the system's — is checked against what its cause allows.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/applications/domain/application_store.h"
#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications {

// Why an application moves; each cause allows its own moves.
enum class Cause {
  kStaffDecision,   // ChangeStatus and the hiring calls: the status flow (IsAllowedTransition)
  kWithdrawal,      // the applicant withdraws: any open state → WITHDRAWN
  kDeadline,        // the application period ended (DOMAIN.md): RECEIVED → SCREENING
  kProcedureEnded,  // the posting was withdrawn or the procedure concluded: open → REJECTED
  kCoordination,    // the district's outcome (seed 004): PENDING_COORDINATION → OFFER_APPROVED
                    // (cleared) or PROPOSED (withdrawn, instructed)
};

struct Move {
  v1::ApplicationStatus to = v1::APPLICATION_STATUS_UNSPECIFIED;
  Cause cause = Cause::kStaffDecision;
  std::string actor;   // the subject, or "system:<what>"
  std::string reason;  // shown to the applicant with a rejection
  absl::Time now;
  // A status passed on the way, recorded as its own step (PROPOSED on the way to
  // PENDING_COORDINATION, OFFER_APPROVED on the way to HIRED without coordination).
  v1::ApplicationStatus via = v1::APPLICATION_STATUS_UNSPECIFIED;
  // SGB IX § 165 S. 4: a rejection of a severely disabled applicant before the interview
  // states that they are obviously unqualified; recorded on the application.
  bool obviously_unqualified = false;
};

// The decisions the disability representative is told of (SGB IX § 178 (2) S. 1: "unverzüglich
// und umfassend zu unterrichten"): invitation, rejection, hiring proposal, hiring.
bool InformsDisabilityRepresentative(v1::ApplicationStatus to);

// Whether `cause` may move an application from `from` to `to`.
bool MayMove(Cause cause, v1::ApplicationStatus from, v1::ApplicationStatus to);

// The change of `current` by `move`: the new status and update time, the end of the procedure
// when it leaves the open states (retention counts from there, GDPR Art. 5 (1) e), a history
// entry, a status_changed event and an audit line per step, and the withdrawn event for a
// withdrawal. For a severely disabled or equivalent applicant, each decision step
// (InformsDisabilityRepresentative) also yields applications.disability_representative.informed.v1
// with the pseudonym, reason, § 165 finding and the representative's latest statement (whether
// they were heard before it). FAILED_PRECONDITION when a step is not one its cause allows.
absl::StatusOr<AppChange> Transition(const v1::Application& current, const Move& move);

// The district's outcome for a hiring waiting on it (seed 004): cleared → OFFER_APPROVED,
// otherwise back to PROPOSED with the reason. An application not waiting (any other status)
// is left as it is: the change is empty (the outcome may concern a notice filed by hand).
// With `conditions` (a Weisung im Einzelfall to fill the post under conditions, seed 004
// Nr. 2) a clearance records them on the application: they bind the hiring and are shown with it.
AppChange CoordinationOutcome(const v1::Application& current, bool cleared,
                              const std::string& reason, absl::Time now,
                              const v1::CoordinationConditions* conditions = nullptr);

}  // namespace stellenwerk::applications
