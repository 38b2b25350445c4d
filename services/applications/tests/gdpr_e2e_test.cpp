// GDPR end to end: the applicant's export, erasure (nothing personal left, anonymous figures
// kept), the retention sweep in Berlin calendar months, and the personnel-report statistics
// with small groups suppressed.
#include "nlohmann/json.hpp"
#include "services/applications/domain/application_rules.h"
#include "services/applications/tests/applications_testing.h"

namespace stellenwerk::applications {
namespace {

using testing::UniqueName;

absl::Time Berlin(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), calendar::Berlin());
}

class GdprE2eTest : public ApplicationsServiceTest {
 protected:
  // A single-value query on the applications service's own schema.
  static int64_t Count(const std::string& sql, const std::vector<std::string>& params = {}) {
    int64_t n = -1;
    absl::Status s = apps_->runtime().db().Read([&](pqxx::work& tx) {
      pqxx::result r;
      switch (params.size()) {
        case 0:
          r = tx.exec(sql);
          break;
        case 1:
          r = tx.exec_params(sql, params[0]);
          break;
        default:
          r = tx.exec_params(sql, params[0], params[1]);
          break;
      }
      n = r[0][0].as<int64_t>();
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return n;
  }
  static void SetEnded(const std::string& id, absl::Time ended) {
    absl::Status s = apps_->runtime().db().Transact([&](pqxx::work& tx) {
      tx.exec_params("UPDATE applications SET ended_at = $2::timestamptz WHERE id = $1::uuid", id,
                     pg::ToPgTimestamp(ended));
      return absl::OkStatus();
    });
    ASSERT_TRUE(s.ok()) << s;
  }
  // One run of the retention sweep at `now`, as its timer would run it.
  static int Sweep(absl::Time now) {
    int erased = -1;
    absl::Status s = apps_->runtime().db().Transact([&](pqxx::work& tx) -> absl::Status {
      auto n = apps_->app().store().EraseExpired(tx, now, 500);
      if (!n.ok()) return n.status();
      erased = *n;
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return erased;
  }
  static bool Exists(const std::string& id) {
    return Count("SELECT count(*) FROM applications WHERE id = $1::uuid", {id}) == 1;
  }
  // An application rejected in screening, on a posting of its own (screening needs the
  // application period to have ended, DOMAIN.md).
  v1::Application Rejected(const std::string& token, bool talent_pool = false) {
    auto a = Apply(OpenPosting(), token, [&](auto& r) { r.set_talent_pool_consent(talent_pool); });
    Move(a.id(), {v1::SCREENING});
    v1::ChangeStatusRequest change;
    change.set_id(a.id());
    v1::Application out;
    change.set_target(v1::REJECTED);
    change.set_reason("Andere Bewerbungen entsprechen dem Anforderungsprofil besser.");
    EXPECT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).ok());
    return out;
  }
};

TEST_F(GdprE2eTest, TheExportHoldsEverythingAboutTheApplicantAndNothingOfOthers) {
  const std::string first = OpenPosting();
  const std::string second = OpenPosting();
  const auto a = Apply(first, applicant_, [](auto& r) { r.set_request_id("export-1"); });
  const auto b = Apply(second, applicant_);
  Apply(first, NewApplicant("andere"));
  const std::string sub = a.applicant_sub();
  ASSERT_FALSE(sub.empty());

  v1::ExportApplicantDataRequest r;
  r.set_applicant_sub(sub);
  v1::ApplicantDataExport out;
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(applicant_).get(), r, &out).ok());
  ASSERT_EQ(out.applications_size(), 2);
  const auto doc = nlohmann::json::parse(out.json());
  EXPECT_EQ(doc["applicant_sub"], sub);
  ASSERT_EQ(doc["applications"].size(), 2u);
  const std::string text = out.json();
  for (const auto& id : {a.id(), b.id()}) EXPECT_NE(text.find(id), std::string::npos);
  EXPECT_NE(text.find("Mustermann"), std::string::npos);
  EXPECT_NE(text.find("lebenslauf.pdf"), std::string::npos) << "document metadata";
  EXPECT_NE(text.find("submitted"), std::string::npos) << "the audit trail";

