// ApplicationService: selection (rating criteria, ratings, ranking).
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

absl::StatusOr<v1::RatingCriteria> ApplicationService::SetRatingCriteria(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::SetRatingCriteriaRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  errors::Validator v;
  v.Check(r.criteria_size() >= 1 && r.criteria_size() <= 20, "criteria", "1–20 criteria");
  std::set<std::string> names;
  for (int i = 0; i < r.criteria_size(); ++i) {
    const auto& c = r.criteria(i);
    const std::string field = absl::StrCat("criteria[", i, "].name");
    v.Check(!absl::StripAsciiWhitespace(c.name()).empty() && c.name().size() <= 200, field,
            "1–200 characters");
    v.Check(names.insert(c.name()).second, field, "each criterion once");
    v.Check(c.description().size() <= 2000, absl::StrCat("criteria[", i, "].description"),
            "at most 2000 characters");
  }
  if (!v.ok()) return v.status();
  auto posting = OwnPosting(who, r.posting_id());
  if (!posting.ok()) return posting.status();
  v1::RatingCriteria criteria;
  criteria.set_posting_id(r.posting_id());
  *criteria.mutable_criteria() = r.criteria();
  return store_.SetCriteria(Actor::Of(who, correlation_id),
                            Idem("SetRatingCriteria", r.request_id(), r), criteria);
}

absl::StatusOr<v1::Rating> ApplicationService::Rate(const auth::Principal& who,
                                                    const std::string& correlation_id,
                                                    const v1::RateApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(
          who, {auth::roles::kCommitteeMember, auth::roles::kHrClerk, auth::roles::kAdmin});
      !s.ok()) {
    return s;
  }
  errors::Validator v;
  v.Check(ids::IsUuid(r.id()), "id", "not an application id");
  v.Check(r.score() >= kMinScore && r.score() <= kMaxScore, "score",
          absl::StrCat(kMinScore, "–", kMaxScore));
  v.Check(!r.criterion().empty(), "criterion", "required");
  v.Check(r.comment().size() <= 4000, "comment", "at most 4000 characters");
  if (!v.ok()) return v.status();
  const absl::Time now = clock_.Now();
  return store_.Rate(
      Actor::Of(who, correlation_id), Idem("RateApplication", r.request_id(), r), r.id(),
      [&](const v1::Application& a,
          const std::vector<v1::RatingCriterion>& criteria) -> absl::StatusOr<v1::Rating> {
        if (a.tenant_id() != who.tenant) return NotFound(r.id());
        if (!IsRateable(a.status())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "only shortlisted, invited or interviewed applications are rated; this one is ",
              StatusName(a.status())));
        }
        if (criteria.empty()) {
          return absl::FailedPreconditionError(
              "the posting has no rating criteria yet (SetRatingCriteria)");
        }
        const bool known = std::any_of(criteria.begin(), criteria.end(),
                                       [&](const auto& c) { return c.name() == r.criterion(); });
        if (!known) {
          return errors::InvalidField("criterion", "not one of the posting's rating criteria");
        }
        v1::Rating rating;
        rating.set_application_id(a.id());
        rating.set_rater(who.Subject());
        rating.set_criterion(r.criterion());
        rating.set_score(r.score());
        rating.set_comment(r.comment());
        *rating.mutable_time() = Ts(now);
        return rating;
      });
}

absl::StatusOr<v1::Ranking> ApplicationService::GetRanking(const auth::Principal& who,
                                                           const std::string& posting_id) {
  if (!IsStaff(who))
    return absl::PermissionDeniedError("the ranking needs an HR or committee role");
  auto posting = OwnPosting(who, posting_id);
  if (!posting.ok()) return posting.status();
  auto candidates = store_.RankingCandidates(posting_id);
  if (!candidates.ok()) return candidates.status();
  auto criteria = store_.Criteria(posting_id);
  if (!criteria.ok()) return criteria.status();
  for (auto& c : *candidates) {
    c.expected_ratings = c.procedure_raters * static_cast<int>(criteria->size());
  }
  std::set<std::string> withheld;
  if (posting->anonymised) {
    for (const auto& c : *candidates) {
      if (!c.identity_revealed) withheld.insert(c.application_id);
    }
    WithholdPreferencesOfHidden(*candidates);
  }
  v1::Ranking ranking = Rank(*std::move(candidates), posting->women_preferred);
  for (auto& e : *ranking.mutable_entries()) {
    if (withheld.count(e.application_id()) > 0) {
      e.set_explanation(absl::StrCat(e.explanation(), "; ", kPreferencesWithheld));
    }
  }
  for (const auto& c : *criteria) ranking.add_criteria(c.name());
  return ranking;
}

}  // namespace stellenwerk::applications
