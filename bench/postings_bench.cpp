// postings_bench — the postings service against a bare echo server, measured in one run
// (issue 4), every ratio over alternated rounds (bench/load.h RunRounds):
//  * GetPosting three ways, each against an echo that answers with exactly as many bytes:
//    anonymous hot read (the replica's memory, on gRPC's thread), authenticated read by a
//    staff token of the posting's tenant (worker pool + Redis), and cold read (worker pool +
//    Postgres: a second postings process started without Redis, STELLENWERK_REDIS_ADDR="",
//    so its cache is the NullCache and every read is a SELECT; checked by the postings
//    table's index-scan counter);
//  * SearchPostings over a generated corpus, cold (each request once) and warm;
//  * the service's RSS idle and under load.
//
//   postings_bench --postings=127.0.0.1:P --postings-cold=127.0.0.1:C --echo=127.0.0.1:E
//                  --postings-pid=PID --pg-uri=URI [--schema=postings] [--concurrency=16]
//                  [--seconds=5] [--rounds=5] [--corpus=10000] [--cold-rounds=1]
// --seconds is the length of one side of one round. The JWT secret comes from
// STELLENWERK_JWT_HS256_SECRET. Exit status 0 only when every check passed.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/calls.h"
#include "bench/load.h"
#include "common/auth/jwt.h"
#include "common/pg/pool.h"
#include "grpcpp/grpcpp.h"
#include "stellenwerk/bench/v1/echo.grpc.pb.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace {

using stellenwerk::bench::Flags;
using stellenwerk::bench::IntFlag;
using stellenwerk::bench::StrFlag;

using namespace stellenwerk;
namespace v1 = stellenwerk::postings::v1;
constexpr const char* kRoles[] = {"Sachbearbeiter*in", "Verwaltungsfachangestellte*r",
                                  "Referent*in",       "Teamassistenz",
                                  "Fahrer*in",         "Erzieher*in",
                                  "Sozialarbeiter*in", "Ingenieur*in",
                                  "Hausmeister*in",    "IT-Systemadministrator*in",
                                  "Bauingenieur*in",   "Arbeitsvermittler*in"};
constexpr const char* kAreas[] = {
    "Bürgerdienste",   "Personal", "Finanzen",  "Jugendamt",    "Straßenbau", "Ordnungsamt",
    "Schulverwaltung", "Kämmerei", "Umweltamt", "Stadtplanung", "Sozialamt",  "Digitalisierung"};
constexpr const char* kCities[] = {"Herne",      "Bochum", "Witten",   "Hattingen",
                                   "Düsseldorf", "Köln",   "Dortmund", "Essen"};

v1::Posting CorpusPosting(int i) {
  v1::Posting p;
  const char* role = kRoles[i % std::size(kRoles)];
  const char* area = kAreas[(i / 12) % std::size(kAreas)];
  p.set_title(absl::StrCat(role, " (w/m/d) ", area));
  p.set_department(absl::StrCat("Fachbereich ", area));
  p.set_location(kCities[(i / 7) % std::size(kCities)]);
  p.set_description(absl::StrCat("Die Stadt sucht für den Fachbereich ", area,
                                 " eine engagierte Persönlichkeit. Stelle Nr. ", i, "."));
  p.add_tasks("Bearbeitung von Anträgen und Bescheiden");
  p.add_tasks("Beratung von Bürgerinnen und Bürgern");
  auto* pay = p.add_pay();
  pay->set_scheme(v1::TVOED);
  pay->add_grades(absl::StrCat("EG ", 3 + i % 12));
  pay->set_min_cents(250'000 + (i % 12) * 20'000);
  pay->set_max_cents(320'000 + (i % 12) * 30'000);
  p.mutable_employment()->set_contract(i % 3 == 0 ? v1::FIXED_TERM : v1::PERMANENT);
  if (i % 3 == 0) p.mutable_employment()->set_fixed_term_months(24);
  p.mutable_employment()->set_weekly_hours(39);
  p.set_application_deadline("2099-12-31");
  auto* c = p.add_contacts();
  c->set_kind(v1::PROCEDURE);
  c->set_name("Personalservice");
  c->set_email("personal@example.de");
  p.set_posting_kind(v1::JOB);
  return p;
}