  // Another applicant, a committee member: no. HR: their own tenant's part only.
  EXPECT_EQ(stub_->ExportApplicantData(Ctx(NewApplicant()).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_->ExportApplicantData(Ctx(Staff("committee_member", "k-1")).get(), r, &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // The applicant's own export left no trace; HR's export leaves one on each application.
  auto exports_by = [&](const std::string& application_id) {
    std::vector<std::string> actors;
    for (const auto& e : AuditOf(application_id, "data_exported")) actors.push_back(e.actor());
    return actors;
  };
  EXPECT_TRUE(exports_by(a.id()).empty());
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(hr_).get(), r, &out).ok());
  EXPECT_EQ(out.applications_size(), 2);
  EXPECT_EQ(exports_by(a.id()), std::vector<std::string>{"hr-1"});
  EXPECT_EQ(exports_by(b.id()), std::vector<std::string>{"hr-1"});
  const std::string other_hr = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-9");
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(other_hr).get(), r, &out).ok());
  EXPECT_EQ(out.applications_size(), 0);
  v1::ExportApplicantDataRequest empty;
  EXPECT_EQ(stub_->ExportApplicantData(Ctx(applicant_).get(), empty, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GdprE2eTest, TheEmployersExportKeepsAnAnonymisedProcedureAnonymousUntilTheReveal) {
  const std::string posting = OpenPosting({.anonymised = true});
  const auto a = Apply(posting, applicant_);
  const std::string leaving = NewApplicant("geht");
  const auto gone = Apply(posting, leaving);
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_id(gone.id());
  v1::Application withdrawn;
  ASSERT_TRUE(stub_->WithdrawApplication(Ctx(leaving).get(), withdraw, &withdrawn).ok());

  // The applicant's own withdrawal shows in the staff view under the pseudonym only.
  const auto seen = GetAs(hr_, gone.id());
  ASSERT_GT(seen.history_size(), 0);
  for (const auto& h : seen.history()) EXPECT_NE(h.actor(), withdrawn.applicant_sub());
  EXPECT_EQ(seen.history(seen.history_size() - 1).actor(), "applicant " + gone.pseudonym());

  v1::ExportApplicantDataRequest r;
  r.set_applicant_sub(a.applicant_sub());
  v1::ApplicantDataExport out;
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(hr_).get(), r, &out).ok());
  ASSERT_EQ(out.applications_size(), 1);
  EXPECT_FALSE(out.applications(0).has_applicant());
  EXPECT_EQ(out.applications(0).documents_size(), 0);
  EXPECT_EQ(out.json().find("Mustermann"), std::string::npos) << out.json();
  EXPECT_EQ(out.json().find("lebenslauf.pdf"), std::string::npos);
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(applicant_).get(), r, &out).ok());
  EXPECT_NE(out.json().find("Mustermann"), std::string::npos) << "the applicant sees it all";

  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  v1::RevealIdentityRequest reveal;
  reveal.set_id(a.id());
  reveal.set_reason("Einladung zum Auswahlgespräch");
  v1::Application revealed;
  ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &revealed).ok());
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(hr_).get(), r, &out).ok());
  EXPECT_NE(out.json().find("Mustermann"), std::string::npos) << "after the reveal";
}

