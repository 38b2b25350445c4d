// Applications end to end: postings and applications in-process on the real infrastructure,
// talking through RabbitMQ as in production.
#include <algorithm>
#include <map>
#include <thread>

#include "common/events/catalogue.h"
#include "services/applications/adapters/grpc_posting_directory.h"
#include "services/applications/tests/applications_testing.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

using testing::UniqueName;

class ApplicationsE2eTest : public ApplicationsServiceTest {};

TEST_F(ApplicationsE2eTest, UploadSubmitAndTheEmployerSeesIt) {
  const std::string posting = OpenPosting();
  v1::Document cv;
  const std::string pdf = Pdf(300 * 1024);
  ASSERT_TRUE(Upload(applicant_, "cv.pdf", v1::CV, pdf, &cv).ok());
  EXPECT_EQ(cv.detected_type(), "application/pdf");
  EXPECT_EQ(cv.size_bytes(), static_cast<int64_t>(pdf.size()));
  EXPECT_EQ(cv.sha256().size(), 64u);

  auto r = Submission(posting, applicant_);
  r.set_request_id("submit-1");
  v1::Application a;
  grpc::Status submitted = stub_->SubmitApplication(Ctx(applicant_).get(), r, &a);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  EXPECT_EQ(a.status(), v1::RECEIVED);
  EXPECT_EQ(a.tenant_id(), tenant_);
  // Replay: the first answer, nothing new.
  v1::Application again;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &again).ok());
  EXPECT_EQ(again.id(), a.id());
  // A second application of the same person to the same posting is detected.
  auto second = Submission(posting, applicant_);
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), second, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::GetApplicationRequest get;
  get.set_id(a.id());
  v1::Application seen;
  ASSERT_TRUE(stub_->GetApplication(Ctx(hr_).get(), get, &seen).ok());
  EXPECT_EQ(seen.applicant().family_name(), "Mustermann");
  // Another employer and another applicant see nothing.
  EXPECT_EQ(stub_
                ->GetApplication(Ctx(harness().Token(UniqueName("kreis"), {"hr_clerk"})).get(), get,
                                 &seen)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_
                ->GetApplication(Ctx(harness().Token("portal", {"applicant"}, "someone")).get(),
                                 get, &seen)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ApplicationsE2eTest, BadDocumentsAreRefused) {
  v1::Document d;
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "MZ this is an executable", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, std::string("\x89PNG\r\n\x1a\nabc", 11), &d)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // a PNG named .pdf
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "%PDF-1.7 truncated", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      Upload(applicant_, "big.pdf", v1::CV, Pdf(21 * 1024 * 1024), &d, 1024 * 1024).error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Upload(hr_, "cv.pdf", v1::CV, Pdf(), &d).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ApplicationsE2eTest, SubmissionNeedsConsentAndAnOpenPosting) {
  const std::string posting = OpenPosting();
  auto r = Submission(posting, applicant_);
  r.clear_consent();
  v1::Application a;
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto future = Submission(posting, applicant_);
  future.mutable_consent()->mutable_given_time()->set_seconds(
      absl::ToUnixSeconds(kStart + absl::Hours(1)));
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), future, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "consent given in an hour proves nothing now";
  auto unknown = Submission("00000000-0000-4000-8000-000000000000", applicant_);
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), unknown, &a).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ApplicationsE2eTest, AtTheDeadlineLateOnesAreRefusedAndReceivedOnesGoToScreening) {
  const std::string posting = OpenPosting();
  v1::Application a;
  // The deadline day counts to its end: 23:59 Berlin on 20 October 2024 is in time.
  const absl::Time last_minute =
      calendar::StartOfDay(absl::CivilDay(2024, 10, 20)) + absl::Hours(23) + absl::Minutes(59);
  ASSERT_TRUE(apps_->SetTime(last_minute).ok());
  ASSERT_TRUE(
      stub_->SubmitApplication(Ctx(applicant_).get(), Submission(posting, applicant_), &a).ok());
  // 2024-10-20 24:00 Berlin passes on both services.
  const absl::Time after = calendar::StartOfDay(absl::CivilDay(2024, 10, 21)) + absl::Minutes(1);
  ASSERT_TRUE(apps_->SetTime(after).ok());
  ASSERT_TRUE(postings_->SetTime(after).ok());
  const std::string late = harness().Token("portal", {"applicant"}, UniqueName("spaet"));
  v1::Application refused;
  EXPECT_EQ(
      stub_->SubmitApplication(Ctx(late).get(), Submission(posting, late), &refused).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetApplicationRequest get;
  get.set_id(a.id());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        v1::Application seen;
        return stub_->GetApplication(Ctx(hr_).get(), get, &seen).ok() &&
               seen.status() == v1::SCREENING;
      },
      absl::Seconds(15)));
}

