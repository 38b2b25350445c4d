#include "services/postings/tests/postings_testing.h"

namespace stellenwerk::postings {

PostingsUnderTest& StartPostings(stellenwerk::testing::Harness& harness,
                                 stellenwerk::testing::ServiceOptions options) {
  return harness.Start<PostingsApp>(kPostingsService, std::move(options));
}

stellenwerk::testing::ChildService& StartPostingsProcess(
    stellenwerk::testing::Harness& harness, stellenwerk::testing::ProcessOptions options) {
  return harness.StartProcess(kPostingsService, std::move(options));
}

v1::Posting HernePosting(const PostingOptions& options) {
  v1::Posting p;
  p.set_title("Sachbearbeiter*in (w/m/d) Bürgerdienste");
  p.set_employer_name("Stadt Herne");
  p.set_department("Fachbereich Bürgerdienste");
  p.set_location("Herne");
  p.set_description("Wir suchen Verstärkung für die Bürgerdienste.");
  p.add_tasks("Bearbeitung von Melde- und Passangelegenheiten");
  auto* pay = p.add_pay();
  pay->set_scheme(v1::TVOED);
  pay->add_grades("EG 6");
  pay->set_min_cents(306'000);
  pay->set_max_cents(381'000);
  p.mutable_employment()->set_contract(v1::FIXED_TERM);
  p.mutable_employment()->set_fixed_term_months(24);
  p.mutable_employment()->set_weekly_hours(39);
  p.set_application_deadline("2024-10-20");
  auto* c = p.add_contacts();
  c->set_kind(v1::PROCEDURE);
  c->set_name("Frau Beispiel");
  c->set_email("personal@herne.de");
  p.set_posting_kind(v1::JOB);
  p.set_anonymised(options.anonymised);
  p.set_women_preferred_if_underrepresented(options.women_preferred);
  if (!options.coordination_district.empty()) {
    p.set_title("Arbeitsvermittler*in (w/m/d) JobAgentur");
    p.set_role_category(v1::ACTIVE);
    p.set_coordination_required(true);
    p.set_regional_office("Regionalstelle Witten");
    p.set_coordination_district_tenant_id(options.coordination_district);
  }
  return p;
}

v1::Posting PlainPosting(const std::string& title, v1::PayScheme scheme, const std::string& grade,
                         const std::string& location) {
  v1::Posting p;
  p.set_title(title);
  p.set_location(location);
  p.set_description("Eine Stelle im öffentlichen Dienst.");
  auto* pay = p.add_pay();
  pay->set_scheme(scheme);
  pay->add_grades(grade);
  pay->set_min_cents(300'000);
  pay->set_max_cents(400'000);
  p.set_application_deadline("2030-06-30");
  auto* c = p.add_contacts();
  c->set_kind(v1::PROCEDURE);
  c->set_name("Personalservice");
  c->set_email("personal@example.de");
  p.set_posting_kind(v1::JOB);
  return p;
}

v1::Posting CreatedPosting(v1::PostingService::Stub& stub, const std::string& token,
                           const v1::Posting& draft) {
  v1::CreatePostingRequest create;
  *create.mutable_posting() = draft;
  v1::Posting created;
  grpc::Status s =
      stub.CreatePosting(stellenwerk::testing::CallContext(token).get(), create, &created);
  EXPECT_TRUE(s.ok()) << "CreatePosting: " << s.error_message();
  return created;
}

v1::Posting PublishedPosting(v1::PostingService::Stub& stub, const std::string& token,
                             const v1::Posting& draft) {
  const v1::Posting created = CreatedPosting(stub, token, draft);
  v1::PublishPostingRequest publish;
  publish.set_id(created.id());
  v1::Posting published;
  grpc::Status s =
      stub.PublishPosting(stellenwerk::testing::CallContext(token).get(), publish, &published);
  EXPECT_TRUE(s.ok()) << "PublishPosting: " << s.error_message();
  return published;
}

}  // namespace stellenwerk::postings
