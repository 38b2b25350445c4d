// End to end through gRPC against an in-process postings service on the real PostgreSQL,
// RabbitMQ and Redis of scripts/test.
#include <cstdio>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/catalogue.h"
#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/postings/tests/postings_testing.h"
#include "stellenwerk/events/v1/postings.pb.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::postings {
namespace {

using testing::TestInfra;
using testing::UniqueName;

const absl::Time kStart = kPostingsSuiteStart;

class PostingsE2eTest : public PostingsServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tenant_ = UniqueName("stadt");
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }
  std::string Hr(const std::string& tenant = "") {
    return harness().Token(tenant.empty() ? tenant_ : tenant, {"hr_clerk"}, "hr-1");
  }

  grpc::Status Create(const v1::Posting& p, v1::Posting* out, const std::string& token = "",
                      const std::string& request_id = "") {
    v1::CreatePostingRequest req;
    *req.mutable_posting() = p;
    req.set_request_id(request_id);
    return stub_->CreatePosting(Ctx(token.empty() ? Hr() : token).get(), req, out);
  }
  grpc::Status Publish(const std::string& id, v1::Posting* out, const std::string& token = "") {
    v1::PublishPostingRequest req;
    req.set_id(id);
    return stub_->PublishPosting(Ctx(token.empty() ? Hr() : token).get(), req, out);
  }
  grpc::Status Get(const std::string& id, v1::Posting* out, const std::string& token = "") {
    v1::GetPostingRequest req;
    req.set_id(id);
    return stub_->GetPosting(Ctx(token).get(), req, out);
  }
  v1::Posting Published() { return PublishedPosting(*stub_, Hr()); }

  static std::vector<amqp::Delivery> About(const std::vector<amqp::Delivery>& all,
                                           const std::string& posting_id) {
    std::vector<amqp::Delivery> out;
    for (const auto& d : all) {
      events::v1::PostingPublished e;  // every posting event has meta=1, posting=2
      if (e.ParseFromString(d.message.body) && e.posting().posting_id() == posting_id) {
        out.push_back(d);
      }
    }
    return out;
  }

  std::string tenant_;
};

TEST_F(PostingsE2eTest, CreatePublishReadBackAndThePublishedEventArrivesExactlyOnce) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::PostingPublished>()});
  v1::Posting created;
  ASSERT_TRUE(Create(HernePosting(), &created).ok());
  EXPECT_EQ(created.status(), v1::DRAFT);
  EXPECT_EQ(created.kennziffer(), "24/0001");
  EXPECT_EQ(created.tenant_id(), tenant_);
  EXPECT_EQ(created.etag(), "1");

  v1::Posting published;
  ASSERT_TRUE(Publish(created.id(), &published).ok());
  EXPECT_EQ(published.status(), v1::PUBLISHED);
  EXPECT_EQ(published.etag(), "2");
  EXPECT_TRUE(published.has_publish_time());
  // 2024-10-20 24:00 CEST = 2024-10-20T22:00:00Z
  EXPECT_EQ(published.deadline_time().seconds(),
            absl::ToUnixSeconds(
                absl::FromCivil(absl::CivilSecond(2024, 10, 20, 22, 0, 0), absl::UTCTimeZone())));

  v1::Posting read;
  ASSERT_TRUE(Get(created.id(), &read, /*anonymous*/ "").ok());
  EXPECT_EQ(read.SerializeAsString(), published.SerializeAsString());

  // Everything the service committed is at the broker once its outbox is empty: count it.
  ASSERT_TRUE(postings_->WaitForOutbox());
  auto events = About(tap.TakeQueued(), created.id());
  ASSERT_EQ(events.size(), 1u);
  events::v1::PostingPublished e;
  ASSERT_TRUE(e.ParseFromString(events[0].message.body));
  EXPECT_EQ(e.meta().event_id(), events[0].message.message_id);
  EXPECT_EQ(e.meta().tenant_id(), tenant_);
  EXPECT_EQ(e.posting().kennziffer(), "24/0001");
  EXPECT_EQ(e.posting().status(), "PUBLISHED");
  EXPECT_EQ(e.posting().employer_name(), "Stadt Herne");
  ASSERT_EQ(e.posting().pay_size(), published.pay_size());
  EXPECT_EQ(e.posting().pay(0).scheme(), v1::PayScheme_Name(published.pay(0).scheme()));
  EXPECT_EQ(e.posting().pay(0).max_cents(), published.pay(0).max_cents());
  EXPECT_TRUE(e.posting().has_publish_time());
  EXPECT_EQ(std::to_string(e.posting().version()), published.etag())
      << "consumers keep only newer versions: the event carries the version it wrote";
  EXPECT_EQ(events[0].message.tenant_id, tenant_);
}

