#pragma once
// The ranking of a selection (Bestenauslese, Art. 33 (2) GG), pure: by the mean of all scores,
// and at equal qualification by the preference rules of the law, each tie saying which rule
// decided it.

#include <string>
#include <vector>

#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications {

namespace v1 = ::stellenwerk::applications::v1;

inline constexpr char kTieRuleSgb9[] = "SGB IX";
inline constexpr char kTieRuleLgg[] = "LGG NRW";

struct RankingCandidate {
  std::string application_id;
  std::string pseudonym;
  v1::ApplicationStatus status = v1::APPLICATION_STATUS_UNSPECIFIED;
  int64_t score_sum = 0;  // over every rater and criterion
  int rating_count = 0;
  int rater_count = 0;
  bool female = false;
  bool severely_disabled = false;  // incl. equivalent status (SGB IX § 2 (3))
  bool identity_revealed = false;  // anonymised procedures: after RevealIdentity
  int procedure_raters = 0;        // committee members who rated anyone in this procedure
  // Ratings a complete assessment has: procedure raters × criteria (0: not known).
  int expected_ratings = 0;
};

// Anonymised procedure (seed 003): the committee must not learn sex or disability from the
// ranking before RevealIdentity, so for candidates not yet revealed the preference rules wait
// (their attributes count as not given) and their explanation says so.
void WithholdPreferencesOfHidden(std::vector<RankingCandidate>& candidates);
inline constexpr char kPreferencesWithheld[] =
    "the preference rules (SGB IX, LGG NRW) apply once the identity is revealed";

// Candidates with ratings first, by mean score (exact: sums and counts are compared as
// fractions, never as rounded doubles). At an equal mean:
//   1. SGB IX § 164 (1), § 165: severely disabled applicants first;
//   2. LGG NRW § 7 (1) — only when the posting says women are under-represented in its pay
//      group: women first. § 7 (1) yields where "reasons in the person of a competitor
//      prevail"; the severe disability of a competitor is such a reason, so SGB IX goes first.
// Candidates equal in mean and in both rules share a rank. Unrated candidates follow, rank 0.
v1::Ranking Rank(std::vector<RankingCandidate> candidates, bool women_preferred);

}  // namespace stellenwerk::applications