TEST_F(GdprE2eTest, ErasureLeavesNothingPersonalButKeepsTheAnonymousFigures) {
  const std::string posting = OpenPosting();
  auto a = Apply(posting, applicant_, [](auto& r) {
    r.set_request_id("erase-me-1");
    r.mutable_applicant()->set_sex("w");
  });
  const std::string sub = a.applicant_sub();
  v1::Document stray;  // uploaded, never submitted
  ASSERT_TRUE(Upload(applicant_, "zeugnis.pdf", v1::CERTIFICATE, Pdf(), &stray).ok());
  Move(a.id(), {v1::SCREENING});
  const int64_t facts =
      Count("SELECT count(*) FROM application_facts WHERE tenant_id = $1", {tenant_});
  ASSERT_EQ(facts, 1);
  ASSERT_GT(Count("SELECT count(*) FROM idempotency_keys k WHERE position(convert_to($1, 'UTF8') IN"
                  " k.response) > 0",
                  {a.id()}),
            0)
      << "the stored answer of the submission holds the application";

  // HR of another employer erases nothing of it.
  v1::EraseApplicantRequest r;
  r.set_applicant_sub(sub);
  v1::EraseApplicantResponse out;
  const std::string other_hr = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-9");
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(other_hr).get(), r, &out).ok());
  EXPECT_EQ(out.applications_erased(), 0);
  EXPECT_EQ(stub_->EraseApplicant(Ctx(NewApplicant()).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Exists(a.id()));

  r.set_request_id("erase-all-1");
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(applicant_).get(), r, &out).ok());
  EXPECT_EQ(out.applications_erased(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys WHERE position($1 IN scope) > 0", {sub}),
            0)
      << "the erasure's own stored answer is not kept under the account it erased";
  v1::EraseApplicantResponse replay;
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(applicant_).get(), r, &replay).ok());
  EXPECT_EQ(replay.applications_erased(), 1) << "a replay still gets the first answer";
  r.clear_request_id();
  v1::GetApplicationRequest get;
  get.set_id(a.id());
  v1::Application gone;
  EXPECT_EQ(stub_->GetApplication(Ctx(hr_).get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(Exists(a.id()));
  EXPECT_EQ(Count("SELECT count(*) FROM documents WHERE owner_sub = $1", {sub}), 0)
      << "attached and stray documents";
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE application_id = $1::uuid", {a.id()}), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys k WHERE position(convert_to($1, 'UTF8')"
                  " IN k.response) > 0",
                  {a.id()}),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys k WHERE position(convert_to($1, 'UTF8')"
                  " IN k.response) > 0",
                  {sub}),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM erasures WHERE actor = $1", {sub}), 0)
      << "the record of the erasure does not name the person";
  EXPECT_EQ(
      Count("SELECT count(*) FROM erasures WHERE tenant_id = $1 AND cause = 'ERASURE_REQUEST'",
            {tenant_}),
      1);
  // The anonymous fact stays only in the tenant's yearly totals (decision 0042): no row of
  // its own, no posting, no day — the personnel report still counts the application.
  EXPECT_EQ(Count("SELECT count(*) FROM application_facts WHERE tenant_id = $1", {tenant_}), 0);
  EXPECT_EQ(Count("SELECT applications FROM erased_fact_totals WHERE tenant_id = $1"
                  " AND year = 2024",
                  {tenant_}),
            1);
  EXPECT_EQ(Count("SELECT women_applicants FROM erased_fact_totals WHERE tenant_id = $1"
                  " AND year = 2024",
                  {tenant_}),
            1);
  // Erasing again is harmless.
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(applicant_).get(), r, &out).ok());
  EXPECT_EQ(out.applications_erased(), 0);
}