// Creates and publishes `count` postings of the corpus tenant unless they exist already
// (request ids make every step idempotent; search totals are capped, so the probe is the
// last posting itself).
// Returns the number of failed calls.
int EnsureCorpus(v1::PostingService::Stub& stub, const std::string& tenant, int count) {
  const std::string token = bench::StaffToken(tenant);
  {
    v1::CreatePostingRequest last;
    *last.mutable_posting() = CorpusPosting(count - 1);
    last.set_request_id(absl::StrCat("corpus-", count - 1));
    v1::Posting created, current;
    v1::GetPostingRequest get;
    if (stub.CreatePosting(bench::Ctx(token).get(), last, &created).ok()) {
      get.set_id(created.id());
      if (stub.GetPosting(bench::Ctx(token).get(), get, &current).ok() &&
          current.status() == v1::PUBLISHED) {
        return 0;
      }
    }
  }
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        v1::CreatePostingRequest create;
        *create.mutable_posting() = CorpusPosting(i);
        create.set_request_id(absl::StrCat("corpus-", i));
        v1::Posting created, published;
        if (!stub.CreatePosting(bench::Ctx(token).get(), create, &created).ok()) {
          ++failures;
          continue;
        }
        v1::PublishPostingRequest publish;
        publish.set_id(created.id());
        grpc::Status s = stub.PublishPosting(bench::Ctx(token).get(), publish, &published);
        if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::cerr << absl::StrFormat("corpus: %d postings created+published in %.1f s (%d failures)\n",
                               count, absl::ToDoubleSeconds(absl::Now() - start), failures.load());
  return failures.load();
}

// Reports the first few failures of each kind of call on stderr (they also count as errors).
void ReportFailure(const std::string& what, const grpc::Status& s) {
  static std::mutex mu;
  static std::map<std::string, int> reported;
  std::lock_guard lock(mu);
  if (reported[what]++ < 3) {
    std::cerr << what << " failed: " << s.error_code() << " " << s.error_message() << "\n";
  }
}

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Length of a bytes field 1 whose message (that field alone) serializes to `total` bytes.
size_t PayloadFor(size_t total) {
  for (size_t len = total; len-- > 0;) {
    if (1 + VarintSize(len) + len == total) return len;
  }
  return 0;
}

// An echo request of `request_bytes` serialized bytes asking for an answer of exactly
// `response_bytes` serialized bytes.
bench::v1::EchoMessage EchoRequest(size_t request_bytes, size_t response_bytes) {
  bench::v1::EchoMessage m;
  m.set_response_payload_bytes(static_cast<int32_t>(PayloadFor(response_bytes)));
  const size_t rest = m.ByteSizeLong();
  if (request_bytes > rest + 1) m.set_payload(std::string(PayloadFor(request_bytes - rest), 'x'));
  return m;
}

bench::AsyncCall EchoCall(bench::v1::Echo::Stub& stub, const bench::v1::EchoMessage& request,
                          const std::string& token) {
  return [&stub, &request, token](int, std::function<void(bool)> done) {
    auto* ctx = new grpc::ClientContext();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    auto* response = new bench::v1::EchoMessage();
    stub.async()->Echo(ctx, &request, response, [ctx, response, done](grpc::Status s) {
      if (!s.ok()) ReportFailure("Echo", s);
      delete ctx;
      delete response;
      done(s.ok());
    });
  };
}

