#include "services/applications/domain/application_rules.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/errors/errors.h"

namespace stellenwerk::applications {

std::optional<std::string> SniffType(std::string_view head) {
  if (head.substr(0, 5) == "%PDF-") return "application/pdf";
  if (head.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "image/png";
  if (head.size() >= 3 && static_cast<unsigned char>(head[0]) == 0xFF &&
      static_cast<unsigned char>(head[1]) == 0xD8 && static_cast<unsigned char>(head[2]) == 0xFF) {
    return "image/jpeg";
  }
  return std::nullopt;
}

bool IsComplete(std::string_view content, std::string_view type) {
  constexpr size_t kTail = 1024;
  const std::string_view tail = content.substr(content.size() > kTail ? content.size() - kTail : 0);
  if (type == "application/pdf") return tail.find("%%EOF") != std::string_view::npos;
  if (type == "image/png") {
    // The last chunk: length 0 (4 bytes), "IEND", CRC (4 bytes).
    return content.size() >= 8 + 12 && content.substr(content.size() - 12) ==
                                           std::string_view("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
  }
  if (type == "image/jpeg") return tail.find("\xFF\xD9") != std::string_view::npos;
  return false;
}

absl::Status CheckDeclaredType(const v1::DocumentMetadata& m, const std::string& detected) {
  errors::Validator v;
  std::string name = absl::AsciiStrToLower(m.file_name());
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() &&
           name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  std::optional<std::string> by_name;
  if (ends(".pdf")) by_name = "application/pdf";
  if (ends(".png")) by_name = "image/png";
  if (ends(".jpg") || ends(".jpeg")) by_name = "image/jpeg";
  if (by_name.has_value() && *by_name != detected) {
    v.Add("metadata.file_name", absl::StrCat("\"", m.file_name(), "\" is named like ", *by_name,
                                             " but contains ", detected));
  }
  if (!m.declared_content_type().empty() && m.declared_content_type() != detected) {
    v.Add("metadata.declared_content_type",
          absl::StrCat("declared ", m.declared_content_type(), " but the content is ", detected));
  }
  return v.status();
}

absl::Status ValidateSubmission(const v1::SubmitApplicationRequest& r, bool has_cv,
                                bool has_cover_letter_document) {
  errors::Validator v;
  const auto& a = r.applicant();
  v.Check(!absl::StripAsciiWhitespace(a.family_name()).empty(), "applicant.family_name",
          "required");
  v.Check(!absl::StripAsciiWhitespace(a.given_name()).empty(), "applicant.given_name", "required");
  v.Check(a.email().find('@') != std::string::npos && a.email().size() <= 254, "applicant.email",
          "a valid email address is required");
  v.Check(a.family_name().size() <= 200 && a.given_name().size() <= 200, "applicant",
          "names of at most 200 characters");
  // GDPR Art. 7: the controller must be able to show which notice was accepted, and when.
  v.Check(!r.consent().version().empty(), "consent.version", "the accepted privacy notice version");
  v.Check(r.consent().has_given_time(), "consent.given_time", "when consent was given");
  v.Check(has_cv, "document_ids", "a CV (document kind CV) is required");
  v.Check(!r.cover_letter_text().empty() || has_cover_letter_document, "cover_letter_text",
          "a cover letter (text or document) is required");
  v.Check(r.cover_letter_text().size() <= 20000, "cover_letter_text", "at most 20,000 characters");
  v.Check(r.document_ids_size() <= kMaxDocuments, "document_ids", "at most 20 documents");
  return v.status();
}

namespace {

bool IsWordChar(unsigned char c) { return std::isalnum(c) || c >= 0x80; }  // UTF-8 letters too

// `needle` in `text` as a whole word (ASCII case folded; UTF-8 bytes compared as they are).
bool ContainsWord(const std::string& text, const std::string& needle) {
  if (needle.empty()) return false;
  const std::string t = absl::AsciiStrToLower(text);
  const std::string n = absl::AsciiStrToLower(needle);
  for (size_t at = t.find(n); at != std::string::npos; at = t.find(n, at + 1)) {
    const bool starts = at == 0 || !IsWordChar(static_cast<unsigned char>(t[at - 1]));
    const size_t after = at + n.size();
    const bool ends = after >= t.size() || !IsWordChar(static_cast<unsigned char>(t[after]));
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckAnonymisedTexts(const v1::SubmitApplicationRequest& r) {
  errors::Validator v;
  const auto& a = r.applicant();
  const std::string email(absl::StripAsciiWhitespace(a.email()));
  const std::string local = email.substr(0, email.find('@'));
  std::vector<std::string> names;
  for (const std::string& full : {a.given_name(), a.family_name()}) {
    // "Anna-Lena", "von Bergen": every part of a name, as well as the whole of it.
    names.push_back(std::string(absl::StripAsciiWhitespace(full)));
    for (absl::string_view part : absl::StrSplit(full, absl::ByAnyChar(" -"), absl::SkipEmpty())) {
      // Particles ("von", "de", "zu") are ordinary words of a text, not the name.
      static const std::set<std::string> kParticles = {
          "von", "vom", "van", "de", "der", "den", "zu", "zur", "di", "da", "le", "la", "el"};
      if (part.size() >= 2 && !kParticles.count(absl::AsciiStrToLower(part))) {
        names.emplace_back(part);
      }
    }
  }
  for (const auto& [field, text] : {std::pair<const char*, const std::string*>{
                                        "anonymised_motivation", &r.anonymised_motivation()},
                                    {"anonymised_qualification", &r.anonymised_qualification()}}) {
    if (absl::StripAsciiWhitespace(*text).empty()) {
      v.Add(field, "an anonymised procedure needs this text (seed 003)");
      continue;
    }
    if (text->size() > 4000) v.Add(field, "at most 4,000 characters");
    bool identifies = false;
    for (const auto& n : names) identifies |= ContainsWord(*text, n);
    const std::string lower = absl::AsciiStrToLower(*text);
    if (!email.empty() && lower.find(absl::AsciiStrToLower(email)) != std::string::npos) {
      identifies = true;
    }
    if (local.size() >= 3 && ContainsWord(*text, local)) identifies = true;
    if (identifies) {
      v.Add(field,
            "must not contain your name or email address: the committee reads it without "
            "knowing who you are (anonymised procedure)");
    }
  }
  return v.status();
}

bool IsOpen(v1::ApplicationStatus s) {
  return s != v1::HIRED && s != v1::REJECTED && s != v1::WITHDRAWN &&
         s != v1::APPLICATION_STATUS_UNSPECIFIED;
}

std::vector<v1::ApplicationStatus> OpenStatuses() {
  std::vector<v1::ApplicationStatus> open;
  for (int s = v1::ApplicationStatus_MIN; s <= v1::ApplicationStatus_MAX; ++s) {
    const auto status = static_cast<v1::ApplicationStatus>(s);
    if (v1::ApplicationStatus_IsValid(s) && IsOpen(status)) open.push_back(status);
  }
  return open;
}

bool IsAllowedTransition(v1::ApplicationStatus from, v1::ApplicationStatus to) {
  using S = v1::ApplicationStatus;
  if (to == v1::WITHDRAWN) return IsOpen(from);
  static const std::vector<std::pair<S, std::vector<S>>> kFlow = {
      {v1::RECEIVED, {v1::SCREENING}},
      {v1::SCREENING, {v1::SHORTLISTED, v1::REJECTED}},
      {v1::SHORTLISTED, {v1::INVITED, v1::REJECTED}},
      {v1::INVITED, {v1::INTERVIEWED, v1::REJECTED}},
      {v1::INTERVIEWED, {v1::PROPOSED, v1::REJECTED}},
      {v1::PROPOSED, {v1::PENDING_COORDINATION, v1::OFFER_APPROVED, v1::REJECTED}},
      // Every open state can end: HR may reject while the district's week runs (the notice is
      // then withdrawn by event); the applicant may withdraw as from any open state.
      {v1::PENDING_COORDINATION, {v1::OFFER_APPROVED, v1::PROPOSED, v1::REJECTED}},
      // The approved offer may still fail (declined by phone, the medical check): HR ends it
      // with the reason rather than leave it open for ever.
      {v1::OFFER_APPROVED, {v1::HIRED, v1::REJECTED}},
  };
  for (const auto& [f, tos] : kFlow) {
    if (f == from) return std::find(tos.begin(), tos.end(), to) != tos.end();
  }
  return false;
}

absl::Status CheckStatusChange(const v1::Application& current, const v1::ChangeStatusRequest& r,
                               const auth::Principal& who) {
  using namespace auth::roles;
  static const v1::ApplicationStatus kSettable[] = {v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED,
                                                    v1::REJECTED};
  if (r.target() == v1::SCREENING) {
    // DOMAIN.md "Screening after the deadline": the committee screens once the application
    // period has ended; the posting's close moves RECEIVED → SCREENING, nobody by hand.
    return absl::FailedPreconditionError(
        "screening starts at the application deadline, when the posting closes; it is not set "
        "by hand");
  }
  if (std::find(std::begin(kSettable), std::end(kSettable), r.target()) == std::end(kSettable)) {
    return errors::InvalidField("target",
                                "ChangeStatus sets SHORTLISTED, INVITED, INTERVIEWED or REJECTED;"
                                " hiring and withdrawal have their own calls");
  }
  // The committee screens and rates; inviting and rejecting are HR's acts towards the applicant.
  const bool hr = who.HasAnyRole({kHrClerk, kAdmin});
  const bool committee = who.HasRole(kCommitteeMember);
  if (!hr && !(committee && r.target() == v1::SHORTLISTED)) {
    return absl::PermissionDeniedError(
        absl::StrCat("your roles may not set ", StatusName(r.target())));
  }
  if (!IsAllowedTransition(current.status(), r.target())) {
    return absl::FailedPreconditionError(absl::StrCat("an application in ",
                                                      StatusName(current.status()),
                                                      " cannot become ", StatusName(r.target())));
  }
  if (r.target() == v1::REJECTED) {
    if (absl::StripAsciiWhitespace(r.reason()).empty()) {
      return errors::InvalidField("reason", "a rejection needs a reason");
    }
    const bool before_interview =
        current.status() == v1::RECEIVED || current.status() == v1::SCREENING ||
        current.status() == v1::SHORTLISTED || current.status() == v1::INVITED;
    if ((current.severely_disabled() || current.equivalent_status()) && before_interview &&
        !r.obviously_unqualified()) {
      // SGB IX § 165 S. 3–4: a public employer must invite a severely disabled applicant
      // unless the professional aptitude is obviously lacking.
      return absl::FailedPreconditionError(
          "SGB IX § 165: a severely disabled applicant must be invited to the interview unless "
          "obviously unqualified; set obviously_unqualified with the reason");
    }
  }
  return absl::OkStatus();
}

bool IsRateable(v1::ApplicationStatus s) {
  return s == v1::SHORTLISTED || s == v1::INVITED || s == v1::INTERVIEWED;
}

bool IsFemale(const v1::Applicant& applicant) {
  const std::string sex = absl::AsciiStrToLower(absl::StripAsciiWhitespace(applicant.sex()));
  return sex == "w" || sex == "weiblich" || sex == "female" || sex == "f" || sex == "frau";
}

v1::StatisticValue Group(int64_t count, int64_t total) {
  v1::StatisticValue v;
  const int64_t rest = total - count;
  if ((count > 0 && count < kMinGroupSize) || (rest > 0 && rest < kMinGroupSize) ||
      (total > 0 && total < kMinGroupSize)) {
    v.set_suppressed(true);
    return v;
  }
  v.set_count(count);
  v.set_share(total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total));
  return v;
}

v1::StatisticValue Total(int64_t count) {
  v1::StatisticValue v;
  if (count > 0 && count < kMinGroupSize) {
    v.set_suppressed(true);
    return v;
  }
  v.set_count(count);
  v.set_share(count == 0 ? 0.0 : 1.0);
  return v;
}

absl::Status CheckConclusion(const std::vector<v1::Application>& open) {
  std::vector<std::string> in_progress, before_interview;
  for (const auto& a : open) {
    switch (a.status()) {
      case v1::PROPOSED:
      case v1::PENDING_COORDINATION:
      case v1::OFFER_APPROVED:
        in_progress.push_back(a.pseudonym());
        break;
      case v1::RECEIVED:
      case v1::SCREENING:
      case v1::SHORTLISTED:
      case v1::INVITED:
        if (a.severely_disabled() || a.equivalent_status())
          before_interview.push_back(a.pseudonym());
        break;
      default:
        break;
    }
  }
  if (!in_progress.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a hiring is in progress (", absl::StrJoin(in_progress, ", "),
                     "): finalize or reject it before the procedure ends"));
  }
  if (!before_interview.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SGB IX § 165: severely disabled applicants (", absl::StrJoin(before_interview, ", "),
        ") must be interviewed, or rejected singly as obviously unqualified, before the "
        "procedure ends"));
  }
  return absl::OkStatus();
}

const char* StatusName(v1::ApplicationStatus s) {
  switch (s) {
    case v1::RECEIVED:
      return "RECEIVED";
    case v1::SCREENING:
      return "SCREENING";
    case v1::SHORTLISTED:
      return "SHORTLISTED";
    case v1::INVITED:
      return "INVITED";
    case v1::INTERVIEWED:
      return "INTERVIEWED";
    case v1::PROPOSED:
      return "PROPOSED";
    case v1::PENDING_COORDINATION:
      return "PENDING_COORDINATION";
    case v1::OFFER_APPROVED:
      return "OFFER_APPROVED";
    case v1::HIRED:
      return "HIRED";
    case v1::REJECTED:
      return "REJECTED";
    case v1::WITHDRAWN:
      return "WITHDRAWN";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace stellenwerk::applications