TEST_F(GdprE2eTest, RetentionCountsBerlinCalendarMonthsAndSparesTheTalentPool) {
  const std::string posting = OpenPosting();
  const auto month_end = Rejected(NewApplicant());
  const auto dst = Rejected(NewApplicant());
  const auto pool = Rejected(NewApplicant(), /*talent_pool=*/true);
  const auto open = Apply(posting, NewApplicant());
  // Six months after 31 August 12:00 is 28 February 12:00 (no 31st; PostgreSQL clamps).
  SetEnded(month_end.id(), Berlin(2024, 8, 31, 12));
  // Six months after 30 September 2024 10:00 CEST is 30 March 2025 10:00 — a CEST time again,
  // on the day the clocks went forward (the interval is 6 calendar months, not 4,380 hours).
  SetEnded(dst.id(), Berlin(2024, 9, 30, 10));
  SetEnded(pool.id(), Berlin(2024, 1, 2, 10));

  Sweep(Berlin(2025, 2, 28, 11, 59));
  EXPECT_TRUE(Exists(month_end.id()));
  Sweep(Berlin(2025, 2, 28, 12, 0));
  EXPECT_FALSE(Exists(month_end.id()));
  EXPECT_TRUE(Exists(dst.id()));

  Sweep(Berlin(2025, 3, 30, 9, 59));
  EXPECT_TRUE(Exists(dst.id()));
  Sweep(Berlin(2025, 3, 30, 10, 0));
  EXPECT_FALSE(Exists(dst.id()));

  Sweep(Berlin(2030, 1, 1, 0));
  EXPECT_TRUE(Exists(pool.id())) << "talent-pool consent keeps the data";
  EXPECT_TRUE(Exists(open.id())) << "an open procedure is never swept";
}

TEST_F(GdprE2eTest, AWithdrawnPostingEndsItsOpenApplicationsSoRetentionApplies) {
  const std::string posting = OpenPosting();
  // Withdrawn while it takes applications (a closed posting ends by ConcludeProcedure).
  const auto open = Apply(posting, NewApplicant());
  const auto shortlisted = Apply(posting, NewApplicant());
  pv1::WithdrawPostingRequest withdraw;
  withdraw.set_id(posting);
  withdraw.set_reason("Die Stelle entfällt nach Organisationsentscheidung.");
  pv1::Posting withdrawn;
  grpc::Status s = posting_stub_->WithdrawPosting(Ctx(hr_).get(), withdraw, &withdrawn);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const auto& id : {open.id(), shortlisted.id()}) {
    EXPECT_TRUE(testing::WaitFor([&] { return GetAs(hr_, id).status() == v1::REJECTED; },
                                 absl::Seconds(15)));
    const auto ended = GetAs(hr_, id);
    EXPECT_TRUE(ended.has_end_time());
    ASSERT_GT(ended.history_size(), 0);
    EXPECT_NE(ended.history(ended.history_size() - 1).reason().find("withdrawn"),
              std::string::npos);
  }
  // Its retention period runs from now: six months later the sweep takes it.
  Sweep(kStart + absl::Hours(24 * 180));
  EXPECT_TRUE(Exists(open.id()));
  Sweep(kStart + absl::Hours(24 * 190));
  EXPECT_FALSE(Exists(open.id()));
  EXPECT_FALSE(Exists(shortlisted.id()));
}

