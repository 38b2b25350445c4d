#include "services/applications/domain/application_rules.h"

#include "gtest/gtest.h"

namespace stellenwerk::applications {
namespace {

const auth::Principal kHr{"hr", "stadt", {"hr_clerk"}};
const auth::Principal kCommittee{"c", "stadt", {"committee_member"}};

TEST(SniffTest, RecognisesByContentNotByName) {
  EXPECT_EQ(SniffType("%PDF-1.7\n..."), "application/pdf");
  EXPECT_EQ(SniffType(std::string("\x89PNG\r\n\x1a\n....", 12)), "image/png");
  EXPECT_EQ(SniffType("\xFF\xD8\xFF\xE0...."), "image/jpeg");
  EXPECT_FALSE(SniffType("MZ\x90\x00 an exe").has_value());
  EXPECT_FALSE(SniffType("<html>").has_value());
  EXPECT_FALSE(SniffType("").has_value());
}

TEST(SniffTest, ATruncatedDocumentIsRecognisedByItsEnd) {
  const std::string pdf = "%PDF-1.7\n" + std::string(5000, 'x') + "\n%%EOF\n";
  EXPECT_TRUE(IsComplete(pdf, "application/pdf"));
  EXPECT_FALSE(IsComplete(pdf.substr(0, 4000), "application/pdf"));
  // "%%EOF" early in the file (an incremental update) does not make a cut-off file whole.
  EXPECT_FALSE(IsComplete("%PDF-1.7\n%%EOF\n" + std::string(5000, 'x'), "application/pdf"));
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p') +
                          std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
  EXPECT_TRUE(IsComplete(png, "image/png"));
  EXPECT_FALSE(IsComplete(png.substr(0, png.size() - 1), "image/png"));
  const std::string jpeg = "\xFF\xD8\xFF\xE0" + std::string(3000, 'j') + "\xFF\xD9";
  EXPECT_TRUE(IsComplete(jpeg, "image/jpeg"));
  EXPECT_TRUE(IsComplete(jpeg + std::string(16, '\0'), "image/jpeg")) << "padding";
  EXPECT_FALSE(IsComplete(jpeg.substr(0, 2000), "image/jpeg"));
  EXPECT_FALSE(IsComplete(pdf, "text/plain"));
}

TEST(SniffTest, AMislabelledPdfIsRefused) {
  v1::DocumentMetadata m;
  m.set_file_name("Lebenslauf.PDF");
  EXPECT_TRUE(CheckDeclaredType(m, "application/pdf").ok());
  EXPECT_EQ(CheckDeclaredType(m, "image/png").code(), absl::StatusCode::kInvalidArgument);
  m.set_file_name("foto.jpg");
  m.set_declared_content_type("application/pdf");
  EXPECT_EQ(CheckDeclaredType(m, "image/jpeg").code(), absl::StatusCode::kInvalidArgument);
}

TEST(StateMachineTest, FollowsTheDomainFlow) {
  EXPECT_TRUE(IsAllowedTransition(v1::RECEIVED, v1::SCREENING));
  EXPECT_TRUE(IsAllowedTransition(v1::SCREENING, v1::SHORTLISTED));
  EXPECT_TRUE(IsAllowedTransition(v1::INTERVIEWED, v1::PROPOSED));
  EXPECT_TRUE(IsAllowedTransition(v1::PROPOSED, v1::PENDING_COORDINATION));
  EXPECT_TRUE(IsAllowedTransition(v1::PENDING_COORDINATION, v1::PROPOSED));
  EXPECT_TRUE(IsAllowedTransition(v1::OFFER_APPROVED, v1::HIRED));
  EXPECT_TRUE(IsAllowedTransition(v1::OFFER_APPROVED, v1::REJECTED));
  EXPECT_TRUE(IsAllowedTransition(v1::PENDING_COORDINATION, v1::REJECTED));
  EXPECT_TRUE(IsAllowedTransition(v1::PENDING_COORDINATION, v1::WITHDRAWN));
  EXPECT_TRUE(IsAllowedTransition(v1::INVITED, v1::WITHDRAWN));
  EXPECT_FALSE(IsAllowedTransition(v1::RECEIVED, v1::INVITED));
  EXPECT_FALSE(IsAllowedTransition(v1::SCREENING, v1::HIRED));
  EXPECT_FALSE(IsAllowedTransition(v1::HIRED, v1::WITHDRAWN));
  EXPECT_FALSE(IsAllowedTransition(v1::REJECTED, v1::SCREENING));
}

v1::ChangeStatusRequest To(v1::ApplicationStatus s, std::string reason = "") {
  v1::ChangeStatusRequest r;
  r.set_target(s);
  r.set_reason(std::move(reason));
  return r;
}

TEST(ChangeStatusTest, RejectionNeedsAReason) {
  v1::Application a;
  a.set_status(v1::SCREENING);
  EXPECT_EQ(CheckStatusChange(a, To(v1::REJECTED), kHr).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckStatusChange(a, To(v1::REJECTED, "Voraussetzungen fehlen"), kHr).ok());
}

TEST(ChangeStatusTest, Sgb9SeverelyDisabledBeforeInterviewNeedsTheObviouslyUnqualifiedFinding) {
  v1::Application a;
  a.set_status(v1::SCREENING);
  a.set_severely_disabled(true);
  auto r = To(v1::REJECTED, "kein Abschluss");
  EXPECT_EQ(CheckStatusChange(a, r, kHr).code(), absl::StatusCode::kFailedPrecondition);
  r.set_obviously_unqualified(true);
  EXPECT_TRUE(CheckStatusChange(a, r, kHr).ok());
  // After the interview the normal rules apply.
  a.set_status(v1::INTERVIEWED);
  r.set_obviously_unqualified(false);
  EXPECT_TRUE(CheckStatusChange(a, r, kHr).ok());
  // Equivalent status (Gleichstellung) counts the same.
  a.set_status(v1::SHORTLISTED);
  a.set_severely_disabled(false);
  a.set_equivalent_status(true);
  EXPECT_EQ(CheckStatusChange(a, r, kHr).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ChangeStatusTest, RolesAndTargets) {
  v1::Application a;
  a.set_status(v1::SCREENING);
  EXPECT_TRUE(CheckStatusChange(a, To(v1::SHORTLISTED), kCommittee).ok());
  EXPECT_EQ(CheckStatusChange(a, To(v1::REJECTED, "x"), kCommittee).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckStatusChange(a, To(v1::HIRED), kHr).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckStatusChange(a, To(v1::INVITED), kHr).code(),
            absl::StatusCode::kFailedPrecondition);
}

// DOMAIN.md: screening starts at the deadline; no role sets it by hand, not even on a
// RECEIVED application whose move it would be.
TEST(ChangeStatusTest, ScreeningIsNotSetByHand) {
  v1::Application a;
  a.set_status(v1::RECEIVED);
  EXPECT_EQ(CheckStatusChange(a, To(v1::SCREENING), kHr).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckStatusChange(a, To(v1::SHORTLISTED), kHr).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckStatusChange(a, To(v1::REJECTED, "x"), kHr).code(),
            absl::StatusCode::kFailedPrecondition);
}

v1::Application Open(v1::ApplicationStatus status, const std::string& pseudonym,
                     bool severely_disabled = false) {
  v1::Application a;
  a.set_status(status);
  a.set_pseudonym(pseudonym);
  a.set_severely_disabled(severely_disabled);
  return a;
}

TEST(ConclusionTest, EndsAProcedureOnlyWithoutHiringInProgressAndAfterSgb9Interviews) {
  EXPECT_TRUE(CheckConclusion({}).ok());
  EXPECT_TRUE(CheckConclusion({Open(v1::SCREENING, "B-1"), Open(v1::INTERVIEWED, "B-2"),
                               Open(v1::INTERVIEWED, "B-3", /*severely_disabled=*/true)})
                  .ok());
  for (auto in_progress : {v1::PROPOSED, v1::PENDING_COORDINATION, v1::OFFER_APPROVED}) {
    const absl::Status s = CheckConclusion({Open(v1::SCREENING, "B-1"), Open(in_progress, "B-7")});
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << StatusName(in_progress);
    EXPECT_NE(s.message().find("B-7"), std::string::npos) << s;
  }
  // SGB IX § 165: before the interview a severely disabled or equivalent applicant still has
  // the right to be invited; the message names pseudonyms, never names.
  for (auto before : {v1::RECEIVED, v1::SCREENING, v1::SHORTLISTED, v1::INVITED}) {
    const absl::Status s = CheckConclusion({Open(before, "B-9", true), Open(v1::SCREENING, "B-1")});
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << StatusName(before);
    EXPECT_NE(s.message().find("§ 165"), std::string::npos);
    EXPECT_NE(s.message().find("B-9"), std::string::npos);
    EXPECT_EQ(s.message().find("B-1"), std::string::npos);
  }
  v1::Application equivalent = Open(v1::SHORTLISTED, "B-4");
  equivalent.set_equivalent_status(true);
  EXPECT_EQ(CheckConclusion({equivalent}).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace stellenwerk::applications

namespace stellenwerk::applications {
namespace {

v1::SubmitApplicationRequest AnonymisedSubmission(std::string motivation,
                                                  std::string qualification) {
  v1::SubmitApplicationRequest r;
  r.mutable_applicant()->set_given_name("Anna-Lena");
  r.mutable_applicant()->set_family_name("von Bergen");
  r.mutable_applicant()->set_email("a.bergen@example.de");
  r.set_anonymised_motivation(std::move(motivation));
  r.set_anonymised_qualification(std::move(qualification));
  return r;
}

// Seed 003: what the committee reads carries no name and no email.
TEST(AnonymisedTextsTest, NameOrEmailInEitherTextIsRefusedNamingTheField) {
  EXPECT_TRUE(CheckAnonymisedTexts(AnonymisedSubmission("Ich arbeite gern im Bürgeramt.",
                                                        "Verwaltungsfachwirtin, 5 Jahre"))
                  .ok());
  struct Case {
    std::string motivation, qualification, field;
  };
  for (const Case& c : std::vector<Case>{
           {"Mein Name ist Anna-Lena.", "ok", "anonymised_motivation"},
           {"ok", "Zeugnisse an a.bergen@example.de", "anonymised_qualification"},
           {"ok", "Frau BERGEN hat ...", "anonymised_qualification"},      // a part, any case
           {"Schreiben Sie a.bergen an.", "ok", "anonymised_motivation"},  // the email's local part
           {"Lena", "ok", "anonymised_motivation"},                        // the whole text
           {"   ", "ok", "anonymised_motivation"},                         // required
           {"ok", "", "anonymised_qualification"},
           {std::string(4001, 'x'), "ok", "anonymised_motivation"}}) {
    const absl::Status s =
        CheckAnonymisedTexts(AnonymisedSubmission(c.motivation, c.qualification));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << c.motivation << " / " << c.qualification;
    EXPECT_NE(std::string(s.message()).find(c.field), std::string::npos) << s.message();
  }
  // A name inside another word is no name ("Bergener Straße" is no "Bergen"... but "Lenas" is
  // not refused either: words, not substrings, so that "Anna" does not refuse "Johanna").
  EXPECT_TRUE(CheckAnonymisedTexts(AnonymisedSubmission("Projekt Johannaheim", "Bergenerin")).ok());
  // Nor is a particle of the name an identifying word.
  EXPECT_TRUE(
      CheckAnonymisedTexts(AnonymisedSubmission("Leitung von Projekten", "Abschluss der FH")).ok());
}

}  // namespace
}  // namespace stellenwerk::applications
