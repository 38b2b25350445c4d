// Search and JSON-LD export end to end (German full text on the real PostgreSQL).
#include <set>

#include "absl/strings/str_cat.h"
#include "common/cache/redis_cache.h"
#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/postings/domain/german_text.h"
#include "services/postings/domain/posting_rules.h"
#include "services/postings/tests/postings_testing.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::postings {
namespace {

using testing::UniqueName;

// Search counts what matches, so these postings carry no text but their title.
v1::Posting Make(const std::string& title, v1::PayScheme scheme, const std::string& grade,
                 const std::string& location) {
  return PlainPosting(title, scheme, grade, location);
}

// Far from every deadline (2030) the postings carry.
const absl::Time kStart = kPostingsSuiteStart;

class PostingsSearchE2eTest : public PostingsServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tenant_ = UniqueName("stadt");
    token_ = harness().Token(tenant_, {"hr_clerk"});
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") {
    return testing::CallContext(token);
  }
  v1::Posting Post(const v1::Posting& p, bool publish = true) {
    return publish ? PublishedPosting(*stub_, token_, p) : CreatedPosting(*stub_, token_, p);
  }
  std::vector<std::string> Titles(v1::SearchPostingsRequest r) {
    r.set_tenant_id(tenant_);
    v1::SearchPostingsResponse response;
    grpc::Status s = stub_->SearchPostings(Ctx().get(), r, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> titles;
    for (const auto& h : response.hits()) titles.push_back(h.posting().title());
    return titles;
  }
  std::vector<std::string> Query(const std::string& q) {
    v1::SearchPostingsRequest r;
    r.set_query(q);
    return Titles(r);
  }

  std::string tenant_;
  std::string token_;
};

TEST_F(PostingsSearchE2eTest, GenderFormsUmlautsAndSharpSFindEachOther) {
  Post(Make("Sachbearbeiter*in (w/m/d) Bürgerdienste", v1::TVOED, "EG 6", "Herne"));
  Post(Make("Referentin für Grundsatzfragen", v1::LBESG_NRW, "A 13", "Düsseldorf"));
  Post(Make("Fahrer:in Straßenbau", v1::PKW_FAHRER_TV_L, "PG 3", "Köln"));
  using ::testing::ElementsAre;
  EXPECT_THAT(Query("Sachbearbeiterin"), ElementsAre("Sachbearbeiter*in (w/m/d) Bürgerdienste"));
  EXPECT_THAT(Query("SachbearbeiterIn"), ElementsAre("Sachbearbeiter*in (w/m/d) Bürgerdienste"));
  EXPECT_THAT(Query("Sachbearbeiter"), ElementsAre("Sachbearbeiter*in (w/m/d) Bürgerdienste"));
  EXPECT_EQ(Query("buergerdienste").size(), 0u);  // no transliteration guessing
  EXPECT_THAT(Query("Bürgerdienst"), ElementsAre("Sachbearbeiter*in (w/m/d) Bürgerdienste"));
  EXPECT_THAT(Query("Referent*in"), ElementsAre("Referentin für Grundsatzfragen"));
  EXPECT_THAT(Query("Strassenbau"), ElementsAre("Fahrer:in Straßenbau"));
  EXPECT_THAT(Query("Fahrerin"), ElementsAre("Fahrer:in Straßenbau"));
  EXPECT_EQ(Query("").size(), 3u);
}