TEST_F(GdprE2eTest, ConcludingTheProcedureEndsEveryOpenApplicationSoRetentionApplies) {
  const std::string posting = OpenPosting();
  const auto received = Apply(posting, NewApplicant());
  const auto to_interview = Apply(posting, NewApplicant());
  const auto disabled =
      Apply(posting, NewApplicant(), [](auto& r) { r.set_severely_disabled(true); });
  const std::string leaving = NewApplicant();
  const auto withdrawn = Apply(posting, leaving);
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_id(withdrawn.id());
  v1::Application ignored;
  ASSERT_TRUE(stub_->WithdrawApplication(Ctx(leaving).get(), withdraw, &ignored).ok());

  v1::ConcludeProcedureRequest conclude;
  conclude.set_posting_id(posting);
  conclude.set_reason("Die Stelle ist besetzt.");
  conclude.set_request_id("conclude-1");
  v1::ConcludeProcedureResponse out;
  auto code = [&](const std::string& token, const v1::ConcludeProcedureRequest& r) {
    return stub_->ConcludeProcedure(Ctx(token).get(), r, &out).error_code();
  };
  EXPECT_EQ(code(hr_, conclude), grpc::StatusCode::FAILED_PRECONDITION)
      << "the posting still takes applications";

  // The application period ends (screening begins) and one applicant is interviewed.
  const auto interviewed =
      Move(to_interview.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  ASSERT_TRUE(testing::WaitFor([&] { return GetAs(hr_, received.id()).status() == v1::SCREENING; },
                               absl::Seconds(15)));

  EXPECT_EQ(code(Staff("committee_member", "k-1"), conclude), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(code(harness().Token(UniqueName("kreis"), {"hr_clerk"}), conclude),
            grpc::StatusCode::NOT_FOUND);
  v1::ConcludeProcedureRequest no_reason = conclude;
  no_reason.set_reason("  ");
  no_reason.set_request_id("");
  EXPECT_EQ(code(hr_, no_reason), grpc::StatusCode::INVALID_ARGUMENT);

  // SGB IX § 165: the severely disabled applicant, still before the interview, blocks the end
  // of the procedure — and nothing changes.
  grpc::Status refused = stub_->ConcludeProcedure(Ctx(hr_).get(), conclude, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find(disabled.pseudonym()), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(GetAs(hr_, received.id()).status(), v1::SCREENING);
  EXPECT_EQ(GetAs(hr_, interviewed.id()).status(), v1::INTERVIEWED);

  v1::ChangeStatusRequest finding;
  finding.set_id(disabled.id());
  finding.set_target(v1::REJECTED);
  finding.set_obviously_unqualified(true);
  finding.set_reason("Die Laufbahnbefähigung für die Besoldungsgruppe fehlt.");
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), finding, &ignored).ok());

  grpc::Status s = stub_->ConcludeProcedure(Ctx(hr_).get(), conclude, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.posting_id(), posting);
  EXPECT_EQ(out.rejected(), 2);
  EXPECT_EQ(out.hired(), 0);
  for (const auto& id : {received.id(), interviewed.id()}) {
    const auto ended = GetAs(hr_, id);
    EXPECT_EQ(ended.status(), v1::REJECTED);
    EXPECT_TRUE(ended.has_end_time());
    ASSERT_GT(ended.history_size(), 0);
    EXPECT_EQ(ended.history(ended.history_size() - 1).reason(), "Die Stelle ist besetzt.");
    EXPECT_EQ(ended.history(ended.history_size() - 1).actor(), "hr-1");
  }
  EXPECT_EQ(GetAs(hr_, withdrawn.id()).status(), v1::WITHDRAWN);
  EXPECT_EQ(
      GetAs(hr_, disabled.id()).history(GetAs(hr_, disabled.id()).history_size() - 1).reason(),
      finding.reason())
      << "an application that had ended keeps its own reason";

  // A replay gets the same answer; the same request id with another body is refused; a new
  // request finds nothing open.
  v1::ConcludeProcedureResponse replay;
  ASSERT_TRUE(stub_->ConcludeProcedure(Ctx(hr_).get(), conclude, &replay).ok());
  EXPECT_EQ(replay.rejected(), 2);
  v1::ConcludeProcedureRequest changed = conclude;
  changed.set_reason("Das Verfahren wurde eingestellt.");
  EXPECT_EQ(code(hr_, changed), grpc::StatusCode::ALREADY_EXISTS);
  changed.set_request_id("conclude-2");
  ASSERT_TRUE(stub_->ConcludeProcedure(Ctx(hr_).get(), changed, &out).ok());
  EXPECT_EQ(out.rejected(), 0);

  // The retention period runs from the conclusion: six months later the sweep takes them.
  Sweep(kStart + absl::Hours(24 * 180));
  EXPECT_TRUE(Exists(received.id()));
  Sweep(kStart + absl::Hours(24 * 190));
  EXPECT_FALSE(Exists(received.id()));
  EXPECT_FALSE(Exists(interviewed.id()));
}

