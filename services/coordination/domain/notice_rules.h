#pragma once
// The rules of the city–district staffing procedure (seed 004, DOMAIN.md "City–district
// coordination") as pure functions on the StaffingNotice message: each decision returns the
// next state, the history lines, the events and what happens to the window timer. No SQL, no
// transport.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/store/command.h"
#include "google/protobuf/message.h"
#include "stellenwerk/coordination/v1/coordination.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"

namespace stellenwerk::coordination {

inline constexpr char kWindowTimerKind[] = "coordination.window";
inline constexpr char kBaseDataTimerKind[] = "coordination.base_data";

inline constexpr char kReductionLegalBasis[] = "§ 4 Abs. 1 Heranziehungssatzung vom 18.04.2007";

// Who acts: the verified subject, the role under which they act (Actor::role), their tenant.
using store::Actor;
using store::Events;

enum class WindowTimer { kKeep, kSchedule, kCancel };

// What a decision produces: the next state, its history lines (the audit, appended, never
// changed), its events, what happens to the window timer, a reimbursement reduction.
struct Change : store::Change<v1::StaffingNotice, v1::HistoryEntry> {
  WindowTimer timer = WindowTimer::kKeep;
  std::optional<v1::ReimbursementReduction> reduction;
};

// BGB § 188 (2), § 193 with NRW holidays, Europe/Berlin: the first instant after the week.
absl::Time WindowEnd(absl::Time filed);

// Reactions of the Koordinierungsstelle are possible while the notice is WINDOW_OPEN and the
// clock (not the timer) is before the window's end.
absl::Status CheckWithinWindow(const v1::StaffingNotice& n, absl::Time now);

bool IsCleared(v1::NoticeStatus s);
bool IsFinal(v1::NoticeStatus s);

// Field checks of a filing (INVALID_ARGUMENT naming the fields): meaningful candidate data,
// a post of a kind that needs coordination (leadership or active area).
absl::Status ValidateFiling(const v1::FileStaffingNoticeRequest& r);

absl::StatusOr<Change> NewNotice(const v1::FileStaffingNoticeRequest& r, const std::string& id,
                                 const std::string& city_tenant, const Actor& actor,
                                 absl::Time now);
absl::StatusOr<Change> DeclareNoObjection(const v1::StaffingNotice& n, const Actor& actor,
                                          absl::Time now, std::string_view comment);
absl::StatusOr<Change> RaiseConcern(const v1::StaffingNotice& n, const Actor& actor, absl::Time now,
                                    v1::ConcernKind kind, std::string_view text);
absl::StatusOr<Change> RecordHeadAgreement(const v1::StaffingNotice& n, const Actor& actor,
                                           absl::Time now, std::string_view comment);
absl::StatusOr<Change> RecordDiscussion(const v1::StaffingNotice& n, const Actor& actor,
                                        absl::Time now, const v1::RecordDiscussionRequest& r);
absl::StatusOr<Change> ResolveByConsensus(const v1::StaffingNotice& n, const Actor& actor,
                                          absl::Time now, v1::ConsensusOutcome outcome,
                                          std::string_view terms);
// Weisung im Einzelfall (seed 004, Nr. 2): NOT_TO_FILL (conditions empty) or
// FILL_WITH_CONDITIONS (conditions required); INSTRUCTED either way.
absl::StatusOr<Change> IssueInstruction(const v1::StaffingNotice& n, const Actor& actor,
                                        absl::Time now, v1::InstructionKind kind,
                                        std::string_view instruction, std::string_view conditions);
// GDPR Art. 17: the applicant of the notice's application was erased — the candidates'
// qualification and experience (and name) go; the notice, its status and its history stay.
// Nothing changes (no audit line) when they are gone already.
Change EraseCandidates(const v1::StaffingNotice& n, absl::Time now);
absl::StatusOr<Change> RecordReduction(const v1::StaffingNotice& n, const Actor& actor,
                                       absl::Time now, int64_t amount_cents, int year,
                                       std::string_view reason);
absl::StatusOr<Change> Withdraw(const v1::StaffingNotice& n, const Actor& actor, absl::Time now,
                                std::string_view reason);
// The window timer: WINDOW_OPEN and due → CLEARED_WINDOW_ELAPSED with staffing.cleared.
// Anything else (reacted, withdrawn, not yet due) → no change, no event.
Change ElapseWindow(const v1::StaffingNotice& n, absl::Time now);
// The outcome event of a decided notice (cleared, withdrawn, instructed), as it went out when
// it was decided; none for a notice still open. For re-sending it to a hiring that asks later.
Events OutcomeEvents(const v1::StaffingNotice& n);

void FillSnapshot(const v1::StaffingNotice& n, events::v1::StaffingNoticeSnapshot* s);

// Calendar quarters (Berlin) for the quarterly base data.
struct Quarter {
  int year = 0;
  int q = 0;  // 1..4
  bool operator==(const Quarter&) const = default;
};
absl::StatusOr<Quarter> ParseQuarter(std::string_view text);  // "2025-Q1"
std::string FormatQuarter(Quarter q);
Quarter QuarterOf(absl::CivilDay day);
Quarter NextQuarter(Quarter q);
// End of the quarter's last day, 24:00 Europe/Berlin.
absl::Time QuarterEnd(Quarter q);

absl::Status ValidateBaseData(const v1::SubmitBaseDataRequest& r);

// Per regional office (latest submission each) and in total.
v1::CapacityPlan BuildCapacityPlan(const std::string& district,
                                   const std::vector<v1::BaseDataSubmission>& latest);

// Fills reimbursable/remaining/over-cap from cap, claimed and reductions.
void ComputeReimbursement(v1::ReimbursementStatus& s);

}  // namespace stellenwerk::coordination