TEST_F(PostingsSearchE2eTest, FiltersAndRankingAndPublicVisibility) {
  Post(Make("Sachbearbeiter*in Bürgerdienste", v1::TVOED, "EG 6", "Herne"));
  Post(Make("Sachbearbeiter*in Personal", v1::TVOED, "EG 9b", "Herne"));
  Post(Make("Teamassistenz Sachbearbeitung", v1::TV_L, "EG 5", "Düsseldorf"));
  Post(Make("Sachbearbeiter*in Entwurf", v1::TVOED, "EG 6", "Herne"), /*publish=*/false);

  v1::SearchPostingsRequest r;
  r.set_pay_scheme(v1::TVOED);
  r.set_grade_min("EG 7");
  r.set_grade_max("EG 10");
  EXPECT_THAT(Titles(r), ::testing::ElementsAre("Sachbearbeiter*in Personal"));
  r.Clear();
  r.set_location("düsseldorf");
  EXPECT_THAT(Titles(r), ::testing::ElementsAre("Teamassistenz Sachbearbeitung"));
  // The draft never shows ("Sachbearbeitung" shares the stem); a title match outranks a
  // mention in the description.
  v1::Posting body_only = Make("Verwaltungskraft Bürgeramt", v1::TVOED, "EG 5", "Herne");
  body_only.set_description("Unterstützung der Sachbearbeiter*innen im Bürgeramt.");
  Post(body_only);
  r.Clear();
  r.set_query("Sachbearbeiter");
  auto titles = Titles(r);
  EXPECT_EQ(titles.size(), 4u);
  EXPECT_EQ(std::count(titles.begin(), titles.end(), "Sachbearbeiter*in Entwurf"), 0);
  EXPECT_EQ(titles.back(), "Verwaltungskraft Bürgeramt");
}

// A closed posting is history, not an offer: public search leaves it out unless the caller
// asks for closed ones too — from the in-memory replica and from the database alike.
TEST_F(PostingsSearchE2eTest, PublicSearchShowsOpenPostingsUnlessClosedOnesAreAskedFor) {
  Post(Make("Gärtner*in Stadtpark", v1::TVOED, "EG 5", "Herne"));
  const v1::Posting closed = Post(Make("Gärtner*in Friedhof", v1::TVOED, "EG 5", "Herne"));
  v1::ClosePostingRequest close;
  close.set_id(closed.id());
  v1::Posting out;
  ASSERT_TRUE(stub_->ClosePosting(Ctx(token_).get(), close, &out).ok());
  using ::testing::ElementsAre;
  using ::testing::UnorderedElementsAre;
  v1::SearchPostingsRequest r;
  r.set_query("Gärtner");
  EXPECT_THAT(Titles(r), ElementsAre("Gärtner*in Stadtpark")) << "by default";
  r.set_query("");  // browsing: no query text, another statement
  EXPECT_THAT(Titles(r), ElementsAre("Gärtner*in Stadtpark")) << "browsing";
  r.set_include_closed(true);
  EXPECT_THAT(Titles(r), UnorderedElementsAre("Gärtner*in Stadtpark", "Gärtner*in Friedhof"));
  r.set_query("Gärtner");
  EXPECT_THAT(Titles(r), UnorderedElementsAre("Gärtner*in Stadtpark", "Gärtner*in Friedhof"));
  r.set_include_closed(false);
  r.set_open_only(true);
  EXPECT_THAT(Titles(r), ElementsAre("Gärtner*in Stadtpark")) << "open_only says the same";
  // Both at once contradict each other.
  r.set_include_closed(true);
  v1::SearchPostingsResponse response;
  grpc::Status s = stub_->SearchPostings(Ctx().get(), r, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("include_closed"), std::string::npos) << s.error_message();
  // Closed postings stay readable one by one (an applicant's link to the posting they applied
  // to), only the search of offers leaves them out.
  v1::GetPostingRequest get;
  get.set_id(closed.id());
  EXPECT_TRUE(stub_->GetPosting(Ctx().get(), get, &out).ok());
}