TEST_F(GdprE2eTest, ATenantMayShortenRetentionAndTheDurableSweepErasesOnItsOwn) {
  const std::string admin = Staff("admin", "admin-1");
  v1::SetRetentionPolicyRequest policy;
  policy.set_tenant_id(tenant_);
  v1::RetentionPolicy out;
  policy.set_months(0);
  EXPECT_EQ(stub_->SetRetentionPolicy(Ctx(admin).get(), policy, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  policy.set_months(25);
  EXPECT_EQ(stub_->SetRetentionPolicy(Ctx(admin).get(), policy, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  policy.set_months(1);
  EXPECT_EQ(stub_->SetRetentionPolicy(Ctx(hr_).get(), policy, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::SetRetentionPolicyRequest other = policy;
  other.set_tenant_id(UniqueName("kreis"));
  EXPECT_EQ(stub_->SetRetentionPolicy(Ctx(admin).get(), other, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->SetRetentionPolicy(Ctx(admin).get(), policy, &out).ok());
  EXPECT_EQ(out.months(), 1);

  const std::string posting = OpenPosting();
  const auto leap = Rejected(NewApplicant());
  // One month after 31 January 2024 is 29 February 2024 (a leap year).
  SetEnded(leap.id(), Berlin(2024, 1, 31, 10));
  Sweep(Berlin(2024, 2, 29, 9, 59));
  EXPECT_TRUE(Exists(leap.id()));
  Sweep(Berlin(2024, 2, 29, 10, 0));
  EXPECT_FALSE(Exists(leap.id()));

  // The durable timer: rejected now, erased by the service itself once a month has passed.
  const auto by_timer = Rejected(NewApplicant());
  v1::Document stray;
  const std::string uploader = NewApplicant("upload");
  ASSERT_TRUE(Upload(uploader, "foto.pdf", v1::CV, Pdf(), &stray).ok());
  // The service armed its sweep at Init, when its fake clock still read the real time (the
  // harness sets kStart after Init); re-arm it as if the service had started at kStart.
  ASSERT_TRUE(
      apps_->runtime()
          .db()
          .Transact([](pqxx::work& tx) {
            tx.exec_params(
                "UPDATE timers SET due_at = $1::timestamptz WHERE kind = 'applications.retention'",
                pg::ToPgTimestamp(kStart));
            return absl::OkStatus();
          })
          .ok());
  ASSERT_EQ(Count("SELECT count(*) FROM timers WHERE kind = 'applications.retention'"), 1);
  harness().SetTime(kStart + absl::Hours(24 * 40));
  EXPECT_TRUE(testing::WaitFor([&] { return !Exists(by_timer.id()); }, absl::Seconds(15)));
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Count("SELECT count(*) FROM documents WHERE id = $1::uuid", {stray.id()}) == 0;
      },
      absl::Seconds(15)))
      << "uploads never submitted go after " << kUnsubmittedDocumentDays << " days";
}

// Erased means not re-identifiable (GDPR Art. 17, Recital 26; decision 0042): erasing the only
// severely disabled applicant of a posting leaves the year's figures as they were, but nothing
// that ties a severely disabled person to that posting (or to a day).
TEST_F(GdprE2eTest, StatisticsAfterErasingTheOnlySeverelyDisabledApplicantOfAPosting) {
  const std::string small = OpenPosting();
  const std::string large = OpenPosting();
  std::vector<v1::Application> on_small, on_large;
  for (int i = 0; i < 5; ++i) {
    on_small.push_back(Apply(small, NewApplicant(), [&](auto& r) {
      r.mutable_applicant()->set_sex(i % 2 == 0 ? "w" : "m");
      r.set_severely_disabled(i == 0);  // the only one of this posting
    }));
    on_large.push_back(Apply(large, NewApplicant(), [&](auto& r) {
      r.mutable_applicant()->set_sex(i % 2 == 0 ? "m" : "w");
      r.set_severely_disabled(i != 0);
    }));
  }
  v1::GetPersonnelStatisticsRequest r;
  r.set_tenant_id(tenant_);
  r.set_year(2024);
  v1::PersonnelStatistics before;
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &before).ok());
  ASSERT_EQ(before.applications().count(), 10);
  ASSERT_EQ(before.severely_disabled_applicants().count(), 5);
  ASSERT_FALSE(before.severely_disabled_applicants().suppressed());
  ASSERT_EQ(Count("SELECT count(*) FROM application_facts WHERE posting_id = $1::uuid"
                  " AND severely_disabled",
                  {small}),
            1);

  v1::EraseApplicantRequest erase;
  erase.set_applicant_sub(on_small[0].applicant_sub());
  v1::EraseApplicantResponse erased;
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(hr_).get(), erase, &erased).ok());
  ASSERT_EQ(erased.applications_erased(), 1);

  // The year's figures are unchanged ...
  v1::PersonnelStatistics after;
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &after).ok());
  EXPECT_EQ(after.applications().count(), 10);
  EXPECT_EQ(after.women_applicants().count(), before.women_applicants().count());
  EXPECT_EQ(after.severely_disabled_applicants().count(), 5);
  EXPECT_FALSE(after.severely_disabled_applicants().suppressed());
  EXPECT_EQ(after.postings_with_applications(), 2);
  // ... but no fact says "a severely disabled person applied to this posting" any more: the
  // posting's remaining facts are the four others, and no unlinked row is left anywhere.
  EXPECT_EQ(Count("SELECT count(*) FROM application_facts WHERE posting_id = $1::uuid"
                  " AND severely_disabled",
                  {small}),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM application_facts WHERE posting_id = $1::uuid", {small}),
            4);
  EXPECT_EQ(Count("SELECT count(*) FROM application_facts WHERE tenant_id = $1"
                  " AND application_id IS NULL",
                  {tenant_}),
            0);
  // What is kept of it: the tenant's 2024 totals (no posting, no day, no link of sex and
  // disability), and that the posting had applications.
  EXPECT_EQ(Count("SELECT severely_disabled_applicants FROM erased_fact_totals"
                  " WHERE tenant_id = $1 AND year = 2024",
                  {tenant_}),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.columns WHERE table_schema ="
                  " current_schema() AND table_name = 'erased_fact_totals'"
                  " AND column_name IN ('posting_id', 'submitted_at', 'hired_at')"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM statistics_postings WHERE tenant_id = $1"
                  " AND posting_id = $2::uuid",
                  {tenant_, small}),
            1);
  // Erasing a second one of the same posting adds to the same totals.
  erase.set_applicant_sub(on_small[1].applicant_sub());
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(hr_).get(), erase, &erased).ok());
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &after).ok());
  EXPECT_EQ(after.applications().count(), 10);
  EXPECT_EQ(Count("SELECT applications FROM erased_fact_totals WHERE tenant_id = $1"
                  " AND year = 2024",
                  {tenant_}),
            2);
}

