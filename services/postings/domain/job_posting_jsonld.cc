#include "services/postings/domain/job_posting_jsonld.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time/berlin_calendar.h"
#include "nlohmann/json.hpp"
#include "services/postings/domain/posting_rules.h"

namespace stellenwerk::postings {
namespace {

std::string Html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<br>";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void List(std::string& html, const char* heading,
          const google::protobuf::RepeatedPtrField<std::string>& items) {
  if (items.empty()) return;
  absl::StrAppend(&html, "<h3>", heading, "</h3><ul>");
  for (const auto& item : items) absl::StrAppend(&html, "<li>", Html(item), "</li>");
  html += "</ul>";
}

std::string DescriptionHtml(const v1::Posting& p) {
  std::string html;
  if (!p.description().empty()) absl::StrAppend(&html, "<p>", Html(p.description()), "</p>");
  List(html, "Ihre Aufgaben", p.tasks());
  List(html, "Ihr Profil", p.requirements());
  if (!p.qualification_paths().empty()) {
    html += "<h3>Voraussetzung ist einer der folgenden Wege</h3><ul>";
    for (const auto& q : p.qualification_paths()) {
      absl::StrAppend(&html, "<li>", Html(q.description()));
      if (q.additional_training_required()) {
        absl::StrAppend(&html, " (zusätzlich: ", Html(q.additional_training()), ")");
      }
      html += "</li>";
    }
    html += "</ul>";
  }
  List(html, "Wir bieten", p.benefits());
  const auto& eo = p.equal_opportunity();
  if (eo.women_preferred_if_underrepresented() || p.women_preferred_if_underrepresented()) {
    html +=
        "<p>Frauen werden bei gleicher Eignung, Befähigung und fachlicher Leistung bevorzugt "
        "berücksichtigt, sofern nicht in der Person eines Mitbewerbers liegende Gründe "
        "überwiegen (LGG NRW).</p>";
  }
  if (eo.severely_disabled_encouraged()) {
    html +=
        "<p>Bewerbungen schwerbehinderter und gleichgestellter Menschen sind ausdrücklich "
        "erwünscht; sie werden bei gleicher Eignung bevorzugt berücksichtigt (SGB IX).</p>";
  }
  return html.empty() ? Html(p.title()) : html;
}

nlohmann::json EmploymentTypes(const v1::Posting& p) {
  nlohmann::json types = nlohmann::json::array();
  const auto& e = p.employment();
  if (p.posting_kind() == v1::INTERNSHIP) types.push_back("INTERN");
  const bool part_time = e.part_time_possible() || e.job_sharing_possible() ||
                         (e.weekly_hours() > 0 && e.weekly_hours() < 39);
  if (e.weekly_hours() == 0 || e.weekly_hours() >= 39 || e.part_time_possible()) {
    types.push_back("FULL_TIME");
  }
  if (part_time) types.push_back("PART_TIME");
  if (e.contract() == v1::FIXED_TERM) types.push_back("TEMPORARY");
  return types;
}

}  // namespace

absl::StatusOr<std::string> JobPostingJsonLd(const v1::Posting& p) {
  if (p.status() != v1::PUBLISHED) {
    return absl::FailedPreconditionError(
        absl::StrCat("only PUBLISHED postings are exported; this one is ", StatusName(p.status())));
  }
  auto deadline = DeadlineInstant(p);
  if (!deadline.ok()) return deadline.status();
  const std::string employer = p.employer_name().empty() ? p.tenant_id() : p.employer_name();
  const absl::Time posted = absl::FromUnixSeconds(p.publish_time().seconds());

  nlohmann::json doc = {
      {"@context", "https://schema.org/"},
      {"@type", "JobPosting"},
      {"title", p.title()},
      {"description", DescriptionHtml(p)},
      {"identifier", {{"@type", "PropertyValue"}, {"name", employer}, {"value", p.kennziffer()}}},
      {"datePosted", calendar::FormatIsoDate(calendar::CivilDayInBerlin(posted))},
      // The last second applications are accepted (23:59:59 Europe/Berlin).
      {"validThrough",
       absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", *deadline - absl::Seconds(1), calendar::Berlin())},
      {"employmentType", EmploymentTypes(p)},
      {"hiringOrganization", {{"@type", "Organization"}, {"name", employer}}},
      {"jobLocation",
       {{"@type", "Place"},
        {"address",
         {{"@type", "PostalAddress"},
          {"addressLocality", p.location()},
          {"addressRegion", "NW"},
          {"addressCountry", "DE"}}}}},
      {"directApply", true},
      {"industry", "Öffentlicher Dienst"},
  };
  auto& address = doc["jobLocation"]["address"];
  if (!p.street_address().empty()) address["streetAddress"] = p.street_address();
  if (!p.postal_code().empty()) address["postalCode"] = p.postal_code();
  int64_t min_cents = std::numeric_limits<int64_t>::max();
  int64_t max_cents = 0;
  for (const auto& pay : p.pay()) {
    if (pay.max_cents() <= 0) continue;
    min_cents = std::min(min_cents, pay.min_cents());
    max_cents = std::max(max_cents, pay.max_cents());
  }
  if (max_cents > 0) {
    // EU pay transparency (2023/970): the range before the interview.
    doc["baseSalary"] = {{"@type", "MonetaryAmount"},
                         {"currency", "EUR"},
                         {"value",
                          {{"@type", "QuantitativeValue"},
                           {"minValue", static_cast<double>(min_cents) / 100.0},
                           {"maxValue", static_cast<double>(max_cents) / 100.0},
                           {"unitText", "MONTH"}}}};
  }
  if (p.employment().weekly_hours() > 0) {
    doc["workHours"] = absl::StrCat(p.employment().weekly_hours(), " Stunden/Woche");
  }
  if (!p.department().empty()) doc["hiringOrganization"]["department"] = p.department();
  return doc.dump();
}

}  // namespace stellenwerk::postings
