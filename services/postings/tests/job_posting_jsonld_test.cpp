#include "services/postings/domain/job_posting_jsonld.h"

#include "absl/time/civil_time.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace stellenwerk::postings {
namespace {

v1::Posting Published() {
  v1::Posting p;
  p.set_id("6a1f0c7e-1111-4a4a-8b8b-000000000296");
  p.set_tenant_id("stadt-herne");
  p.set_employer_name("Stadt Herne");
  p.set_kennziffer("24/0296");
  p.set_title("Sachbearbeiter*in (w/m/d) Bürgerdienste");
  p.set_description("Die Stadt Herne sucht <Verstärkung> & mehr.");
  p.add_tasks("Melde- und Passangelegenheiten");
  p.add_requirements("Verwaltungslehrgang I");
  p.set_location("Herne");
  p.set_street_address("Friedrich-Ebert-Platz 2");
  p.set_postal_code("44623");
  p.set_status(v1::PUBLISHED);
  p.set_application_deadline("2024-10-20");
  p.mutable_publish_time()->set_seconds(
      absl::ToUnixSeconds(calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(9)));
  auto* tv = p.add_pay();
  tv->set_scheme(v1::TVOED);
  tv->add_grades("EG 6");
  tv->set_min_cents(306'050);
  tv->set_max_cents(381'000);
  auto* a = p.add_pay();
  a->set_scheme(v1::LBESG_NRW);
  a->add_grades("A 6");
  a->set_min_cents(290'000);
  a->set_max_cents(350'000);
  p.mutable_employment()->set_contract(v1::FIXED_TERM);
  p.mutable_employment()->set_weekly_hours(39);
  p.mutable_employment()->set_job_sharing_possible(true);
  p.set_women_preferred_if_underrepresented(true);
  return p;
}

TEST(JobPostingJsonLdTest, HasEveryFieldGoogleForJobsRequiresAndRecommends) {
  auto text = JobPostingJsonLd(Published());
  ASSERT_TRUE(text.ok()) << text.status();
  const auto doc = nlohmann::json::parse(*text);
  EXPECT_EQ(doc["@context"], "https://schema.org/");
  EXPECT_EQ(doc["@type"], "JobPosting");
  // Required.
  for (const char* field : {"title", "description", "datePosted", "hiringOrganization",
                            "jobLocation", "validThrough"}) {
    EXPECT_TRUE(doc.contains(field)) << field;
  }
  // Recommended.
  for (const char* field : {"identifier", "employmentType", "baseSalary", "directApply"}) {
    EXPECT_TRUE(doc.contains(field)) << field;
  }
  EXPECT_EQ(doc["title"], "Sachbearbeiter*in (w/m/d) Bürgerdienste");
  EXPECT_EQ(doc["identifier"]["@type"], "PropertyValue");
  EXPECT_EQ(doc["identifier"]["value"], "24/0296");
  EXPECT_EQ(doc["identifier"]["name"], "Stadt Herne");
  EXPECT_EQ(doc["datePosted"], "2024-10-01");
  EXPECT_EQ(doc["validThrough"], "2024-10-20T23:59:59+02:00");
  EXPECT_EQ(doc["hiringOrganization"]["@type"], "Organization");
  EXPECT_EQ(doc["hiringOrganization"]["name"], "Stadt Herne");
  EXPECT_EQ(doc["jobLocation"]["@type"], "Place");
  EXPECT_EQ(doc["jobLocation"]["address"]["addressLocality"], "Herne");
  EXPECT_EQ(doc["jobLocation"]["address"]["addressCountry"], "DE");
  // Recommended for the address: street and postal code.
  EXPECT_EQ(doc["jobLocation"]["address"]["streetAddress"], "Friedrich-Ebert-Platz 2");
  EXPECT_EQ(doc["jobLocation"]["address"]["postalCode"], "44623");
  EXPECT_EQ(doc["directApply"], true);
  const auto& salary = doc["baseSalary"];
  EXPECT_EQ(salary["@type"], "MonetaryAmount");
  EXPECT_EQ(salary["currency"], "EUR");
  EXPECT_EQ(salary["value"]["@type"], "QuantitativeValue");
  EXPECT_DOUBLE_EQ(salary["value"]["minValue"].get<double>(), 2900.00);
  EXPECT_DOUBLE_EQ(salary["value"]["maxValue"].get<double>(), 3810.00);
  EXPECT_EQ(salary["value"]["unitText"], "MONTH");
  EXPECT_EQ(doc["employmentType"], nlohmann::json({"FULL_TIME", "PART_TIME", "TEMPORARY"}));
}

TEST(JobPostingJsonLdTest, DescriptionIsEscapedHtmlWithTheStatements) {
  const auto doc = nlohmann::json::parse(*JobPostingJsonLd(Published()));
  const std::string html = doc["description"];
  EXPECT_NE(html.find("&lt;Verstärkung&gt; &amp; mehr"), std::string::npos) << html;
  EXPECT_NE(html.find("<li>Melde- und Passangelegenheiten</li>"), std::string::npos);
  EXPECT_NE(html.find("LGG NRW"), std::string::npos);
}

TEST(JobPostingJsonLdTest, ASparsePostingStillHasEveryRequiredField) {
  v1::Posting p = Published();
  p.clear_street_address();
  p.clear_postal_code();
  p.clear_employer_name();
  p.clear_tasks();
  p.clear_requirements();
  const auto doc = nlohmann::json::parse(*JobPostingJsonLd(p));
  for (const char* field : {"title", "description", "datePosted", "hiringOrganization",
                            "jobLocation", "validThrough"}) {
    EXPECT_TRUE(doc.contains(field)) << field;
  }
  EXPECT_FALSE(doc["jobLocation"]["address"].contains("streetAddress")) << "no empty strings";
  EXPECT_FALSE(doc["jobLocation"]["address"].contains("postalCode"));
  EXPECT_EQ(doc["hiringOrganization"]["name"], "stadt-herne") << "the tenant stands in";
}

TEST(JobPostingJsonLdTest, WinterDeadlineUsesTheWinterOffset) {
  v1::Posting p = Published();
  p.set_application_deadline("2024-12-31");
  const auto doc = nlohmann::json::parse(*JobPostingJsonLd(p));
  EXPECT_EQ(doc["validThrough"], "2024-12-31T23:59:59+01:00");
}

TEST(JobPostingJsonLdTest, OnlyPublishedPostingsAreExported) {
  for (auto status : {v1::DRAFT, v1::CLOSED, v1::WITHDRAWN}) {
    v1::Posting p = Published();
    p.set_status(status);
    EXPECT_EQ(JobPostingJsonLd(p).status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(JobPostingJsonLdTest, InternshipIsAnIntern) {
  v1::Posting p = Published();
  p.set_posting_kind(v1::INTERNSHIP);
  const auto doc = nlohmann::json::parse(*JobPostingJsonLd(p));
  EXPECT_EQ(doc["employmentType"][0], "INTERN");
}

}  // namespace
}  // namespace stellenwerk::postings