TEST_F(GdprE2eTest, PersonnelStatisticsSuppressGroupsUnderFive) {
  const std::string posting = OpenPosting();
  std::vector<v1::Application> apps;
  for (int i = 0; i < 10; ++i) {
    apps.push_back(Apply(posting, NewApplicant(), [&](auto& r) {
      r.mutable_applicant()->set_sex(i < 5 ? "w" : "m");
      r.set_severely_disabled(i == 9);
    }));
  }
  // One hire: a woman.
  Move(apps[0].id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  CloseApplications(posting);
  for (const auto& [body, role] : std::vector<std::pair<v1::ParticipationBody, std::string>>{
           {v1::EQUAL_OPPORTUNITY_OFFICER, "equal_opportunity_officer"},
           {v1::STAFF_COUNCIL, "staff_council"},
           {v1::DISABILITY_REPRESENTATIVE, "disability_representative"}}) {
    v1::RecordParticipationRequest r;
    r.set_posting_id(posting);
    r.set_body(body);
    r.set_verdict("Zustimmung");
    r.set_agrees(true);
    v1::ParticipationVerdict v;
    ASSERT_TRUE(stub_->RecordParticipation(Ctx(Staff(role, role)).get(), r, &v).ok());
  }
  v1::ProposeHiringRequest propose;
  propose.set_id(apps[0].id());
  v1::Application hired;
  ASSERT_TRUE(stub_->ProposeHiring(Ctx(hr_).get(), propose, &hired).ok());
  v1::FinalizeHiringRequest finalize;
  finalize.set_id(apps[0].id());
  ASSERT_TRUE(stub_->FinalizeHiring(Ctx(hr_).get(), finalize, &hired).ok());
  // An erased applicant still counts.
  v1::EraseApplicantRequest erase;
  erase.set_applicant_sub(apps[1].applicant_sub());
  v1::EraseApplicantResponse erased;
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(hr_).get(), erase, &erased).ok());
  ASSERT_EQ(erased.applications_erased(), 1);

  v1::GetPersonnelStatisticsRequest r;
  r.set_tenant_id(tenant_);
  r.set_year(2024);
  v1::PersonnelStatistics s;
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &s).ok());
  EXPECT_EQ(s.min_group_size(), 5);
  EXPECT_EQ(s.applications().count(), 10);
  EXPECT_FALSE(s.applications().suppressed());
  EXPECT_EQ(s.women_applicants().count(), 5);
  EXPECT_DOUBLE_EQ(s.women_applicants().share(), 0.5);
  EXPECT_TRUE(s.severely_disabled_applicants().suppressed()) << "one person";
  EXPECT_EQ(s.severely_disabled_applicants().count(), 0);
  EXPECT_TRUE(s.hires().suppressed());
  EXPECT_TRUE(s.women_hires().suppressed());
  EXPECT_TRUE(s.time_to_hire_suppressed());
  EXPECT_EQ(s.postings_with_applications(), 1);

  r.set_year(2023);
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &s).ok());
  EXPECT_EQ(s.applications().count(), 0);
  r.set_year(1999);
  EXPECT_EQ(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &s).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_year(2024);
  EXPECT_EQ(
      stub_->GetPersonnelStatistics(Ctx(Staff("committee_member", "k")).get(), r, &s).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  const std::string other_hr = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-9");
  EXPECT_EQ(stub_->GetPersonnelStatistics(Ctx(other_hr).get(), r, &s).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The hired woman is erased too (decision 0042): her hire moves into the year's totals with
  // its whole days to hire; the figures stay as they were.
  erase.set_applicant_sub(apps[0].applicant_sub());
  ASSERT_TRUE(stub_->EraseApplicant(Ctx(hr_).get(), erase, &erased).ok());
  ASSERT_EQ(erased.applications_erased(), 1);
  v1::PersonnelStatistics after;
  ASSERT_TRUE(stub_->GetPersonnelStatistics(Ctx(hr_).get(), r, &after).ok());
  EXPECT_EQ(after.applications().count(), 10);
  EXPECT_EQ(after.women_applicants().count(), 5);
  EXPECT_TRUE(after.hires().suppressed());
  EXPECT_EQ(
      Count("SELECT hires FROM erased_fact_totals WHERE tenant_id = $1 AND year = 2024", {tenant_}),
      1);
  EXPECT_EQ(Count("SELECT women_hires FROM erased_fact_totals WHERE tenant_id = $1"
                  " AND year = 2024",
                  {tenant_}),
            1);
  EXPECT_EQ(Count("SELECT cardinality(days_to_hire) FROM erased_fact_totals WHERE tenant_id = $1"
                  " AND year = 2024",
                  {tenant_}),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM application_facts WHERE tenant_id = $1"
                  " AND hired_at IS NOT NULL",
                  {tenant_}),
            0);
}

}  // namespace
}  // namespace stellenwerk::applications
