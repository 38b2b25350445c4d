#pragma once
// The rules of a job posting (DOMAIN.md "Postings"), pure: no I/O, time passed in.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "stellenwerk/postings/v1/postings.pb.h"

namespace stellenwerk::postings {

using v1::Posting;
using v1::PostingStatus;

inline constexpr size_t kMaxTitle = 200;
inline constexpr size_t kMaxShortText = 300;   // department, location, names
inline constexpr size_t kMaxLongText = 20000;  // description
inline constexpr size_t kMaxListItems = 50;    // tasks, requirements, paths, contacts
inline constexpr size_t kMaxItemText = 2000;

// "YY/NNNN": year of creation (Europe/Berlin) and the employer's running number that year.
std::string FormatKennziffer(int year, int64_t number);
bool IsWellFormedKennziffer(std::string_view kennziffer);

// A grade's position within its scheme, for range filters: "EG 9b" < "EG 10", "A 6" < "A 7".
// nullopt if the grade is not valid for the scheme (TVöD/TV-L: EG 1–15, with 9a–9c, 2Ü, 15Ü,
// S 2–S 18, P 5–P 16; LBesG NRW: A 3–A 16, B 1–B 11, R 1–R 10, W 1–W 3; Pkw-Fahrer-TV-L:
// PG 1–PG 5).
std::optional<int> GradeRank(v1::PayScheme scheme, std::string_view grade);

// Shape checks for a draft (create/update): sizes, enums, pay, contacts, kind details.
// INVALID_ARGUMENT with every violated field. `now` bounds the deadline (not in the past).
absl::Status ValidateDraft(const Posting& posting, absl::Time now);

// Publishing needs a title, pay, a deadline in the future and a contact (FAILED_PRECONDITION
// naming what is missing), and a DRAFT.
absl::Status CheckPublishable(const Posting& posting, absl::Time now);

// The instant the application deadline ends: 24:00 Europe/Berlin of the deadline date.
absl::StatusOr<absl::Time> DeadlineInstant(const Posting& posting);

// Allowed status changes: DRAFT→PUBLISHED|WITHDRAWN, PUBLISHED→CLOSED|WITHDRAWN.
absl::Status CheckTransition(PostingStatus from, PostingStatus to);

// Fields that may change after publishing: the text (title, description, tasks), contacts and
// an extended deadline; not the pay, kind, employment terms, requirements, qualification
// paths, location, equal-opportunity rules, programme details or anything else that changes
// who may apply or how they are judged.
absl::Status CheckPublishedUpdate(const Posting& before, const Posting& after, absl::Time now);

const char* StatusName(PostingStatus status);

}  // namespace stellenwerk::postings