TEST_F(PostingsSearchE2eTest, PagesAreStableAndBadRequestsAreRefused) {
  for (int i = 0; i < 5; ++i) {
    Post(Make(absl::StrCat("Verwaltungsfachangestellte*r ", i), v1::TVOED, "EG 5", "Herne"));
  }
  v1::SearchPostingsRequest r;
  r.set_tenant_id(tenant_);
  r.set_page_size(2);
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    v1::SearchPostingsResponse page;
    ASSERT_TRUE(stub_->SearchPostings(Ctx().get(), r, &page).ok());
    EXPECT_EQ(page.total_size(), 5);
    for (const auto& h : page.hits()) seen.insert(h.posting().id());
    ++pages;
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 3);

  v1::SearchPostingsResponse out;
  v1::SearchPostingsRequest bad;
  bad.set_grade_min("EG 7");  // a range without a scheme
  EXPECT_EQ(stub_->SearchPostings(Ctx().get(), bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.Clear();
  bad.set_page_token("garbage");
  EXPECT_EQ(stub_->SearchPostings(Ctx().get(), bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.Clear();
  bad.set_query(std::string(201, 'x'));
  EXPECT_EQ(stub_->SearchPostings(Ctx().get(), bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.Clear();
  bad.set_query("' OR 1=1; --");  // just text to the parser
  EXPECT_TRUE(stub_->SearchPostings(Ctx().get(), bad, &out).ok());
}

// One plain word without filters is answered from the term index; with a filter by the
// general full-text statement. Both must give the same hits in the same order, the same
// total and the same pages, and both must leave out drafts, withdrawn and (unless
// include_closed) closed postings.
TEST_F(PostingsSearchE2eTest, TheOneWordPathAgreesWithTheFullTextPath) {
  // A word no other test uses, so the unfiltered (term) search sees only this test's postings.
  std::string word = "zettel";
  for (char c : testing::UniqueName("w").substr(2)) word += static_cast<char>('a' + (c & 0x0f));
  auto make = [&](const std::string& title, const std::string& deadline, bool in_title) {
    v1::Posting p =
        Make(in_title ? absl::StrCat(title, " ", word) : title, v1::TVOED, "EG 6", "Herne");
    if (!in_title) p.set_description(absl::StrCat("Aufgaben rund um ", word, "."));
    p.set_application_deadline(deadline);
    return p;
  };
  Post(make("Sachbearbeiter*in B", "2030-06-30", true));
  Post(make("Sachbearbeiter*in A", "2030-03-31", true));
  Post(make("Hausmeister*in", "2030-01-31", false));  // earliest deadline, but only in the text
  Post(make("Referent*in", "2030-05-31", true));
  Post(make("Entwurf", "2030-01-31", true), /*publish=*/false);
  const v1::Posting closed = Post(make("Geschlossen", "2030-02-28", true));
  const v1::Posting withdrawn = Post(make("Zurückgezogen", "2030-02-28", true));
  v1::ClosePostingRequest close;
  close.set_id(closed.id());
  v1::Posting out;
  ASSERT_TRUE(stub_->ClosePosting(Ctx(token_).get(), close, &out).ok());
  v1::WithdrawPostingRequest withdraw;
  withdraw.set_id(withdrawn.id());
  withdraw.set_reason("Stelle entfällt");
  ASSERT_TRUE(stub_->WithdrawPosting(Ctx(token_).get(), withdraw, &out).ok());

  for (bool open_only : {false, true}) {
    std::vector<std::string> by_path[2];
    for (int filtered = 0; filtered < 2; ++filtered) {
      v1::SearchPostingsRequest r;
      r.set_query(word);
      r.set_include_closed(!open_only);
      r.set_page_size(2);
      if (filtered == 1) r.set_tenant_id(tenant_);
      for (int pages = 0; pages < 10; ++pages) {
        v1::SearchPostingsResponse page;
        grpc::Status s = stub_->SearchPostings(Ctx().get(), r, &page);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(page.total_size(), open_only ? 4 : 5);
        for (const auto& h : page.hits()) {
          by_path[filtered].push_back(absl::StrCat(h.posting().title(), "|", h.rank()));
        }
        if (page.next_page_token().empty()) break;
        r.set_page_token(page.next_page_token());
      }
    }
    std::vector<std::string> expected = {
        absl::StrCat("Sachbearbeiter*in A ", word, "|1"), absl::StrCat("Referent*in ", word, "|1"),
        absl::StrCat("Sachbearbeiter*in B ", word, "|1"), "Hausmeister*in|0.5"};
    if (!open_only) expected.insert(expected.begin(), absl::StrCat("Geschlossen ", word, "|1"));
    EXPECT_EQ(by_path[0], expected) << "term index, open_only=" << open_only;
    EXPECT_EQ(by_path[1], expected) << "full text, open_only=" << open_only;
  }
}

TEST_F(PostingsSearchE2eTest, CachedPagesSeeAWithdrawalAtOnce) {
  const v1::Posting p = Post(Make("Hausmeister*in Schulzentrum", v1::TVOED, "EG 4", "Herne"));
  auto* redis = dynamic_cast<cache::RedisCache*>(&postings_->app().runtime().cache());
  ASSERT_NE(redis, nullptr) << "the test stack runs the service with Redis";
  EXPECT_EQ(Query("Hausmeister").size(), 1u);
  const uint64_t hits = redis->stats().hits;
  EXPECT_EQ(Query("Hausmeister").size(), 1u);
  if (postings_->app().search_replica() == nullptr) {
    // Without the replica (the suite's second run) the page came from Redis, not Postgres.
    EXPECT_EQ(redis->stats().hits, hits + 1) << "the repeated search was not served by Redis";
  }
  v1::WithdrawPostingRequest w;
  w.set_id(p.id());
  w.set_reason("Stelle entfällt");
  v1::Posting withdrawn;
  ASSERT_TRUE(stub_->WithdrawPosting(Ctx(token_).get(), w, &withdrawn).ok());
  EXPECT_EQ(Query("Hausmeister").size(), 0u);
}

TEST_F(PostingsSearchE2eTest, ExportsJsonLdForPublishedPostingsOnly) {
  const v1::Posting p =
      Post(Make("Sachbearbeiter*in (w/m/d) Bürgerdienste", v1::TVOED, "EG 6", "Herne"));
  v1::ExportJobPostingRequest r;
  r.set_id(p.id());
  v1::ExportJobPostingResponse out;
  ASSERT_TRUE(stub_->ExportJobPosting(Ctx().get(), r, &out).ok());
  const auto doc = nlohmann::json::parse(out.json_ld());
  EXPECT_EQ(doc["@type"], "JobPosting");
  EXPECT_EQ(doc["identifier"]["value"], p.kennziffer());
  EXPECT_EQ(doc["validThrough"], "2030-06-30T23:59:59+02:00");

  const v1::Posting draft = Post(Make("Entwurf", v1::TVOED, "EG 6", "Herne"), false);
  r.set_id(draft.id());
  EXPECT_EQ(stub_->ExportJobPosting(Ctx().get(), r, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->ExportJobPosting(Ctx(token_).get(), r, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// The in-memory replica (docs/decisions/0013) must answer exactly as the database would:
// same hits in the same order with the same ranks and etags, same totals, same pages.
TEST_F(PostingsSearchE2eTest, TheInMemoryReplicaAnswersLikeTheDatabase) {
  SearchReplica* replica = postings_->app().search_replica();
  ASSERT_NE(replica, nullptr);
  auto with = [](v1::Posting p, auto&& adjust) {
    adjust(p);
    return p;
  };
  Post(Make("Sachbearbeiter*in Bürgerdienste", v1::TVOED, "EG 6", "Herne"));
  Post(Make("Sachbearbeiterin Bürgerbüro", v1::TVOED, "EG 8", "Herne-Wanne"));
  Post(with(Make("Straßenwärter*in", v1::TVOED, "EG 5", "Bochum"), [](v1::Posting& p) {
    p.mutable_employment()->set_part_time_possible(true);
    p.set_application_deadline("2030-01-15");
  }));
  Post(with(Make("Referent*in Haushalt", v1::LBESG_NRW, "A 13", "Düsseldorf"), [](v1::Posting& p) {
    p.set_description("Sachbearbeitung und Grundsatzfragen des Haushalts.");
    p.mutable_employment()->set_contract(v1::FIXED_TERM);
    p.mutable_employment()->set_fixed_term_months(24);
  }));
  Post(with(Make("Fahrer*in", v1::PKW_FAHRER_TV_L, "PG 3", "Düsseldorf"), [](v1::Posting& p) {
    p.set_description("Fahrdienst für die Hausspitze, Bürgerdienste nach Bedarf.");
  }));
  const v1::Posting closed = Post(Make("Sachbearbeiter*in Wahlen", v1::TVOED, "EG 9a", "Herne"));
  const v1::Posting withdrawn = Post(Make("Sachbearbeiter*in Kasse", v1::TVOED, "EG 6", "Herne"));
  Post(Make("Sachbearbeiter*in Entwurf", v1::TVOED, "EG 6", "Herne"), /*publish=*/false);
  v1::Posting out;
  v1::ClosePostingRequest close;
  close.set_id(closed.id());
  ASSERT_TRUE(stub_->ClosePosting(Ctx(token_).get(), close, &out).ok());
  v1::WithdrawPostingRequest withdraw;
  withdraw.set_id(withdrawn.id());
  withdraw.set_reason("Stelle entfällt");
  ASSERT_TRUE(stub_->WithdrawPosting(Ctx(token_).get(), withdraw, &out).ok());
  ASSERT_TRUE(replica->Refresh().ok());

  std::vector<SearchQuery> queries;
  auto add = [&](std::string text, auto&& adjust) {
    SearchQuery q;
    q.text = NormalizeGermanText(text);
    q.tenant_id = tenant_;
    q.now = postings_->runtime().clock().Now();
    adjust(q);
    queries.push_back(q);
  };
  auto none = [](SearchQuery&) {};
  add("", none);
  add("Sachbearbeiterin", none);
  add("sachbearbeiter*in bürgerdienste", none);
  add("Bürgerdienste", none);         // in one title, in another's description
  add("die Sachbearbeiterin", none);  // a stop word is dropped
  add("der die das", none);           // only stop words: nothing
  add("Strassenwärter", none);
  add("Haushalt Sachbearbeitung", none);
  add("gibtesnicht", none);
  add("Sachbearbeiterin", [](SearchQuery& q) { q.open_only = true; });
  add("Sachbearbeiterin", [](SearchQuery& q) { q.location = NormalizeGermanText("herne"); });
  add("", [](SearchQuery& q) {
    q.pay_scheme = v1::TVOED;
    q.grade_min = GradeRank(v1::TVOED, "EG 6");
  });
  add("", [](SearchQuery& q) {
    q.pay_scheme = v1::TVOED;
    q.grade_max = GradeRank(v1::TVOED, "EG 5");
  });
  add("", [](SearchQuery& q) { q.part_time = true; });
  add("", [](SearchQuery& q) { q.contract = v1::FIXED_TERM; });
  add("", [](SearchQuery& q) { q.posting_kind = v1::INTERNSHIP; });
  add("", [](SearchQuery& q) {
    q.open_only = true;
    q.now = absl::FromCivil(absl::CivilDay(2030, 2, 1), absl::UTCTimeZone());
  });
  for (int page = 0; page < 4; ++page) {
    add("", [&](SearchQuery& q) {
      q.page_size = 2;
      q.offset = 2 * page;
    });
    add("Sachbearbeiterin", [&](SearchQuery& q) {
      q.page_size = 1;
      q.offset = page;
    });
  }
  add("Bürgerdienste", [&](SearchQuery& q) { q.tenant_id = ""; });  // every tenant

  auto render = [](const SearchResult& r) {
    std::vector<std::string> out;
    for (const auto& [p, rank] : r.hits)
      out.push_back(absl::StrCat(p.title(), "|", rank, "|", p.etag()));
    out.push_back(absl::StrCat("total=", r.total, " more=", r.has_more));
    return out;
  };
  for (const SearchQuery& q : queries) {
    const std::string what = absl::StrCat("\"", q.text, "\" page ", q.offset, "/", q.page_size,
                                          " open=", q.open_only, " loc=", q.location);
    auto db = postings_->app().store().Search(q);
    ASSERT_TRUE(db.ok()) << what << ": " << db.status();
    auto memory = replica->TrySearch(q);
    ASSERT_TRUE(memory.has_value()) << what;
    EXPECT_EQ(render(*memory), render(*db)) << what;
  }
  EXPECT_GE(render(*replica->TrySearch(queries[1])).size(), 4u) << "the comparison is not empty";

  // Operators websearch_to_tsquery would read (what normalisation leaves of them) go to the
  // database; what the replica does answer must agree.
  for (const char* text : {"\"sachbearbeiter bürgerdienste\"", "sachbearbeiter or fahrer",
                           "sachbearbeiter -wahlen", "sachbearbeiter - wahlen"}) {
    SearchQuery q;
    q.text = NormalizeGermanText(text);
    q.tenant_id = tenant_;
    q.now = postings_->runtime().clock().Now();
    auto memory = replica->TrySearch(q);
    if (q.text.find(" or ") != std::string::npos) EXPECT_FALSE(memory.has_value()) << text;
    if (memory.has_value()) {
      auto db = postings_->app().store().Search(q);
      ASSERT_TRUE(db.ok());
      EXPECT_EQ(render(*memory), render(*db)) << text << " -> " << q.text;
    }
  }
}

// A second process's replica learns of changes only by following posting_search (it is never
// told): a publication and a withdrawal reach it within its poll interval.
TEST_F(PostingsSearchE2eTest, AnotherReplicaFollowsChangesItWasNotToldOf) {
  SearchReplica other(postings_->runtime().db(), absl::Milliseconds(50));
  other.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return other.loaded(); }, absl::Seconds(10)));
  std::string word = "mappe";
  for (char c : testing::UniqueName("w").substr(2)) word += static_cast<char>('a' + (c & 0x0f));
  SearchQuery q;
  q.text = word;
  q.now = postings_->runtime().clock().Now();
  auto hits = [&] {
    auto r = other.TrySearch(q);
    return r.has_value() ? static_cast<int>(r->hits.size()) : -1;
  };
  EXPECT_EQ(hits(), 0);
  const v1::Posting p = Post(Make(absl::StrCat("Registratur ", word), v1::TVOED, "EG 5", "Herne"));
  EXPECT_TRUE(testing::WaitFor([&] { return hits() == 1; }, absl::Seconds(10)));
  v1::WithdrawPostingRequest withdraw;
  withdraw.set_id(p.id());
  withdraw.set_reason("Stelle entfällt");
  v1::Posting out;
  ASSERT_TRUE(stub_->WithdrawPosting(Ctx(token_).get(), withdraw, &out).ok());
  EXPECT_TRUE(testing::WaitFor([&] { return hits() == 0; }, absl::Seconds(10)));
  other.Stop();
}

// Hot public reads are answered from the replica's memory (ADR 0014) and are never staler than
// it: a change committed in this process shows at the very next read; a change made elsewhere
// once the replica has followed it; a stale read is never kept.
TEST_F(PostingsSearchE2eTest, HotPublicReadsFromMemoryFollowEveryChange) {
  SearchReplica* replica = postings_->app().search_replica();
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(testing::WaitFor([&] { return replica->loaded(); }, absl::Seconds(10)));
  const v1::Posting p = Post(Make("Hausmeister*in Schulverwaltung", v1::TVOED, "EG 5", "Herne"));
  v1::GetPostingRequest get;
  get.set_id(p.id());
  v1::Posting read;
  auto anonymous_get = [&] { return stub_->GetPosting(Ctx().get(), get, &read); };
  ASSERT_TRUE(
      testing::WaitFor([&] { return anonymous_get().ok() && replica->TryGet(p.id()) != nullptr; },
                       absl::Seconds(10)));
  ASSERT_TRUE(anonymous_get().ok());  // from memory now
  EXPECT_EQ(read.etag(), p.etag());
  EXPECT_EQ(read.SerializeAsString(), replica->TryGet(p.id())->SerializeAsString());
  EXPECT_EQ(read.contacts_size(), p.contacts_size());  // the whole posting, not the listing
  EXPECT_EQ(read.description(), p.description());
  // Job boards link by Kennziffer: the same copy answers.
  v1::GetPostingByKennzifferRequest by_kz;
  by_kz.set_tenant_id(tenant_);
  by_kz.set_kennziffer(p.kennziffer());
  v1::Posting read_kz;
  ASSERT_TRUE(stub_->GetPostingByKennziffer(Ctx().get(), by_kz, &read_kz).ok());
  EXPECT_EQ(read_kz.SerializeAsString(), read.SerializeAsString());
  ASSERT_NE(replica->TryGetByKennziffer(tenant_, p.kennziffer()), nullptr);
  EXPECT_EQ(replica->TryGetByKennziffer(tenant_, p.kennziffer())->id(), p.id());
  EXPECT_EQ(replica->TryGetByKennziffer("anderer-mandant", p.kennziffer()), nullptr);

  // Changed in this process: the next read sees it.
  v1::UpdatePostingRequest update;
  *update.mutable_posting() = read;
  update.mutable_posting()->set_description("Neue Beschreibung");
  update.mutable_update_mask()->add_paths("description");
  v1::Posting v2;
  ASSERT_TRUE(stub_->UpdatePosting(Ctx(token_).get(), update, &v2).ok());
  ASSERT_TRUE(anonymous_get().ok());
  EXPECT_EQ(read.description(), "Neue Beschreibung");
  EXPECT_EQ(read.etag(), v2.etag());

  // Another process's replica, never told of changes: it keeps only the version it follows.
  SearchReplica other(postings_->runtime().db(), absl::Milliseconds(50));
  other.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return other.loaded(); }, absl::Seconds(10)));
  other.Remember(v2);
  ASSERT_NE(other.TryGet(p.id()), nullptr);
  EXPECT_EQ(other.TryGet(p.id())->etag(), v2.etag());
  *update.mutable_posting() = v2;
  update.mutable_posting()->set_description("Dritte Fassung");
  v1::Posting v3;
  ASSERT_TRUE(stub_->UpdatePosting(Ctx(token_).get(), update, &v3).ok());
  EXPECT_TRUE(testing::WaitFor([&] { return other.TryGet(p.id()) == nullptr; }, absl::Seconds(10)));
  other.Remember(v2);  // a read that raced the change: not kept
  EXPECT_EQ(other.TryGet(p.id()), nullptr);
  other.Remember(v3);
  ASSERT_NE(other.TryGet(p.id()), nullptr);
  EXPECT_EQ(other.TryGet(p.id())->description(), "Dritte Fassung");

  // Withdrawn: gone from memory at once here, and NOT_FOUND for the public.
  v1::WithdrawPostingRequest withdraw;
  withdraw.set_id(p.id());
  withdraw.set_reason("Stelle entfällt");
  v1::Posting out;
  ASSERT_TRUE(stub_->WithdrawPosting(Ctx(token_).get(), withdraw, &out).ok());
  EXPECT_EQ(anonymous_get().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetPostingByKennziffer(Ctx().get(), by_kz, &read_kz).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(replica->TryGet(p.id()), nullptr);
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return replica->Refresh().ok() &&
               replica->TryGetByKennziffer(tenant_, p.kennziffer()) == nullptr;
      },
      absl::Seconds(10)));
  EXPECT_TRUE(testing::WaitFor([&] { return other.TryGet(p.id()) == nullptr; }, absl::Seconds(10)));
  other.Stop();
}

}  // namespace
}  // namespace stellenwerk::postings