bench::AsyncCall GetCall(v1::PostingService::Stub& stub, const v1::GetPostingRequest& request,
                         const std::string& token, const std::string& what) {
  return [&stub, &request, token, what](int, std::function<void(bool)> done) {
    auto* ctx = new grpc::ClientContext();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    auto* response = new v1::Posting();
    stub.async()->GetPosting(ctx, &request, response, [ctx, response, done, what](grpc::Status s) {
      if (!s.ok()) ReportFailure(what, s);
      delete ctx;
      delete response;
      done(s.ok());
    });
  };
}

// Index and sequential scans of the postings table so far (cumulative statistics). A busy
// PostgreSQL 15 backend flushes its counters at most once a second and, once idle, the rest
// up to 10 s later; `settle` waits that out so the count covers every read before it.
int64_t PostingsTableScans(const std::string& pg_uri, const std::string& schema, bool settle) {
  if (pg_uri.empty()) return -1;
  if (settle) absl::SleepFor(absl::Seconds(11));
  auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(10));
  if (!conn.ok()) return -1;
  pqxx::nontransaction tx(**conn);
  auto r = tx.exec_params(
      "SELECT COALESCE(idx_scan, 0) + COALESCE(seq_scan, 0) FROM pg_stat_user_tables"
      " WHERE schemaname = $1 AND relname = 'postings'",
      schema);
  return r.empty() ? -1 : r[0][0].as<int64_t>();
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = Flags(argc, argv);
  const int concurrency = IntFlag(flags, "concurrency", 16);
  const absl::Duration duration = absl::Seconds(IntFlag(flags, "seconds", 5));
  const int rounds = std::max(1, IntFlag(flags, "rounds", 5));
  const int corpus = IntFlag(flags, "corpus", 10000);
  const int pid = IntFlag(flags, "postings-pid", 0);
  const int cold_rounds = std::max(1, IntFlag(flags, "cold-rounds", 1));
  const std::string pg_uri = StrFlag(flags, "pg-uri");
  const std::string schema = StrFlag(flags, "schema", "postings");
  bench::Verdict verdict("postings");
  for (const char* required : {"postings", "postings-cold", "echo"}) {
    if (StrFlag(flags, required).empty()) {
      std::cerr << "postings_bench: --" << required << "=HOST:PORT required\n";
      return 2;
    }
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = [&](const std::string& flag) {
    return grpc::CreateCustomChannel(StrFlag(flags, flag), grpc::InsecureChannelCredentials(),
                                     args);
  };
  auto postings = v1::PostingService::NewStub(channel("postings"));
  auto postings_cold = v1::PostingService::NewStub(channel("postings-cold"));
  auto echo = bench::v1::Echo::NewStub(channel("echo"));

  const std::string tenant = "bench-city";
  const std::string token = bench::StaffToken(tenant);  // staff (hr_clerk) of the posting's tenant
  v1::CreatePostingRequest create;
  *create.mutable_posting() = CorpusPosting(0);
  create.set_request_id("hot-posting");
  v1::Posting hot, published;
  if (grpc::Status s = postings->CreatePosting(bench::Ctx(token).get(), create, &hot); !s.ok()) {
    std::cerr << "cannot create the hot posting: " << s.error_message() << "\n";
    return 1;
  }
  v1::PublishPostingRequest publish;
  publish.set_id(hot.id());
  if (grpc::Status s = postings->PublishPosting(bench::Ctx(token).get(), publish, &published);
      !s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {  // published before
    std::cerr << "cannot publish the hot posting: " << s.error_message() << "\n";
    return 1;
  }

  // The three responses, each read once, so each echo answers with exactly as many bytes.
  v1::GetPostingRequest get;
  get.set_id(hot.id());
  v1::Posting anon_answer, auth_answer, cold_answer;
  for (auto [stub, tok, out] : {std::tuple{postings.get(), std::string(), &anon_answer},
                                std::tuple{postings.get(), token, &auth_answer},
                                std::tuple{postings_cold.get(), token, &cold_answer}}) {
    if (grpc::Status s = stub->GetPosting(bench::Ctx(tok).get(), get, out); !s.ok()) {
      std::cerr << "cannot read the hot posting: " << s.error_message() << "\n";
      return 1;
    }
  }
  const size_t request_bytes = get.ByteSizeLong();
  const auto echo_anon = EchoRequest(request_bytes, anon_answer.ByteSizeLong());
  const auto echo_auth = EchoRequest(request_bytes, auth_answer.ByteSizeLong());
  const auto echo_cold = EchoRequest(request_bytes, cold_answer.ByteSizeLong());
  {
    // Check the sizing against what the echo server really sends.
    bench::v1::EchoMessage answer;
    bool same = true;
    std::string sizes;
    for (auto [req, posting] :
         {std::pair{&echo_anon, &anon_answer}, std::pair{&echo_auth, &auth_answer},
          std::pair{&echo_cold, &cold_answer}}) {
      grpc::ClientContext ctx;
      if (!echo->Echo(&ctx, *req, &answer).ok()) same = false;
      same = same && answer.ByteSizeLong() == posting->ByteSizeLong() &&
             req->ByteSizeLong() == request_bytes;
      absl::StrAppend(&sizes, sizes.empty() ? "" : ", ", posting->ByteSizeLong(), "/",
                      answer.ByteSizeLong());
    }
    verdict.Check(same, absl::StrCat("echo answers as many bytes as GetPosting (anonymous, "
                                     "authenticated, cold; posting/echo): ",
                                     sizes, "; requests ", request_bytes, " bytes each"));
  }

  const double rss_idle = bench::RssMiB(pid);
  std::atomic<double> rss_peak{rss_idle};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      const double v = bench::RssMiB(pid);
      if (v > rss_peak) rss_peak = v;
      absl::SleepFor(absl::Milliseconds(100));
    }
  });

  // 1. GetPosting three ways, each alternated in rounds with its own echo baseline.
  auto closed = [&](const std::string& name, bench::AsyncCall call) -> bench::Measure {
    return [&, name, call](int) { return bench::RunClosedLoop(name, concurrency, duration, call); };
  };
  auto warm = [&](const bench::AsyncCall& call) {
    bench::RunClosedLoop("warm-up", concurrency, absl::Seconds(1), call);
  };
  struct Way {
    std::string label, echo_name, get_name;
    bench::AsyncCall echo_call, get_call;
  };
  const std::vector<Way> ways = {
      {"GetPosting anonymous (hot, replica memory) / Echo", "Echo (anonymous size)",
       "GetPosting anonymous (hot)", EchoCall(*echo, echo_anon, ""),
       GetCall(*postings, get, "", "GetPosting anonymous")},
      {"GetPosting authenticated (staff, Redis) / Echo", "Echo (authenticated size + token)",
       "GetPosting authenticated (Redis)", EchoCall(*echo, echo_auth, token),
       GetCall(*postings, get, token, "GetPosting authenticated")},
      {"GetPosting cold (staff, no cache: Postgres) / Echo", "Echo (cold size + token)",
       "GetPosting cold (Postgres)", EchoCall(*echo, echo_cold, token),
       GetCall(*postings_cold, get, token, "GetPosting cold")},
  };
  std::vector<bench::RoundsResult> reads;
  std::vector<int64_t> scans;  // postings table scans during each way's rounds
  int64_t scans_before = -1;
  for (size_t i = 0; i < ways.size(); ++i) {
    const Way& w = ways[i];
    warm(w.get_call);
    warm(w.echo_call);
    if (i == 0) scans_before = PostingsTableScans(pg_uri, schema, /*settle=*/false);
    reads.push_back(bench::RunRounds(w.label, rounds, closed(w.echo_name, w.echo_call),
                                     closed(w.get_name, w.get_call)));
    // Settled after the database paths (authenticated, cold), where the count is the point.
    const int64_t after = PostingsTableScans(pg_uri, schema, /*settle=*/i > 0);
    scans.push_back(scans_before >= 0 && after >= 0 ? after - scans_before : -1);
    scans_before = after;
    verdict.NoErrors(reads.back());
  }

  // 2. Search over the corpus: cold (every request new to the cache) and warm (repeated).
  const int corpus_failures = EnsureCorpus(*postings, "bench-corpus", corpus);
  verdict.Check(corpus_failures == 0,
                absl::StrCat("corpus setup: ", corpus_failures, " failed calls"));
  std::vector<v1::SearchPostingsRequest> queries;
  const char* words[] = {"Sachbearbeiterin", "Referent",        "Erzieherin",     "Ingenieur",
                         "Hausmeister",      "Fahrer",          "Bürgerdienste",  "Jugendamt",
                         "Straßenbau",       "Digitalisierung", "Sozialarbeiter", "Verwaltung"};
  for (int page_size = 10; page_size < 30; ++page_size) {
    for (const char* w : words) {
      v1::SearchPostingsRequest r;
      r.set_query(w);
      r.set_open_only(true);
      r.set_page_size(page_size);
      queries.push_back(r);
    }
  }
  auto search_call = [&](std::vector<v1::SearchPostingsRequest>& list, std::atomic<size_t>& next,
                         const std::string& what) -> bench::AsyncCall {
    return [&, what](int, std::function<void(bool)> done) {
      auto* ctx = new grpc::ClientContext();
      auto* response = new v1::SearchPostingsResponse();
      postings->async()->SearchPostings(ctx, &list[next++ % list.size()], response,
                                        [ctx, response, done, what](grpc::Status s) {
                                          if (!s.ok()) ReportFailure(what, s);
                                          delete ctx;
                                          delete response;
                                          done(s.ok());
                                        });
    };
  };
  // Warm the service's database connections (catalogs, plans) with requests outside the
  // measured set: "cold" below means a cache miss, not a process that never searched.
  std::vector<v1::SearchPostingsRequest> warmup = queries;
  for (auto& r : warmup) r.set_page_size(r.page_size() + 40);
  for (int pass = 0; pass < 2; ++pass) {
    std::atomic<size_t> i{0};
    bench::RunClosedLoop("warm-up", 16, absl::Seconds(2), search_call(warmup, i, "Search warm-up"));
  }
  // Cold: every distinct request exactly once (not in Redis yet: a fresh stack, and keys the
  // warm-up did not use), by the same closed loop of 16 callers; p50/p99 over all of them.
  // One-word queries (as a search box sends them), open only and with the closed ones.
  std::vector<v1::SearchPostingsRequest> cold_one_word = queries;
  for (auto r : queries) {
    r.set_open_only(false);
    r.set_include_closed(true);
    cold_one_word.push_back(r);
  }
  // Two words (title word and city): the general full-text statement, not the term index.
  std::vector<v1::SearchPostingsRequest> cold_two_words;
  const char* cities[] = {"Herne", "Bochum", "Köln", "Essen"};
  for (int page_size = 10; page_size < 30; ++page_size) {
    for (const char* w : words) {
      v1::SearchPostingsRequest r;
      r.set_query(absl::StrCat(w, " ", cities[page_size % 4]));
      r.set_open_only(true);
      r.set_page_size(page_size);
      cold_two_words.push_back(r);
    }
  }
  auto once_each = [&](const std::string& name, std::vector<v1::SearchPostingsRequest>& list) {
    std::atomic<size_t> next{0};
    return bench::RunClosedLoop(name, 16, absl::Minutes(5), search_call(list, next, name),
                                list.size());
  };
  // --cold-rounds=N repeats the cold sets N times; before each further round a new posting
  // is published, which moves the search generation, so every request is cold again.
  bench::LoadResult cold, cold_two;
  for (int round = 0; round < cold_rounds; ++round) {
    if (round > 0) {
      v1::CreatePostingRequest bump;
      *bump.mutable_posting() = CorpusPosting(round);
      v1::Posting created, done;
      if (postings->CreatePosting(bench::Ctx(token).get(), bump, &created).ok()) {
        v1::PublishPostingRequest p;
        p.set_id(created.id());
        postings->PublishPosting(bench::Ctx(token).get(), p, &done);
      }
    }
    bench::Merge(cold, once_each("Search cold, 1 word (each once)", cold_one_word));
    bench::Merge(cold_two, once_each("Search cold, 2 words (each once)", cold_two_words));
  }
  std::atomic<size_t> warm_next{0};
  const auto warm_result = bench::RunClosedLoop("SearchPostings (warm cache)", 16, duration,
                                                search_call(queries, warm_next, "Search warm"));
  sampling = false;
  sampler.join();
  for (const bench::LoadResult* r :
       std::initializer_list<const bench::LoadResult*>{&cold, &cold_two, &warm_result})
    verdict.NoErrors(*r);

  // Report.
  std::cout << absl::StrFormat("rounds: %d per comparison, %.0f s per side per round, %d callers\n",
                               rounds, absl::ToDoubleSeconds(duration), concurrency);
  for (size_t i = 0; i < reads.size(); ++i) {
    std::cout << bench::FormatRounds(reads[i]);
    if (scans[i] >= 0) {
      std::cout << absl::StrFormat(
          "postings table scans (pg_stat_user_tables) during these rounds and their 1 s warm-up: "
          "%lld; "
          "%llu successful GetPosting calls in the rounds\n",
          static_cast<long long>(scans[i]),
          static_cast<unsigned long long>(reads[i].subject_all.calls));
    }
  }
  std::cout << "\n### SearchPostings (16 callers, no baseline: the target is absolute)\n\n"
            << bench::FormatHeader();
  for (const bench::LoadResult* r :
       std::initializer_list<const bench::LoadResult*>{&warm_result, &cold, &cold_two})
    std::cout << bench::FormatRow(*r) << "\n";
  std::cout << absl::StrFormat("cold calls: %d one-word, %d two-word; max %.3f / %.3f ms\n",
                               cold.calls, cold_two.calls, cold.max_ms, cold_two.max_ms)
            << absl::StrFormat("postings RSS: idle %.1f MiB, peak under load %.1f MiB\n", rss_idle,
                               rss_peak.load());

  const bench::RoundsResult& anon = reads[0];
  verdict.Check(anon.median >= 0.5,
                absl::StrFormat("target GetPosting (anonymous, hot) / Echo >= 0.50: median %.2f "
                                "(range %.2f-%.2f)",
                                anon.median, anon.min, anon.max));
  verdict.Check(std::max(cold.p99_ms, warm_result.p99_ms) <= 15,
                absl::StrFormat("target search p99 <= 15 ms at 16 callers over %d postings: cold "
                                "(1 word) %.3f ms, warm %.3f ms",
                                corpus, cold.p99_ms, warm_result.p99_ms));
  // Postgres really served the cold rounds (one SELECT per read), Redis the authenticated ones.
  if (scans[2] >= 0) {
    verdict.Check(static_cast<uint64_t>(scans[2]) >= reads[2].subject_all.calls,
                  absl::StrFormat("cold reads hit Postgres: %lld table scans for %llu reads",
                                  static_cast<long long>(scans[2]),
                                  static_cast<unsigned long long>(reads[2].subject_all.calls)));
  }
  std::cout << absl::StrFormat(
      "\ninformational (no target): authenticated / Echo median %.2f (%.2f-%.2f); "
      "cold / Echo median %.2f (%.2f-%.2f)\n",
      reads[1].median, reads[1].min, reads[1].max, reads[2].median, reads[2].min, reads[2].max);
  return verdict.Finish();
}