TEST_F(ApplicationsE2eTest, StatusChangesFollowTheRulesAndAnonymisedProceduresHideIdentity) {
  const std::string posting = OpenPosting({.anonymised = true});
  auto r = Submission(posting, applicant_);
  r.set_severely_disabled(true);
  v1::Application a;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).ok());
  v1::ChangeStatusRequest change;
  change.set_id(a.id());
  change.set_target(v1::SCREENING);
  v1::Application out;
  // DOMAIN.md: screening starts at the deadline, not by hand while the posting is open.
  EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetAs(hr_, a.id()).status(), v1::RECEIVED);
  Move(a.id(), {v1::SCREENING});
  change.set_target(v1::REJECTED);
  change.set_reason("fehlende Qualifikation");
  // SGB IX § 165: not without the explicit finding.
  EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // An applicant cannot move their own application.
  change.set_target(v1::SHORTLISTED);
  EXPECT_EQ(stub_->ChangeStatus(Ctx(applicant_).get(), change, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The committee shortlists, and sees a pseudonym only.
  const std::string committee = harness().Token(tenant_, {"committee_member"}, "k-1");
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(committee).get(), change, &out).ok());
  EXPECT_EQ(out.status(), v1::SHORTLISTED);
  EXPECT_FALSE(out.has_applicant());
  EXPECT_FALSE(out.pseudonym().empty());
  ASSERT_EQ(out.history_size(), 2);
  // Withdrawn by the applicant; then nothing more.
  v1::WithdrawApplicationRequest w;
  w.set_id(a.id());
  ASSERT_TRUE(stub_->WithdrawApplication(Ctx(applicant_).get(), w, &out).ok());
  EXPECT_EQ(out.status(), v1::WITHDRAWN);
  change.set_target(v1::INVITED);
  EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ApplicationsE2eTest, TheObviouslyUnqualifiedFindingIsRecordedWithTheRejection) {
  const std::string posting = OpenPosting();
  auto r = Submission(posting, applicant_);
  r.set_equivalent_status(true);
  v1::Application a, out;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).ok());
  v1::ChangeStatusRequest change;
  change.set_id(a.id());
  Move(a.id(), {v1::SCREENING});
  change.set_target(v1::REJECTED);
  change.set_reason("Die geforderte Laufbahnbefähigung fehlt offensichtlich.");
  change.set_obviously_unqualified(true);
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).ok());
  EXPECT_EQ(out.status(), v1::REJECTED);
  EXPECT_TRUE(out.obviously_unqualified());
  EXPECT_EQ(out.history(1).reason(), change.reason());
}

