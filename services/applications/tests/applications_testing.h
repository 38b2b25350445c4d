#pragma once
// The applications service for the test harness (common/testing/harness.h), the builders of a
// submitted application, and the base of the applications end-to-end suites: postings,
// applications and (for the coordination gate) coordination in process, with fake clocks,
// talking through RabbitMQ as in production.

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "services/applications/app.h"
#include "services/coordination/tests/coordination_testing.h"
#include "services/postings/tests/postings_testing.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"

namespace stellenwerk::applications {

namespace pv1 = ::stellenwerk::postings::v1;
namespace cv1 = ::stellenwerk::coordination::v1;

inline const stellenwerk::testing::ServiceDef kApplicationsService{
    .name = "applications",
    .binary = "services/applications/stellenwerk-applications",
    .consumes = true};

using ApplicationsUnderTest = stellenwerk::testing::InProcess<ApplicationsApp>;

// ApplicationsApp in process; with `postings`, it asks that service about postings whose
// events have not arrived (docs/decisions/0015).
ApplicationsUnderTest& StartApplications(stellenwerk::testing::Harness& harness,
                                         stellenwerk::testing::ServiceUnderTest* postings = nullptr,
                                         stellenwerk::testing::ServiceOptions options = {});

// The smallest file the upload takes for a PDF: the header, padding, the trailer.
std::string MinimalPdf(size_t size = 2000);

// UploadDocument (client stream): the metadata, then `content` in chunks.
grpc::Status UploadDocument(v1::ApplicationService::Stub& stub, const std::string& token,
                            const std::string& name, v1::DocumentKind kind,
                            const std::string& content, v1::Document* out,
                            size_t chunk = 64 * 1024);

// A complete submission of Erika Mustermann to `posting_id`: a CV uploaded as the holder of
// `token` (a minimal PDF), a cover letter, consent given at `consent_time`.
v1::SubmitApplicationRequest SubmissionFor(v1::ApplicationService::Stub& stub,
                                           const std::string& posting_id, const std::string& token,
                                           absl::Time consent_time);

// Uploads, submits and returns the application; fails the test if that does not work.
v1::Application SubmittedApplication(
    v1::ApplicationService::Stub& stub, const std::string& posting_id, const std::string& token,
    absl::Time consent_time, const std::function<void(v1::SubmitApplicationRequest&)>& adjust = {});

inline const absl::Time kStart =
    calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10);

using postings::PostingOptions;

// The base of the applications end-to-end suites. Every test has a tenant of its own, an HR
// clerk of it and an applicant; every clock reads kStart when it begins.
class ApplicationsServiceTest : public stellenwerk::testing::ServiceTest {
 protected:
  // with_coordination: also runs the coordination service (for the coordination gate).
  static void StartServices(bool with_coordination);
  static void SetUpTestSuite() { StartServices(false); }
  static void TearDownTestSuite();
  void SetUp() override;

  std::string NewApplicant(const std::string& name = "bewerberin") const;
  std::string Staff(const std::string& role, const std::string& sub) const;
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return stellenwerk::testing::CallContext(token);
  }
  static std::string Pdf(size_t size = 2000) { return MinimalPdf(size); }

  // A published posting of tenant_ whose snapshot has reached the applications service.
  std::string OpenPosting(const PostingOptions& o = {});
  // The audit lines of one application with the given action, as HR lists them.
  std::vector<v1::AuditEntry> AuditOf(const std::string& application_id, const std::string& action);
  // Ends the application period (ClosePosting) and waits until this service knows it: the
  // steps that follow it (screening, the bodies' verdicts, the end of the procedure) may then
  // begin. Nothing to do when it has ended already.
  void CloseApplications(const std::string& posting_id);
  grpc::Status Upload(const std::string& token, const std::string& name, v1::DocumentKind kind,
                      const std::string& content, v1::Document* out, size_t chunk = 64 * 1024) {
    return UploadDocument(*stub_, token, name, kind, content, out, chunk);
  }
  v1::SubmitApplicationRequest Submission(const std::string& posting_id, const std::string& token) {
    return SubmissionFor(*stub_, posting_id, token, kStart);
  }
  // Submits and returns the application, failing the test if that does not work.
  v1::Application Apply(const std::string& posting_id, const std::string& token,
                        const std::function<void(v1::SubmitApplicationRequest&)>& adjust = {}) {
    return SubmittedApplication(*stub_, posting_id, token, kStart, adjust);
  }
  // Moves an application through ChangeStatus steps by HR; fails the test on an error.
  // SCREENING is not set by hand (DOMAIN.md): for it the application period ends
  // (CloseApplications) and the deadline moves the application. Apply everything a test needs
  // on a posting before moving one of its applications to SCREENING.
  v1::Application Move(const std::string& id, std::initializer_list<v1::ApplicationStatus> steps);
  v1::Application GetAs(const std::string& token, const std::string& id);

  static inline postings::PostingsUnderTest* postings_ = nullptr;
  static inline ApplicationsUnderTest* apps_ = nullptr;
  static inline coordination::CoordinationUnderTest* coordination_ = nullptr;
  static inline std::unique_ptr<pv1::PostingService::Stub> posting_stub_;
  static inline std::unique_ptr<v1::ApplicationService::Stub> stub_;
  static inline std::unique_ptr<cv1::CoordinationService::Stub> coordination_stub_;
  std::string tenant_, hr_, applicant_;
};

}  // namespace stellenwerk::applications
