#include "services/applications/domain/ranking.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stellenwerk::applications {
namespace {

// a's mean compared with b's: -1 lower, 0 equal, 1 higher (both rated).
int CompareMeans(const RankingCandidate& a, const RankingCandidate& b) {
  const __int128 lhs = static_cast<__int128>(a.score_sum) * b.rating_count;
  const __int128 rhs = static_cast<__int128>(b.score_sum) * a.rating_count;
  return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
}

double Mean(const RankingCandidate& c) {
  return c.rating_count == 0 ? 0.0 : static_cast<double>(c.score_sum) / c.rating_count;
}

// The rule that orders a before b at an equal mean, or "" if none does.
std::string DecidingRule(const RankingCandidate& a, const RankingCandidate& b,
                         bool women_preferred) {
  if (a.severely_disabled != b.severely_disabled) return kTieRuleSgb9;
  if (women_preferred && a.female != b.female) return kTieRuleLgg;
  return "";
}

}  // namespace

void WithholdPreferencesOfHidden(std::vector<RankingCandidate>& candidates) {
  for (auto& c : candidates) {
    if (c.identity_revealed) continue;
    c.female = false;
    c.severely_disabled = false;
  }
}

v1::Ranking Rank(std::vector<RankingCandidate> candidates, bool women_preferred) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const RankingCandidate& a, const RankingCandidate& b) {
                     if ((a.rating_count > 0) != (b.rating_count > 0)) return a.rating_count > 0;
                     if (a.rating_count > 0) {
                       if (int c = CompareMeans(a, b); c != 0) return c > 0;
                     }
                     if (a.severely_disabled != b.severely_disabled) return a.severely_disabled;
                     if (women_preferred && a.female != b.female) return a.female;
                     return a.pseudonym < b.pseudonym;
                   });
  v1::Ranking ranking;
  ranking.set_women_preferred_if_underrepresented(women_preferred);
  int rank = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const RankingCandidate& c = candidates[i];
    v1::RankingEntry* e = ranking.add_entries();
    e->set_application_id(c.application_id);
    e->set_pseudonym(c.pseudonym);
    e->set_mean_score(Mean(c));
    e->set_rating_count(c.rating_count);
    e->set_rater_count(c.rater_count);
    e->set_status(c.status);
    e->set_expected_rating_count(c.expected_ratings);
    e->set_complete(c.expected_ratings > 0 && c.rating_count >= c.expected_ratings);
    if (c.rating_count == 0) {
      e->set_explanation("not rated yet");
      continue;
    }
    const RankingCandidate* prev = i > 0 ? &candidates[i - 1] : nullptr;
    const RankingCandidate* next = i + 1 < candidates.size() && candidates[i + 1].rating_count > 0
                                       ? &candidates[i + 1]
                                       : nullptr;
    const bool tied_prev = prev != nullptr && CompareMeans(*prev, c) == 0;
    const bool tied_next = next != nullptr && CompareMeans(c, *next) == 0;
    const std::string rule_prev = tied_prev ? DecidingRule(*prev, c, women_preferred) : "";
    const std::string rule_next = tied_next ? DecidingRule(c, *next, women_preferred) : "";
    // Same rank only when nothing separates this one from the one above.
    if (!(tied_prev && rule_prev.empty())) rank = static_cast<int>(i) + 1;
    e->set_rank(rank);
    std::string why = absl::StrFormat("mean %.2f from %d ratings by %d raters", Mean(c),
                                      c.rating_count, c.rater_count);
    if (tied_prev && !rule_prev.empty()) {
      e->set_tie_rule(rule_prev);
      absl::StrAppend(&why, "; equal to ", prev->pseudonym, ", placed after by ", rule_prev);
    } else if (tied_next && !rule_next.empty()) {
      e->set_tie_rule(rule_next);
      absl::StrAppend(&why, "; equal to ", next->pseudonym, ", placed before by ", rule_next);
    }
    if (tied_prev && rule_prev.empty()) {
      absl::StrAppend(&why, "; equal to ", prev->pseudonym, " in mean and in the preference rules");
    }
    if (!e->complete() && c.expected_ratings > 0) {
      absl::StrAppend(&why, "; incomplete: ", c.rating_count, " of ", c.expected_ratings,
                      " ratings, so this place is provisional");
    }
    e->set_explanation(why);
  }
  return ranking;
}

}  // namespace stellenwerk::applications
