#pragma once
// The scheduling service for the test harness (common/testing/harness.h), and the base of the
// scheduling end-to-end suites: scheduling in process on the real PostgreSQL and RabbitMQ,
// fed postings' and applications' events through the broker as those services send them.

#include <string>
#include <vector>

#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "services/scheduling/app.h"
#include "stellenwerk/scheduling/v1/scheduling.grpc.pb.h"

namespace stellenwerk::scheduling {

inline const stellenwerk::testing::ServiceDef kSchedulingService{
    .name = "scheduling", .binary = "services/scheduling/stellenwerk-scheduling", .consumes = true};

using SchedulingUnderTest = stellenwerk::testing::InProcess<SchedulingApp>;

// SchedulingApp in process, on a schema of its own (or options.schema, for a replica).
SchedulingUnderTest& StartScheduling(stellenwerk::testing::Harness& harness,
                                     stellenwerk::testing::ServiceOptions options = {},
                                     SchedulingOptions scheduling = {});

// When the scheduling suites start: Monday 2 February 2026, 10:00 Berlin. Postings close on
// 20 February; the days are in March (before the DST switch of 29 March).
inline const absl::Time kSchedulingStart =
    absl::FromCivil(absl::CivilSecond(2026, 2, 2, 10, 0, 0), calendar::Berlin());
inline constexpr char kDeadline[] = "2026-02-20";

// A day on `date` from `start` (RFC 3339 with offset): `interviews` interviews of 30 minutes
// in Raum 2.14 of the Rathaus, video offered, committee member m1.
v1::CreateSelectionDayRequest DayRequest(const std::string& posting_id, const std::string& date,
                                         const std::string& start, int interviews,
                                         const std::string& request_id = "");

// Runs tests/tools/check_ics.py (python3-icalendar) on `ics`: the exit status (0 = parsed, checks
// held) and its output in *out.
int CheckIcs(const std::string& ics, const std::vector<std::string>& checks, std::string* out);

class SchedulingServiceTest : public stellenwerk::testing::ServiceTest {
 protected:
  static void SetUpTestSuite() {
    if (stellenwerk::testing::Harness* h = NewHarness(kSchedulingStart)) {
      scheduling_ = &StartScheduling(*h);
      stub_ = scheduling_->Stub<v1::SchedulingService>();
    }
  }
  static void TearDownTestSuite() {
    stub_.reset();
    scheduling_ = nullptr;
    ServiceTest::TearDownTestSuite();
  }
  void SetUp() override;

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return stellenwerk::testing::CallContext(token);
  }
  std::string Hr() const { return harness().Token(tenant_, {"hr_clerk"}, "hr-1"); }
  // An applicant signs in at the portal: the token names no employer (tenant "portal").
  std::string ApplicantToken(const std::string& sub) const {
    return harness().Token("portal", {"applicant"}, sub);
  }

  // Publishes the events onto the broker and waits until scheduling consumed them.
  static void Deliver(const std::vector<google::protobuf::Message*>& events,
                      const std::string& tenant);
  // A posting of tenant_ in `status` (deadline kDeadline) that scheduling knows of.
  std::string Posting(const std::string& status = "CLOSED");
  // A new application of `applicant_sub` to the posting, moved to `status` (applications'
  // status_changed event); returns its id.
  std::string Application(const std::string& posting_id, const std::string& applicant_sub,
                          const std::string& status = "INVITED");
  // Moves a known application to `status`.
  void ChangeStatus(const std::string& application_id, const std::string& posting_id,
                    const std::string& applicant_sub, const std::string& status);
  // CreateSelectionDay as HR; fails the test on an error.
  v1::SelectionDay Day(const v1::CreateSelectionDayRequest& r);
  std::vector<v1::Slot> Slots(const std::string& day_id, const std::string& token = "");
  grpc::Status Book(const std::string& token, const std::string& slot_id,
                    const std::string& application_id, v1::Booking* out,
                    const std::string& request_id = "");

  static inline SchedulingUnderTest* scheduling_ = nullptr;
  static inline std::unique_ptr<v1::SchedulingService::Stub> stub_;
  std::string tenant_;
};

}  // namespace stellenwerk::scheduling
