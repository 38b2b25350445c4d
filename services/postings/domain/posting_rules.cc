#include "services/postings/domain/posting_rules.h"

#include <algorithm>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"

namespace stellenwerk::postings {
namespace {

using errors::Validator;

bool ValidEmail(std::string_view email) {
  static const std::regex kEmail(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  return email.size() <= 254 && std::regex_match(email.begin(), email.end(), kEmail);
}

bool ValidPhone(std::string_view phone) {
  static const std::regex kPhone(R"(^\+?[0-9 ()/\-]{5,30}$)");
  return std::regex_match(phone.begin(), phone.end(), kPhone);
}

// Characters as people count them (UTF-8 code points: "Bürgerdienste" is 13, not 14).
size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void CheckText(Validator& v, const std::string& field, const std::string& text, size_t max) {
  v.Check(Utf8Length(text) <= max, field, absl::StrCat("at most ", max, " characters"));
}

void CheckDate(Validator& v, const std::string& field, const std::string& date) {
  if (!date.empty()) v.Check(calendar::ParseIsoDate(date).ok(), field, "not a date YYYY-MM-DD");
}

void CheckList(Validator& v, const std::string& field,
               const google::protobuf::RepeatedPtrField<std::string>& items) {
  v.Check(static_cast<size_t>(items.size()) <= kMaxListItems, field,
          absl::StrCat("at most ", kMaxListItems, " entries"));
  for (int i = 0; i < items.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    v.Check(!absl::StripAsciiWhitespace(items[i]).empty(), name, "must not be empty");
    CheckText(v, name, items[i], kMaxItemText);
  }
}

}  // namespace

std::string FormatKennziffer(int year, int64_t number) {
  return absl::StrFormat("%02d/%04d", year % 100, number);
}

bool IsWellFormedKennziffer(std::string_view kennziffer) {
  static const std::regex kPattern(R"(^[0-9]{2}/[0-9]{4,6}$)");
  return std::regex_match(kennziffer.begin(), kennziffer.end(), kPattern);
}

std::optional<int> GradeRank(v1::PayScheme scheme, std::string_view grade) {
  static const std::regex kGrade(R"(^([A-Z]{1,2}) ?([0-9]{1,2})(a|b|c|Ü)?$)");
  std::cmatch m;
  const std::string g(absl::StripAsciiWhitespace(std::string(grade)));
  if (!std::regex_match(g.c_str(), m, kGrade)) return std::nullopt;
  const std::string prefix = m[1].str();
  int n = 0;
  if (!absl::SimpleAtoi(m[2].str(), &n)) return std::nullopt;
  const std::string suffix = m[3].str();
  int sub = 0;
  if (suffix == "a") sub = 1;
  if (suffix == "b") sub = 2;
  if (suffix == "c") sub = 3;
  if (suffix == "Ü") sub = 5;
  auto in = [&](int lo, int hi) { return n >= lo && n <= hi; };
  const int rank = n * 10 + sub;
  switch (scheme) {
    case v1::TVOED:
    case v1::TV_L:
      if (prefix == "EG") {
        if (!in(1, 15)) return std::nullopt;
        if ((sub >= 1 && sub <= 3) && n != 9) return std::nullopt;
        if (sub == 5 && n != 2 && n != 15) return std::nullopt;
        return rank;
      }
      if (prefix == "S" && in(2, 18) && (sub == 0 || sub == 2)) return 1000 + rank;
      if (prefix == "P" && in(5, 16) && sub == 0) return 2000 + rank;
      return std::nullopt;
    case v1::LBESG_NRW:
      if (sub != 0) return std::nullopt;
      if (prefix == "A" && in(3, 16)) return rank;
      if (prefix == "B" && in(1, 11)) return 1000 + rank;
      if (prefix == "R" && in(1, 10)) return 2000 + rank;
      if (prefix == "W" && in(1, 3)) return 3000 + rank;
      return std::nullopt;
    case v1::PKW_FAHRER_TV_L:
      if (prefix == "PG" && in(1, 5) && sub == 0) return rank;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<absl::Time> DeadlineInstant(const Posting& posting) {
  auto day = calendar::ParseIsoDate(posting.application_deadline());
  if (!day.ok()) return day.status();
  return calendar::DeadlineInstant(*day);
}

absl::Status ValidateDraft(const Posting& p, absl::Time now) {
  Validator v;
  CheckText(v, "posting.title", p.title(), kMaxTitle);
  CheckText(v, "posting.department", p.department(), kMaxShortText);
  CheckText(v, "posting.location", p.location(), kMaxShortText);
  CheckText(v, "posting.street_address", p.street_address(), kMaxShortText);
  if (!p.postal_code().empty()) {
    v.Check(p.postal_code().size() == 5 &&
                std::all_of(p.postal_code().begin(), p.postal_code().end(), absl::ascii_isdigit),
            "posting.postal_code", "five digits (Postleitzahl)");
  }
  CheckText(v, "posting.employer_name", p.employer_name(), kMaxShortText);
  CheckText(v, "posting.regional_office", p.regional_office(), kMaxShortText);
  CheckText(v, "posting.coordination_district_tenant_id", p.coordination_district_tenant_id(),
            kMaxShortText);
  CheckText(v, "posting.description", p.description(), kMaxLongText);
  CheckList(v, "posting.tasks", p.tasks());
  CheckList(v, "posting.requirements", p.requirements());
  CheckList(v, "posting.benefits", p.benefits());

  v.Check(v1::PostingKind_IsValid(p.posting_kind()), "posting.posting_kind", "unknown kind");
  v.Check(v1::RoleCategory_IsValid(p.role_category()), "posting.role_category",
          "unknown role category");

  v.Check(static_cast<size_t>(p.qualification_paths_size()) <= kMaxListItems,
          "posting.qualification_paths", "too many entries");
  for (int i = 0; i < p.qualification_paths_size(); ++i) {
    const auto& q = p.qualification_paths(i);
    const std::string f = absl::StrCat("posting.qualification_paths[", i, "]");
    v.Check(!q.description().empty(), f + ".description", "must not be empty");
    CheckText(v, f + ".description", q.description(), kMaxItemText);
    v.Check(!q.additional_training_required() || !q.additional_training().empty(),
            f + ".additional_training", "name the required training");
    CheckText(v, f + ".additional_training", q.additional_training(), kMaxItemText);
    v.Check(q.training_deadline_months() >= 0 && q.training_deadline_months() <= 60,
            f + ".training_deadline_months", "0–60");
  }

  v.Check(p.pay_size() <= 4, "posting.pay", "at most 4 pay lines");
  for (int i = 0; i < p.pay_size(); ++i) {
    const auto& pay = p.pay(i);
    const std::string f = absl::StrCat("posting.pay[", i, "]");
    if (!v1::PayScheme_IsValid(pay.scheme()) || pay.scheme() == v1::PAY_SCHEME_UNSPECIFIED) {
      v.Add(f + ".scheme", "TVOED, TV_L, LBESG_NRW or PKW_FAHRER_TV_L");
      continue;
    }
    v.Check(pay.grades_size() > 0, f + ".grades", "at least one grade, e.g. \"EG 6\"");
    for (int g = 0; g < pay.grades_size(); ++g) {
      v.Check(GradeRank(pay.scheme(), pay.grades(g)).has_value(),
              absl::StrCat(f, ".grades[", g, "]"),
              absl::StrCat("\"", pay.grades(g), "\" is not a grade of ",
                           v1::PayScheme_Name(pay.scheme())));
    }
    v.Check(pay.min_cents() >= 0 && pay.max_cents() >= 0, f + ".min_cents",
            "amounts are non-negative euro cents per month");
    v.Check(pay.max_cents() <= 5'000'000, f + ".max_cents", "more than 50,000 € per month");
    v.Check(pay.min_cents() <= pay.max_cents(), f + ".min_cents",
            "minimum pay is above the maximum");
  }

  const auto& e = p.employment();
  v.Check(v1::ContractType_IsValid(e.contract()), "posting.employment.contract", "unknown");
  if (e.contract() == v1::FIXED_TERM) {
    v.Check(!e.fixed_term_end_date().empty() || e.fixed_term_months() > 0, "posting.employment",
            "a fixed-term post needs an end date or a number of months");
    if (!e.fixed_term_end_date().empty()) {
      v.Check(calendar::ParseIsoDate(e.fixed_term_end_date()).ok(),
              "posting.employment.fixed_term_end_date", "not a date YYYY-MM-DD");
    }
    v.Check(e.fixed_term_months() >= 0 && e.fixed_term_months() <= 120,
            "posting.employment.fixed_term_months", "0–120");
  }
  CheckText(v, "posting.employment.fixed_term_reason", e.fixed_term_reason(), kMaxShortText);
  v.Check(e.weekly_hours() >= 0 && e.weekly_hours() <= 48, "posting.employment.weekly_hours",
          "0–48 hours");
  v.Check(e.weekly_hours_civil_servants() >= 0 && e.weekly_hours_civil_servants() <= 48,
          "posting.employment.weekly_hours_civil_servants", "0–48 hours");

  if (!p.application_deadline().empty()) {
    auto deadline = DeadlineInstant(p);
    if (!deadline.ok()) {
      v.Add("posting.application_deadline", "not a date YYYY-MM-DD");
    } else {
      v.Check(*deadline > now, "posting.application_deadline", "the deadline has passed");
    }
  }

  v.Check(static_cast<size_t>(p.contacts_size()) <= 10, "posting.contacts", "at most 10");
  for (int i = 0; i < p.contacts_size(); ++i) {
    const auto& c = p.contacts(i);
    const std::string f = absl::StrCat("posting.contacts[", i, "]");
    v.Check(c.kind() == v1::SUBJECT_MATTER || c.kind() == v1::PROCEDURE, f + ".kind",
            "SUBJECT_MATTER or PROCEDURE");
    v.Check(!c.name().empty(), f + ".name", "must not be empty");
    CheckText(v, f + ".name", c.name(), kMaxShortText);
    CheckText(v, f + ".department", c.department(), kMaxShortText);
    v.Check(!c.phone().empty() || !c.email().empty(), f, "needs a phone number or an email");
    if (!c.email().empty()) v.Check(ValidEmail(c.email()), f + ".email", "not an email address");
    if (!c.phone().empty()) v.Check(ValidPhone(c.phone()), f + ".phone", "not a phone number");
  }

  switch (p.posting_kind()) {
    case v1::INTERNSHIP: {
      // DOMAIN.md: internships last 4 weeks to 3 months.
      const auto& in = p.internship();
      v.Check(in.duration_weeks() >= 4 && in.duration_weeks() <= 13,
              "posting.internship.duration_weeks", "an internship lasts 4 weeks to 3 months");
      v.Check(in.stipend_cents() >= 0, "posting.internship.stipend_cents", "non-negative");
      v.Check(in.capacity() >= 0 && in.capacity() <= 1000, "posting.internship.capacity", "0–1000");
      CheckDate(v, "posting.internship.start_date", in.start_date());
      break;
    }
    case v1::TRAINEE: {
      const auto& t = p.trainee();
      v.Check(t.duration_months() >= 0 && t.duration_months() <= 48,
              "posting.trainee.duration_months", "0–48");
      v.Check(t.rotations_size() <= 12, "posting.trainee.rotations", "at most 12");
      CheckList(v, "posting.trainee.rotations", t.rotations());
      CheckText(v, "posting.trainee.mentor", t.mentor(), kMaxShortText);
      break;
    }
    case v1::APPRENTICESHIP: {
      const auto& a = p.apprenticeship();
      CheckText(v, "posting.apprenticeship.occupation", a.occupation(), kMaxShortText);
      v.Check(a.duration_months() >= 0 && a.duration_months() <= 48,
              "posting.apprenticeship.duration_months", "0–48");
      CheckDate(v, "posting.apprenticeship.start_date", a.start_date());
      break;
    }
    default:
      break;
  }
  return v.status();
}

absl::Status CheckPublishable(const Posting& p, absl::Time now) {
  if (p.status() != v1::DRAFT) {
    return absl::FailedPreconditionError(
        absl::StrCat("only a DRAFT can be published; this posting is ", StatusName(p.status())));
  }
  std::vector<std::string> missing;
  if (absl::StripAsciiWhitespace(p.title()).empty()) missing.push_back("title");
  if (p.pay_size() == 0 || p.pay(0).grades_size() == 0) {
    missing.push_back("pay");
  } else if (std::none_of(p.pay().begin(), p.pay().end(),
                          [](const auto& pay) { return pay.max_cents() > 0; })) {
    // A grade alone tells applicants little; the range in euro is what a job board shows
    // (schema.org baseSalary) and what pay transparency asks for (EU directive 2023/970).
    missing.push_back("pay amount (min_cents/max_cents)");
  }
  if (absl::StripAsciiWhitespace(p.location()).empty()) missing.push_back("location");
  if (p.coordination_required() && p.coordination_district_tenant_id().empty()) {
    // Seed 004: the district that must be informed.
    missing.push_back("coordination_district_tenant_id");
  }
  auto deadline = DeadlineInstant(p);
  if (p.application_deadline().empty() || !deadline.ok()) {
    missing.push_back("application_deadline");
  } else if (*deadline <= now) {
    missing.push_back("application_deadline in the future");
  }
  if (p.contacts_size() == 0) missing.push_back("contacts (at least one)");
  if (p.posting_kind() == v1::POSTING_KIND_UNSPECIFIED) missing.push_back("posting_kind");
  if (p.posting_kind() == v1::INTERNSHIP && !p.internship().capacity_confirmed()) {
    // DOMAIN.md: the department must confirm it can take an intern.
    missing.push_back("internship.capacity_confirmed");
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot publish, missing: ", absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(PostingStatus from, PostingStatus to) {
  const bool ok = (from == v1::DRAFT && (to == v1::PUBLISHED || to == v1::WITHDRAWN)) ||
                  (from == v1::PUBLISHED && (to == v1::CLOSED || to == v1::WITHDRAWN));
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a ", StatusName(from), " posting cannot become ", StatusName(to)));
}

absl::Status CheckPublishedUpdate(const Posting& before, const Posting& after, absl::Time now) {
  std::vector<std::string> frozen;
  auto same = [](const auto& a, const auto& b) {
    return a.SerializeAsString() == b.SerializeAsString();
  };
  if (!std::equal(before.pay().begin(), before.pay().end(), after.pay().begin(), after.pay().end(),
                  same)) {
    frozen.push_back("pay");
  }
  if (before.posting_kind() != after.posting_kind()) frozen.push_back("posting_kind");
  if (before.role_category() != after.role_category()) frozen.push_back("role_category");
  if (before.anonymised() != after.anonymised()) frozen.push_back("anonymised");
  if (before.coordination_required() != after.coordination_required()) {
    frozen.push_back("coordination_required");
  }
  if (before.coordination_district_tenant_id() != after.coordination_district_tenant_id()) {
    frozen.push_back("coordination_district_tenant_id");
  }
  if (!same(before.employment(), after.employment())) frozen.push_back("employment");
  // The requirements profile is the yardstick of the selection (Bestenauslese, Art. 33 (2)
  // GG): changing it, the ways in, the place or the preference rules while people apply would
  // judge them by something they did not apply to.
  if (!std::equal(before.requirements().begin(), before.requirements().end(),
                  after.requirements().begin(), after.requirements().end())) {
    frozen.push_back("requirements");
  }
  if (!std::equal(before.qualification_paths().begin(), before.qualification_paths().end(),
                  after.qualification_paths().begin(), after.qualification_paths().end(), same)) {
    frozen.push_back("qualification_paths");
  }
  if (before.location() != after.location()) frozen.push_back("location");
  if (!same(before.equal_opportunity(), after.equal_opportunity()) ||
      before.women_preferred_if_underrepresented() != after.women_preferred_if_underrepresented()) {
    frozen.push_back("equal_opportunity");
  }
  if (!same(before.internship(), after.internship())) frozen.push_back("internship");
  if (!same(before.trainee(), after.trainee())) frozen.push_back("trainee");
  if (!same(before.apprenticeship(), after.apprenticeship())) frozen.push_back("apprenticeship");
  if (!frozen.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("after publishing these fields are fixed (withdraw and re-post instead): ",
                     absl::StrJoin(frozen, ", ")));
  }
  // The deadline may be extended, never shortened: applicants relied on it.
  if (before.application_deadline() != after.application_deadline()) {
    auto old_deadline = DeadlineInstant(before);
    auto new_deadline = DeadlineInstant(after);
    if (!new_deadline.ok())
      return errors::InvalidField("posting.application_deadline", "not a date");
    if (old_deadline.ok() && *new_deadline < *old_deadline) {
      return absl::FailedPreconditionError(
          "application_deadline: a published deadline may be extended, not shortened");
    }
    if (*new_deadline <= now) {
      return absl::FailedPreconditionError("application_deadline: must lie in the future");
    }
  }
  return absl::OkStatus();
}

const char* StatusName(PostingStatus status) {
  switch (status) {
    case v1::DRAFT:
      return "DRAFT";
    case v1::PUBLISHED:
      return "PUBLISHED";
    case v1::CLOSED:
      return "CLOSED";
    case v1::WITHDRAWN:
      return "WITHDRAWN";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace stellenwerk::postings