// SGB IX § 178 (2), § 165: the disability representative is heard before a severely disabled
// applicant is rejected, and told of the decision — with the finding, the reason and the
// statement, by pseudonym — whether heard or not.
TEST_F(ApplicationsE2eTest, TheDisabilityRepresentativeIsHeardAndToldOfTheRejection) {
  testing::EventTap tap(infra(),
                        {events::RoutingKey<events::v1::DisabilityRepresentativeInformed>()});
  const std::string posting = OpenPosting({.anonymised = true});
  const auto heard =
      Apply(posting, NewApplicant("sb1"), [](auto& r) { r.set_severely_disabled(true); });
  const auto unheard =
      Apply(posting, NewApplicant("sb2"), [](auto& r) { r.set_equivalent_status(true); });
  const auto other = Apply(posting, NewApplicant("o"));
  const std::string sbv = Staff("disability_representative", "sbv-1");

  v1::RecordRepresentativeStatementRequest st;
  st.set_id(heard.id());
  st.set_statement("Die fehlende Laufbahnbefähigung ist belegt; keine Einwände.");
  v1::Application out;
  // Only the representative speaks for itself; only for severely disabled applicants; a text.
  EXPECT_EQ(stub_->RecordRepresentativeStatement(Ctx(hr_).get(), st, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_
          ->RecordRepresentativeStatement(
              Ctx(harness().Token(UniqueName("kreis"), {"disability_representative"}, "x")).get(),
              st, &out)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  v1::RecordRepresentativeStatementRequest not_disabled = st;
  not_disabled.set_id(other.id());
  EXPECT_EQ(stub_->RecordRepresentativeStatement(Ctx(sbv).get(), not_disabled, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::RecordRepresentativeStatementRequest empty = st;
  empty.set_statement("   ");
  EXPECT_EQ(stub_->RecordRepresentativeStatement(Ctx(sbv).get(), empty, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status s = stub_->RecordRepresentativeStatement(Ctx(sbv).get(), st, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.representative_statements_size(), 1);
  EXPECT_FALSE(out.has_applicant()) << "the representative sees the pseudonymised view too";

  Move(heard.id(), {v1::SCREENING});
  for (const auto* a : {&heard, &unheard}) {
    v1::ChangeStatusRequest reject;
    reject.set_id(a->id());
    reject.set_target(v1::REJECTED);
    reject.set_reason("Die geforderte Laufbahnbefähigung fehlt offensichtlich.");
    reject.set_obviously_unqualified(true);
    grpc::Status r = stub_->ChangeStatus(Ctx(hr_).get(), reject, &out);
    ASSERT_TRUE(r.ok()) << r.error_message();
  }
  // The statement stays with the decision on the application.
  EXPECT_EQ(GetAs(hr_, heard.id()).representative_statements(0).text(), st.statement());
  // After the procedure ended for them there is nothing left to be heard on.
  EXPECT_EQ(stub_->RecordRepresentativeStatement(Ctx(sbv).get(), st, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_TRUE(apps_->WaitForOutbox());
  std::map<std::string, events::v1::DisabilityRepresentativeInformed> told;
  for (const auto& d : tap.TakeQueued()) {
    events::v1::DisabilityRepresentativeInformed e;
    ASSERT_TRUE(e.ParseFromString(d.message.body));
    if (e.posting_id() == posting) told[e.application_id()] = e;
  }
  ASSERT_EQ(told.size(), 2u) << "the two severely disabled applicants, not the third";
  const auto& h = told[heard.id()];
  EXPECT_EQ(h.decision(), "REJECTED");
  EXPECT_TRUE(h.obviously_unqualified());
  EXPECT_EQ(h.reason(), "Die geforderte Laufbahnbefähigung fehlt offensichtlich.");
  EXPECT_TRUE(h.representative_heard());
  EXPECT_EQ(h.representative_statement(), st.statement());
  EXPECT_EQ(h.pseudonym(), heard.pseudonym());
  EXPECT_EQ(h.meta().tenant_id(), tenant_);
  const auto& u = told[unheard.id()];
  EXPECT_TRUE(u.obviously_unqualified());
  EXPECT_FALSE(u.representative_heard());
  EXPECT_TRUE(u.representative_statement().empty());
  for (const auto& [id, e] : told) {
    EXPECT_EQ(e.SerializeAsString().find("Mustermann"), std::string::npos) << "no name in it";
  }
}

// Events are the normal way to learn of a posting; one whose events have not arrived (a
// service deployed after it was published, an event in flight) is asked for at the postings
// service and kept (docs/decisions/0015). A draft or an unknown posting stays closed.
TEST_F(ApplicationsE2eTest, APostingWhoseEventsHaveNotArrivedIsAskedFor) {
  const std::string posting = OpenPosting();
  auto snapshots = [&] {
    int n = -1;
    EXPECT_TRUE(
        apps_->runtime()
            .db()
            .Transact([&](pqxx::work& tx) {
              n = tx.exec_params1(
                        "SELECT count(*) FROM posting_snapshots WHERE posting_id = $1::uuid",
                        posting)[0]
                      .as<int>();
              return absl::OkStatus();
            })
            .ok());
    return n;
  };
  ASSERT_EQ(snapshots(), 1);
  ASSERT_TRUE(apps_->runtime()
                  .db()
                  .Transact([&](pqxx::work& tx) {
                    tx.exec_params("DELETE FROM posting_snapshots WHERE posting_id = $1::uuid",
                                   posting);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(snapshots(), 0);
  const v1::Application a = Apply(posting, applicant_);
  EXPECT_EQ(a.status(), v1::RECEIVED);
  EXPECT_EQ(a.tenant_id(), tenant_);
  EXPECT_FALSE(a.kennziffer().empty());
  EXPECT_EQ(snapshots(), 1) << "the answer is kept";

  // A draft is not public: the postings service does not show it, so nobody applies to it.
  pv1::CreatePostingRequest create;
  create.mutable_posting()->set_title("Entwurf: Sachbearbeiter*in");
  pv1::Posting draft;
  ASSERT_TRUE(posting_stub_->CreatePosting(Ctx(hr_).get(), create, &draft).ok());
  v1::Application out;
  EXPECT_EQ(
      stub_->SubmitApplication(Ctx(applicant_).get(), Submission(draft.id(), applicant_), &out)
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(GrpcPostingDirectoryTest, AnUnreachablePostingsServiceIsUnavailableNotClosed) {
  GrpcPostingDirectory directory("127.0.0.1:1", absl::Milliseconds(500));
  auto fetched = directory.Fetch("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(fetched.status().code(), absl::StatusCode::kUnavailable) << fetched.status();
}

// Submissions answered before the close are screened, those after it refused, and those that
// race it are one or the other, never left RECEIVED. Some surely come before the close and some
// surely after it, so both outcomes occur in every run, whatever the race does.
TEST_F(ApplicationsE2eTest, SubmissionsRacingTheCloseAreRefusedOrScreenedNeverLeftBehind) {
  const std::string posting = OpenPosting();
  constexpr int kBefore = 6;
  constexpr int kRacing = 12;
  constexpr int kAfter = 6;
  constexpr int kApplicants = kBefore + kRacing + kAfter;
  std::vector<std::pair<std::string, v1::SubmitApplicationRequest>> ready;
  for (int i = 0; i < kApplicants; ++i) {
    const std::string token = NewApplicant(absl::StrCat("race-", i));
    ready.emplace_back(token, Submission(posting, token));
  }
  std::vector<grpc::Status> results(kApplicants);
  auto submit = [&](int i) {
    v1::Application a;
    results[i] = stub_->SubmitApplication(Ctx(ready[i].first).get(), ready[i].second, &a);
  };
  for (int i = 0; i < kBefore; ++i) submit(i);  // answered before the close goes out
  std::vector<std::thread> threads;
  for (int i = kBefore; i < kBefore + kRacing; ++i) {
    threads.emplace_back([&, i] {
      if (i == kBefore + kRacing / 2) {  // the close goes out amid these submissions
        pv1::ClosePostingRequest close;
        close.set_id(posting);
        pv1::Posting closed;
        EXPECT_TRUE(posting_stub_->ClosePosting(Ctx(hr_).get(), close, &closed).ok());
      }
      submit(i);
    });
  }
  for (auto& t : threads) t.join();
  // Sent once the close has reached this service.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto p = apps_->app().store().Posting(posting);
        return p.ok() && p->has_value() && (*p)->status == "CLOSED";
      },
      absl::Seconds(15)));
  for (int i = kBefore + kRacing; i < kApplicants; ++i) submit(i);

  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < kApplicants; ++i) {
    const grpc::Status& s = results[i];
    if (s.ok()) {
      ++accepted;
    } else {
      ++refused;
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    }
    if (i < kBefore) EXPECT_TRUE(s.ok()) << i << " came before the close: " << s.error_message();
    if (i >= kBefore + kRacing) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << i << " came after it";
    }
  }
  EXPECT_GT(accepted, 0) << "no submission got in";
  EXPECT_GT(refused, 0) << "no submission was refused";
  // Every accepted application is screened once the close has arrived; none stays RECEIVED.
  v1::ListApplicationsRequest list;
  list.set_posting_id(posting);
  list.set_page_size(100);
  v1::ListApplicationsResponse out;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        if (!stub_->ListApplications(Ctx(hr_).get(), list, &out).ok()) return false;
        return out.applications_size() == accepted &&
               std::all_of(out.applications().begin(), out.applications().end(),
                           [](const auto& a) { return a.status() == v1::SCREENING; });
      },
      absl::Seconds(15)));
  EXPECT_EQ(out.applications_size(), accepted);
  // After the close nothing more gets in.
  const std::string late = NewApplicant("spaet");
  v1::Application a;
  EXPECT_EQ(stub_->SubmitApplication(Ctx(late).get(), Submission(posting, late), &a).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// Reads a document as `token` sees it: status, metadata, the content put together.
struct Download {
  grpc::Status status;
  v1::Document metadata;
  std::string content;
  int messages = 0;
};

class DocumentDownloadTest : public ApplicationsServiceTest {
 protected:
  Download Read(const std::string& token, const std::string& application_id,
                const std::string& document_id) {
    v1::DownloadDocumentRequest r;
    r.set_application_id(application_id);
    r.set_document_id(document_id);
    auto ctx = Ctx(token);
    auto reader = stub_->DownloadDocument(ctx.get(), r);
    Download out;
    v1::DownloadDocumentResponse part;
    while (reader->Read(&part)) {
      if (++out.messages == 1) {
        EXPECT_EQ(part.part_case(), v1::DownloadDocumentResponse::kMetadata);
        out.metadata = part.metadata();
      } else {
        EXPECT_EQ(part.part_case(), v1::DownloadDocumentResponse::kChunk);
        EXPECT_LE(part.chunk().size(), 64u * 1024u);
        out.content += part.chunk();
      }
    }
    out.status = reader->Finish();
    return out;
  }
  std::vector<std::string> Readers(const std::string& application_id) {
    std::vector<std::string> readers;
    for (const auto& e : AuditOf(application_id, "document_viewed")) {
      readers.push_back(e.actor() + ":" + e.reason());
    }
    return readers;
  }
};

TEST_F(DocumentDownloadTest, TheApplicantAndTheEmployersStaffReadDocumentsNobodyElse) {
  const std::string posting = OpenPosting();
  const std::string pdf = Pdf(300 * 1024);  // five chunks
  v1::Document certificate;
  ASSERT_TRUE(Upload(applicant_, "zeugnis.pdf", v1::CERTIFICATE, pdf, &certificate).ok());
  const v1::Application a =
      Apply(posting, applicant_, [&](auto& r) { r.add_document_ids(certificate.id()); });

  const Download own = Read(applicant_, a.id(), certificate.id());
  ASSERT_TRUE(own.status.ok()) << own.status.error_message();
  EXPECT_EQ(own.content, pdf);
  EXPECT_EQ(own.messages, 1 + 5);
  EXPECT_EQ(own.metadata.sha256(), certificate.sha256());
  EXPECT_EQ(own.metadata.file_name(), "zeugnis.pdf");
  EXPECT_TRUE(Readers(a.id()).empty()) << "the applicant's own reads are not staff reads";

  const Download by_hr = Read(hr_, a.id(), certificate.id());
  ASSERT_TRUE(by_hr.status.ok()) << by_hr.status.error_message();
  EXPECT_EQ(by_hr.content, pdf);
  const Download by_committee = Read(Staff("committee_member", "k-1"), a.id(), certificate.id());
  ASSERT_TRUE(by_committee.status.ok());
  EXPECT_EQ(Readers(a.id()), (std::vector<std::string>{"hr-1:zeugnis.pdf", "k-1:zeugnis.pdf"}));

  // Another employer, another applicant, a role without access, a document of another
  // application, ids that are none.
  EXPECT_EQ(Read(harness().Token(UniqueName("kreis"), {"hr_clerk"}), a.id(), certificate.id())
                .status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Read(NewApplicant("fremd"), a.id(), certificate.id()).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Read(Staff("staff_council", "pr-1"), a.id(), certificate.id()).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  const v1::Application other = Apply(posting, NewApplicant("andere"));
  EXPECT_EQ(Read(hr_, other.id(), certificate.id()).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Read(hr_, a.id(), "zeugnis").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Read("", a.id(), certificate.id()).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Readers(a.id()).size(), 2u) << "refused reads leave no trace";
}

TEST_F(DocumentDownloadTest, AnAnonymisedProcedureOpensDocumentsOnlyAfterTheReveal) {
  const std::string posting = OpenPosting({.anonymised = true});
  const v1::Application a = Apply(posting, applicant_);
  ASSERT_GT(a.documents_size(), 0);
  const std::string cv = a.documents(0).id();
  EXPECT_TRUE(Read(applicant_, a.id(), cv).status.ok());
  EXPECT_EQ(Read(hr_, a.id(), cv).status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Read(Staff("committee_member", "k-1"), a.id(), cv).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::Application out = Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  v1::RevealIdentityRequest reveal;
  reveal.set_id(a.id());
  reveal.set_reason("Einladung zum Auswahlgespräch");
  ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).ok());
  const Download after = Read(Staff("committee_member", "k-1"), a.id(), cv);
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(after.content, Pdf());
}

}  // namespace
}  // namespace stellenwerk::applications
