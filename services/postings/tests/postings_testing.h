#pragma once
// The postings service for the test harness (common/testing/harness.h), and builders of the
// postings tests need again and again.

#include <string>

#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "services/postings/app.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::postings {

inline const stellenwerk::testing::ServiceDef kPostingsService{
    .name = "postings", .binary = "services/postings/stellenwerk-postings", .consumes = false};

using PostingsUnderTest = stellenwerk::testing::InProcess<PostingsApp>;

// PostingsApp in process, on a schema of its own (or options.schema, for a replica).
PostingsUnderTest& StartPostings(stellenwerk::testing::Harness& harness,
                                 stellenwerk::testing::ServiceOptions options = {});
// The stellenwerk-postings binary.
stellenwerk::testing::ChildService& StartPostingsProcess(
    stellenwerk::testing::Harness& harness, stellenwerk::testing::ProcessOptions options = {});

struct PostingOptions {
  bool anonymised = false;
  bool women_preferred = false;
  std::string coordination_district;  // non-empty: an SGB II post coordinated with it
};

// A draft with everything publishing needs (CheckPublishable): title, pay grade and amount,
// location, a deadline (2024-10-20), a contact, the kind, and the district when coordinated.
// Stadt Herne's clerk in the citizens' services.
v1::Posting HernePosting(const PostingOptions& options = {});

// A publishable draft with no text but its title (search tests count what matches), due
// 2030-06-30.
v1::Posting PlainPosting(const std::string& title, v1::PayScheme scheme, const std::string& grade,
                         const std::string& location);

// Creates `draft` as the holder of `token`; fails the test if that does not work.
v1::Posting CreatedPosting(v1::PostingService::Stub& stub, const std::string& token,
                           const v1::Posting& draft = HernePosting());
// Creates and publishes `draft`; fails the test if either step does not work.
v1::Posting PublishedPosting(v1::PostingService::Stub& stub, const std::string& token,
                             const v1::Posting& draft = HernePosting());

// When the postings suites start: far from every deadline their postings carry.
inline const absl::Time kPostingsSuiteStart =
    calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10);

// The base of a suite that runs one postings service in process for all its tests (started
// at kPostingsSuiteStart; the clocks are reset in every SetUp by ServiceTest).
class PostingsServiceTest : public stellenwerk::testing::ServiceTest {
 protected:
  static void SetUpTestSuite() {
    if (stellenwerk::testing::Harness* h = NewHarness(kPostingsSuiteStart)) {
      postings_ = &StartPostings(*h);
      stub_ = postings_->Stub<v1::PostingService>();
    }
  }
  static void TearDownTestSuite() {
    stub_.reset();
    postings_ = nullptr;
    ServiceTest::TearDownTestSuite();
  }

  static inline PostingsUnderTest* postings_ = nullptr;
  static inline std::unique_ptr<v1::PostingService::Stub> stub_;
};

}  // namespace stellenwerk::postings