TEST_F(PostingsE2eTest, UpdateMasksNeverReachServerFieldsAndEventsCarryTheWrittenVersion) {
  const v1::Posting published = Published();
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::PostingUpdated>()});
  v1::UpdatePostingRequest update;
  *update.mutable_posting() = published;
  v1::Posting out;
  for (const char* path : {"status", "tenant_id", "id", "kennziffer", "etag", "publish_time",
                           "employment.no_such_field", "nope"}) {
    update.mutable_update_mask()->clear_paths();
    update.mutable_update_mask()->add_paths(path);
    update.mutable_posting()->clear_status();
    update.mutable_posting()->clear_tenant_id();
    EXPECT_EQ(stub_->UpdatePosting(Ctx(Hr()).get(), update, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << path;
  }
  v1::Posting read;
  ASSERT_TRUE(Get(published.id(), &read).ok());
  EXPECT_EQ(read.SerializeAsString(), published.SerializeAsString()) << "nothing changed";

  // After publishing the requirements profile stays as advertised (Art. 33 (2) GG).
  *update.mutable_posting() = published;
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("requirements");
  update.mutable_posting()->add_requirements("Führerschein Klasse B");
  EXPECT_EQ(stub_->UpdatePosting(Ctx(Hr()).get(), update, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // A nested path sets just that field, false included; its siblings stay (on a draft, where
  // employment may still change).
  v1::Posting draft;
  ASSERT_TRUE(Create(HernePosting(), &draft).ok());
  *update.mutable_posting() = draft;
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("employment.job_sharing_possible");
  update.mutable_posting()->mutable_employment()->set_job_sharing_possible(
      !draft.employment().job_sharing_possible());
  update.mutable_posting()->mutable_employment()->set_weekly_hours(1);  // not in the mask
  grpc::Status s = stub_->UpdatePosting(Ctx(Hr()).get(), update, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.employment().job_sharing_possible(), !draft.employment().job_sharing_possible());
  EXPECT_EQ(out.employment().weekly_hours(), draft.employment().weekly_hours());
  EXPECT_EQ(out.status(), v1::DRAFT);

  // A published posting's description changes; the event carries the version written.
  *update.mutable_posting() = published;
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("description");
  update.mutable_posting()->set_description("Neue Beschreibung der Aufgaben.");
  s = stub_->UpdatePosting(Ctx(Hr()).get(), update, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.status(), v1::PUBLISHED);
  EXPECT_EQ(out.etag(), "3");

  auto events = About(tap.Collect(1, absl::Seconds(10)), published.id());
  ASSERT_EQ(events.size(), 1u);
  events::v1::PostingUpdated e;
  ASSERT_TRUE(e.ParseFromString(events[0].message.body));
  EXPECT_EQ(e.posting().version(), 3);
}

TEST_F(PostingsE2eTest, KennzifferIsUniqueUnderFiftyConcurrentCreates) {
  std::vector<std::string> kennziffern(50);
  std::vector<grpc::Status> results(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      v1::Posting out;
      results[i] = Create(HernePosting(), &out);
      kennziffern[i] = out.kennziffer();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error_message();
    distinct.insert(kennziffern[i]);
  }
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_EQ(*distinct.begin(), "24/0001");
  EXPECT_EQ(*distinct.rbegin(), "24/0050");
}

TEST_F(PostingsE2eTest, CallersGetTheContractsStatusCodes) {
  v1::Posting draft, out;
  ASSERT_TRUE(Create(HernePosting(), &draft).ok());
  v1::CreatePostingRequest req;
  *req.mutable_posting() = HernePosting();
  // No token.
  EXPECT_EQ(stub_->CreatePosting(Ctx("").get(), req, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Forged token.
  EXPECT_EQ(stub_->CreatePosting(Ctx(Hr() + "x").get(), req, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Wrong role.
  EXPECT_EQ(Create(HernePosting(), &out, harness().Token(tenant_, {"applicant"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Another tenant's draft: not even its existence is revealed.
  const std::string other = Hr(UniqueName("kreis"));
  EXPECT_EQ(Get(draft.id(), &out, other).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(draft.id(), &out, "").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Publish(draft.id(), &out, other).error_code(), grpc::StatusCode::NOT_FOUND);
  // The owner sees it.
  EXPECT_TRUE(Get(draft.id(), &out, Hr()).ok());
}

TEST_F(PostingsE2eTest, BadInputIsRefusedWithDetailsAndChangesNothing) {
  v1::Posting bad = HernePosting();
  bad.mutable_pay(0)->set_min_cents(900'000);
  v1::Posting out;
  grpc::Status s = Create(bad, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  google::rpc::BadRequest br;
  ASSERT_TRUE(rich.details(0).UnpackTo(&br));
  EXPECT_EQ(br.field_violations(0).field(), "posting.pay[0].min_cents");

  // Nothing was written: the next posting still gets the first number.
  ASSERT_TRUE(Create(HernePosting(), &out).ok());
  EXPECT_EQ(out.kennziffer(), "24/0001");

  v1::Posting published;
  ASSERT_TRUE(Publish(out.id(), &published).ok());
  EXPECT_EQ(Publish(out.id(), &published).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Stale etag.
  v1::UpdatePostingRequest update;
  *update.mutable_posting() = published;
  update.mutable_posting()->set_etag("1");
  update.mutable_posting()->set_description("neu");
  EXPECT_EQ(stub_->UpdatePosting(Ctx(Hr()).get(), update, &out).error_code(),
            grpc::StatusCode::ABORTED);
  ASSERT_TRUE(Get(published.id(), &out).ok());
  EXPECT_EQ(out.SerializeAsString(), published.SerializeAsString())
      << "a stale etag changes nothing";

  // A publish without title, contacts: says what is missing.
  v1::Posting empty;
  empty.set_title("Nur ein Titel");
  v1::Posting draft;
  ASSERT_TRUE(Create(empty, &draft).ok());
  s = Publish(draft.id(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("contacts"), std::string::npos) << s.error_message();

  // Malformed ids.
  EXPECT_EQ(Get("../../etc/passwd", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetPostingByKennzifferRequest by_kz;
  by_kz.set_tenant_id(tenant_);
  by_kz.set_kennziffer("24/0001' OR 1=1");
  EXPECT_EQ(stub_->GetPostingByKennziffer(Ctx("").get(), by_kz, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PostingsE2eTest, RequestIdReplaysTheFirstAnswerAndRefusesADifferentBody) {
  v1::Posting first, again, other;
  ASSERT_TRUE(Create(HernePosting(), &first, "", "req-1").ok());
  ASSERT_TRUE(Create(HernePosting(), &again, "", "req-1").ok());
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(first.kennziffer(), again.kennziffer());
  v1::Posting changed = HernePosting();
  changed.set_title("Etwas anderes");
  EXPECT_EQ(Create(changed, &other, "", "req-1").error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(Create(HernePosting(), &other).ok());
  EXPECT_EQ(other.kennziffer(), "24/0002");  // the replay consumed no number
}

TEST_F(PostingsE2eTest, HotReadsSeeChangesAndSurviveRedisGoingAway) {
  const v1::Posting p = Published();
  v1::Posting read;
  ASSERT_TRUE(Get(p.id(), &read).ok());  // fills the cache
  ASSERT_TRUE(Get(p.id(), &read).ok());  // served hot

  v1::UpdatePostingRequest update;
  *update.mutable_posting() = read;
  update.mutable_posting()->set_description("Aktualisierte Beschreibung");
  update.mutable_update_mask()->add_paths("description");
  v1::Posting updated;
  ASSERT_TRUE(stub_->UpdatePosting(Ctx(Hr()).get(), update, &updated).ok());
  ASSERT_TRUE(Get(p.id(), &read).ok());
  EXPECT_EQ(read.description(), "Aktualisierte Beschreibung");  // invalidated, not stale
  EXPECT_EQ(read.etag(), updated.etag());

  if (infra().infra_script.empty()) {
    STW_SKIP("cannot stop Redis here");
  }
  ASSERT_EQ(infra().Run("stop-redis"), 0);
  for (int i = 0; i < 5; ++i) {
    grpc::Status s = Get(p.id(), &read);
    EXPECT_TRUE(s.ok()) << "read failed with Redis down: " << s.error_message();
  }
  ASSERT_EQ(infra().Run("start-redis"), 0);
}

TEST_F(PostingsE2eTest, TheDeadlineClosesThePostingByItselfExactlyOnce) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::PostingClosed>()});
  const v1::Posting p = Published();
  // 2024-10-20 is the deadline: at 23:59 it is still open, even after every due timer fired ...
  ASSERT_TRUE(postings_
                  ->SetTime(calendar::StartOfDay(absl::CivilDay(2024, 10, 20)) + absl::Hours(23) +
                            absl::Minutes(59))
                  .ok());
  ASSERT_TRUE(postings_->RunTimers().ok());
  v1::Posting read;
  ASSERT_TRUE(Get(p.id(), &read, Hr()).ok());
  EXPECT_EQ(read.status(), v1::PUBLISHED);
  // ... and at 24:00 Europe/Berlin it closes.
  ASSERT_TRUE(postings_->SetTime(calendar::StartOfDay(absl::CivilDay(2024, 10, 21))).ok());
  ASSERT_TRUE(postings_->RunTimers().ok());
  ASSERT_TRUE(
      testing::WaitFor([&] { return Get(p.id(), &read, Hr()).ok() && read.status() == v1::CLOSED; },
                       absl::Seconds(10)));
  ASSERT_TRUE(postings_->WaitForOutbox());
  EXPECT_EQ(About(tap.TakeQueued(), p.id()).size(), 1u);
}

TEST(PostingsBinaryTest, BadConfigurationExitsWithStatusTwoAndOneClearLine) {
  const char* build = std::getenv("STELLENWERK_BUILD_DIR");
  if (build == nullptr) {
    STW_SKIP("needs STELLENWERK_BUILD_DIR");
  }
  const std::string cmd = absl::StrCat(
      "env -i STELLENWERK_PG_URI=postgresql://x@127.0.0.1:1/x STELLENWERK_AMQP_URI=amqp://x",
      " STELLENWERK_JWT_HS256_SECRET=0123456789abcdef0123456789abcdef",
      " STELLENWERK_GRPC_PORT=not-a-port ", build,
      "/services/postings/stellenwerk-postings 2>&1; echo \"exit=$?\"");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  pclose(pipe);
  EXPECT_EQ(output,
            "postings: configuration error: STELLENWERK_GRPC_PORT=\"not-a-port\" is not an "
            "integer in [0, 65535]\nexit=2\n");
}

}  // namespace
}  // namespace stellenwerk::postings

namespace stellenwerk::postings {
namespace {

TEST_F(PostingsE2eTest, OnlyAnAdminMayTakeOverALegacyKennzifferAndItIsNeverReused) {
  v1::Posting p = HernePosting();
  p.set_kennziffer("24/0296");
  v1::Posting out;
  // A clerk cannot choose (or forge) a Kennziffer.
  EXPECT_EQ(Create(p, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::string admin = harness().Token(tenant_, {"admin"});
  ASSERT_TRUE(Create(p, &out, admin).ok());
  EXPECT_EQ(out.kennziffer(), "24/0296");
  EXPECT_EQ(Create(p, &out, admin).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  p.set_kennziffer("24/02x6");
  EXPECT_EQ(Create(p, &out, admin).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The next regular posting of 2024 continues after the imported number.
  ASSERT_TRUE(Create(HernePosting(), &out).ok());
  EXPECT_EQ(out.kennziffer(), "24/0297");
}

}  // namespace
}  // namespace stellenwerk::postings

namespace stellenwerk::postings {
namespace {

// The service was down when the deadline passed; two replicas come back at once: the posting
// closes, and posting.closed is published exactly once.
TEST(PostingsRestartTest, ADeadlinePassedWhileDownClosesOnceWithTwoReplicas) {
  auto infra = TestInfra::FromEnv();
  if (!infra) {
    STW_SKIP("needs scripts/test infrastructure");
  }
  testing::Harness harness(*infra, {.start = kStart});
  testing::EventTap tap(*infra, {events::RoutingKey<events::v1::PostingClosed>()});
  const std::string schema = UniqueName("postings_restart");
  const std::string tenant = UniqueName("stadt");
  const auth::Principal hr{"hr-1", tenant, {"hr_clerk"}};
  std::string id;
  {
    auto& before = StartPostings(harness, {.schema = schema, .defer_start = true});
    ASSERT_TRUE(harness.ok());
    v1::CreatePostingRequest create;
    *create.mutable_posting() = HernePosting();
    auto created = before.app().service().Create(hr, "corr", create);
    ASSERT_TRUE(created.ok()) << created.status();
    v1::PublishPostingRequest publish;
    publish.set_id(created->id());
    ASSERT_TRUE(before.app().service().Publish(hr, "corr", publish).ok());
    id = created->id();
    ASSERT_TRUE(before.Start().ok());
    harness.Stop(before);  // down before 2024-10-20 24:00
  }
  // Both come back after the deadline, at once.
  const absl::Time back = calendar::StartOfDay(absl::CivilDay(2024, 10, 22)) + absl::Hours(8);
  auto& a = StartPostings(harness, {.schema = schema, .start = back, .defer_start = true});
  auto& b = StartPostings(harness, {.schema = schema, .start = back, .defer_start = true});
  ASSERT_TRUE(harness.ok());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto p = a.app().service().Get(hr, id);
        return p.ok() && p->status() == v1::CLOSED;
      },
      absl::Seconds(10)));
  // The replicas share the schema, so one outbox: empty means every posting.closed is queued.
  ASSERT_TRUE(a.WaitForOutbox());
  int about = 0;
  for (const auto& d : tap.TakeQueued()) {
    events::v1::PostingClosed e;
    if (e.ParseFromString(d.message.body) && e.posting().posting_id() == id) {
      ++about;
      EXPECT_TRUE(e.by_deadline());
    }
  }
  EXPECT_EQ(about, 1);
}

}  // namespace
}  // namespace stellenwerk::postings

namespace stellenwerk::postings {
namespace {

TEST_F(PostingsE2eTest, ListPagesAreStableNewestFirstAndOnlyForTheOwnTenant) {
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(postings_->Advance(absl::Seconds(1)).ok());  // distinct creation times
    v1::Posting out;
    ASSERT_TRUE(Create(HernePosting(), &out).ok());
    created.push_back(out.id());
  }
  v1::ListPostingsRequest r;
  r.set_page_size(2);
  std::vector<std::string> listed;
  int pages = 0;
  for (;;) {
    v1::ListPostingsResponse page;
    grpc::Status s = stub_->ListPostings(Ctx(Hr()).get(), r, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& p : page.postings()) listed.push_back(p.id());
    ++pages;
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 3);
  std::reverse(created.begin(), created.end());  // newest first
  EXPECT_EQ(listed, created);

  v1::ListPostingsResponse out;
  r.set_page_token("not-a-token");
  EXPECT_EQ(stub_->ListPostings(Ctx(Hr()).get(), r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.Clear();
  r.set_tenant_id(UniqueName("kreis"));
  EXPECT_EQ(stub_->ListPostings(Ctx(Hr()).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  r.Clear();
  EXPECT_EQ(stub_->ListPostings(Ctx("").get(), r, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace stellenwerk::postings
