#pragma once
// The rules of an application (DOMAIN.md "Applications"), pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications {

namespace v1 = ::stellenwerk::applications::v1;

inline constexpr int64_t kMaxDocumentBytes = 20LL * 1024 * 1024;     // per file
inline constexpr int64_t kMaxApplicationBytes = 50LL * 1024 * 1024;  // all files together
inline constexpr int kMaxDocuments = 20;

// The type by content, never by name: PDF, PNG or JPEG; nullopt for anything else.
std::optional<std::string> SniffType(std::string_view head);

// Whether the content ends as its type must (a truncated upload does not): a PDF's %%EOF in
// its last KiB, a PNG's IEND chunk with its CRC, a JPEG's end-of-image marker FF D9 (trailing
// padding of up to a KiB tolerated, as some cameras write it).
bool IsComplete(std::string_view content, std::string_view detected_type);

// A declared type or file extension that contradicts the content is refused (a ".pdf" that
// is not a PDF). INVALID_ARGUMENT naming the field.
absl::Status CheckDeclaredType(const v1::DocumentMetadata& metadata, const std::string& detected);

// Submission shape: applicant name and email, GDPR consent with version and time, CV and a
// cover letter (text or document).
absl::Status ValidateSubmission(const v1::SubmitApplicationRequest& request, bool has_cv,
                                bool has_cover_letter_document);

// Anonymised procedure (seed 003): the motivation and qualification texts the committee reads
// are required, at most 4,000 characters each, and must not carry the applicant's given or
// family name (as a word, case-insensitive) or email address (nor its local part).
// INVALID_ARGUMENT naming the field.
absl::Status CheckAnonymisedTexts(const v1::SubmitApplicationRequest& request);

// The status flow: RECEIVED → SCREENING → SHORTLISTED | REJECTED → INVITED → INTERVIEWED →
// PROPOSED → (PENDING_COORDINATION) → OFFER_APPROVED → HIRED; WITHDRAWN from any open state;
// REJECTED (with a reason) from SCREENING up to OFFER_APPROVED, PENDING_COORDINATION included.
bool IsAllowedTransition(v1::ApplicationStatus from, v1::ApplicationStatus to);
bool IsOpen(v1::ApplicationStatus status);
// Every open status (IsOpen), in enum order.
std::vector<v1::ApplicationStatus> OpenStatuses();

// ChangeStatus by a person (not the system): the target must be one ChangeStatus may set,
// the role must allow it, a rejection needs a reason, and SGB IX § 165: a severely disabled
// (or equivalent) applicant rejected before the interview needs the explicit finding
// "obviously unqualified" with its reason.
absl::Status CheckStatusChange(const v1::Application& current, const v1::ChangeStatusRequest& r,
                               const auth::Principal& who);

const char* StatusName(v1::ApplicationStatus status);

// Ending a procedure (ConcludeProcedure) rejects every open application of the posting. Refused
// (FAILED_PRECONDITION, naming pseudonyms only) while a hiring is in progress (PROPOSED,
// PENDING_COORDINATION, OFFER_APPROVED: finalize or reject it first) or while a severely
// disabled or equivalent applicant is still before the interview (SGB IX § 165 S. 3–4: invite
// them, or reject them singly with the finding "obviously unqualified").
absl::Status CheckConclusion(const std::vector<v1::Application>& open);

// Ratings: scores 1 (does not meet the requirement) … 5 (far exceeds it).
inline constexpr int kMinScore = 1;
inline constexpr int kMaxScore = 5;
// Shortlisted, invited and interviewed applicants are rated (DOMAIN.md "Selection").
bool IsRateable(v1::ApplicationStatus status);

// The applicant's stated sex is female ("w", "weiblich", "female", "f", "Frau"); for the LGG
// NRW tie rule and the anonymous statistics only.
bool IsFemale(const v1::Applicant& applicant);

// Anonymous statistics (seed 002, GDPR Recital 26): no group under kMinGroupSize. A group is
// suppressed when it or its complement within `total` is non-empty and smaller than that —
// the complement too, or the group could be computed by subtraction.
inline constexpr int kMinGroupSize = 5;
v1::StatisticValue Group(int64_t count, int64_t total);
v1::StatisticValue Total(int64_t count);

// Retention of applicant data after the procedure ended, unless the applicant joined the
// talent pool. 6 months covers the AGG § 15 (4) two-month claim period plus the three months
// to sue (§ 61b ArbGG) and delivery; tenants may choose 1–24.
inline constexpr int kDefaultRetentionMonths = 6;
// Documents uploaded but never submitted with an application are erased after this many days.
inline constexpr int kUnsubmittedDocumentDays = 30;

}  // namespace stellenwerk::applications
