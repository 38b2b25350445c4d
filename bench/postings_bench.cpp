// postings_bench — the postings service against a bare echo server, measured in one run
// (issue 4): GetPosting on a hot posting vs echo at the same concurrency, SearchPostings over
// a generated corpus (cold and warm cache), and the service's RSS idle and under load.
//
//   postings_bench --postings=127.0.0.1:P --echo=127.0.0.1:E --postings-pid=PID
//                  [--concurrency=16] [--seconds=10] [--corpus=10000] [--cold-rounds=1]
// The JWT secret comes from STELLENWERK_JWT_HS256_SECRET.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/load.h"
#include "common/auth/jwt.h"
#include "grpcpp/grpcpp.h"
#include "stellenwerk/bench/v1/echo.grpc.pb.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace {

using stellenwerk::bench::Flags;
using stellenwerk::bench::IntFlag;
using stellenwerk::bench::StrFlag;

using namespace stellenwerk;
namespace v1 = stellenwerk::postings::v1;



std::string Token(const std::string& tenant) {
  const char* secret = std::getenv("STELLENWERK_JWT_HS256_SECRET");
  auth::Claims c;
  c.sub = "bench";
  c.tenant = tenant;
  c.roles = {"hr_clerk"};
  c.expires = absl::Now() + absl::Hours(2);
  return auth::SignHs256(c, secret == nullptr ? "" : secret);
}

constexpr const char* kRoles[] = {"Sachbearbeiter*in", "Verwaltungsfachangestellte*r",
                                  "Referent*in", "Teamassistenz", "Fahrer*in",
                                  "Erzieher*in", "Sozialarbeiter*in", "Ingenieur*in",
                                  "Hausmeister*in", "IT-Systemadministrator*in",
                                  "Bauingenieur*in", "Arbeitsvermittler*in"};
constexpr const char* kAreas[] = {"Bürgerdienste", "Personal", "Finanzen", "Jugendamt",
                                  "Straßenbau", "Ordnungsamt", "Schulverwaltung", "Kämmerei",
                                  "Umweltamt", "Stadtplanung", "Sozialamt", "Digitalisierung"};
constexpr const char* kCities[] = {"Herne", "Bochum", "Witten", "Hattingen", "Düsseldorf",
                                   "Köln", "Dortmund", "Essen"};

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

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

// Creates and publishes `count` postings of the corpus tenant unless they exist already
// (request ids make every step idempotent; search totals are capped, so the probe is the
// last posting itself).
void EnsureCorpus(v1::PostingService::Stub& stub, const std::string& tenant, int count) {
  const std::string token = Token(tenant);
  {
    v1::CreatePostingRequest last;
    *last.mutable_posting() = CorpusPosting(count - 1);
    last.set_request_id(absl::StrCat("corpus-", count - 1));
    v1::Posting created, current;
    v1::GetPostingRequest get;
    if (stub.CreatePosting(Ctx(token).get(), last, &created).ok()) {
      get.set_id(created.id());
      if (stub.GetPosting(Ctx(token).get(), get, &current).ok() &&
          current.status() == v1::PUBLISHED) {
        return;
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
        if (!stub.CreatePosting(Ctx(token).get(), create, &created).ok()) {
          ++failures;
          continue;
        }
        v1::PublishPostingRequest publish;
        publish.set_id(created.id());
        grpc::Status s = stub.PublishPosting(Ctx(token).get(), publish, &published);
        if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::cerr << absl::StrFormat("corpus: %d postings created+published in %.1f s (%d failures)\n",
                               count, absl::ToDoubleSeconds(absl::Now() - start), failures.load());
}

// Adds run `r` to `into` (percentiles over the union of both runs' samples).
void Merge(bench::LoadResult& into, const bench::LoadResult& r) {
  if (into.calls == 0) {
    into = r;
    return;
  }
  into.calls += r.calls;
  into.errors += r.errors;
  into.seconds += r.seconds;
  into.samples_ms.insert(into.samples_ms.end(), r.samples_ms.begin(), r.samples_ms.end());
  std::sort(into.samples_ms.begin(), into.samples_ms.end());
  const auto& all = into.samples_ms;
  into.p50_ms = all[all.size() / 2];
  into.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  into.max_ms = all.back();
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = Flags(argc, argv);
  const int concurrency = IntFlag(flags, "concurrency", 16);
  const absl::Duration duration = absl::Seconds(IntFlag(flags, "seconds", 10));
  const int corpus = IntFlag(flags, "corpus", 10000);
  const int pid = IntFlag(flags, "postings-pid", 0);
  const int cold_rounds = std::max(1, IntFlag(flags, "cold-rounds", 1));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto postings_channel = grpc::CreateCustomChannel(flags.at("postings"),
                                                    grpc::InsecureChannelCredentials(), args);
  auto echo_channel =
      grpc::CreateCustomChannel(flags.at("echo"), grpc::InsecureChannelCredentials(), args);
  auto postings = v1::PostingService::NewStub(postings_channel);
  auto echo = bench::v1::Echo::NewStub(echo_channel);

  const std::string tenant = "bench-city";
  const std::string token = Token(tenant);
  v1::CreatePostingRequest create;
  *create.mutable_posting() = CorpusPosting(0);
  create.set_request_id("hot-posting");
  v1::Posting hot, published;
  if (grpc::Status s = postings->CreatePosting(Ctx(token).get(), create, &hot); !s.ok()) {
    std::cerr << "cannot create the hot posting: " << s.error_message() << "\n";
    return 1;
  }
  v1::PublishPostingRequest publish;
  publish.set_id(hot.id());
  postings->PublishPosting(Ctx(token).get(), publish, &published);  // ok if already published

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

  // 1. Echo baseline and GetPosting (hot), same generator, same concurrency, back to back.
  bench::v1::EchoMessage echo_request;
  echo_request.set_payload(std::string(1800, 'x'));  // about the size of a posting
  auto echo_call = [&](int, std::function<void(bool)> done) {
    auto* ctx = new grpc::ClientContext();
    auto* response = new bench::v1::EchoMessage();
    echo->async()->Echo(ctx, &echo_request, response, [ctx, response, done](grpc::Status s) {
      delete ctx;
      delete response;
      done(s.ok());
    });
  };
  v1::GetPostingRequest get;
  get.set_id(hot.id());
  auto get_call = [&](int, std::function<void(bool)> done) {
    auto* ctx = new grpc::ClientContext();
    auto* response = new v1::Posting();
    postings->async()->GetPosting(ctx, &get, response, [ctx, response, done](grpc::Status s) {
      delete ctx;
      delete response;
      done(s.ok());
    });
  };
  bench::RunClosedLoop("warm-up", concurrency, absl::Seconds(1), get_call);
  bench::RunClosedLoop("warm-up", concurrency, absl::Seconds(1), echo_call);
  const auto echo_result = bench::RunClosedLoop("Echo (bare callback server)", concurrency,
                                                duration, echo_call);
  const auto get_result =
      bench::RunClosedLoop("GetPosting (hot, cached)", concurrency, duration, get_call);

  // 2. Search over the corpus: cold (every request new to the cache) and warm (repeated).
  EnsureCorpus(*postings, "bench-corpus", corpus);
  std::vector<v1::SearchPostingsRequest> queries;
  const char* words[] = {"Sachbearbeiterin", "Referent", "Erzieherin", "Ingenieur",
                         "Hausmeister", "Fahrer", "Bürgerdienste", "Jugendamt", "Straßenbau",
                         "Digitalisierung", "Sozialarbeiter", "Verwaltung"};
  for (int page_size = 10; page_size < 30; ++page_size) {
    for (const char* w : words) {
      v1::SearchPostingsRequest r;
      r.set_query(w);
      r.set_open_only(true);
      r.set_page_size(page_size);
      queries.push_back(r);
    }
  }
  // Warm the service's database connections (catalogs, plans) with requests outside the
  // measured set: "cold" below means a cache miss, not a process that never searched.
  std::vector<v1::SearchPostingsRequest> warmup = queries;
  for (auto& r : warmup) r.set_page_size(r.page_size() + 40);
  for (int pass = 0; pass < 2; ++pass) {
    std::atomic<size_t> i{0};
    bench::RunClosedLoop("warm-up", 16, absl::Seconds(2), [&](int, std::function<void(bool)> done) {
      auto* ctx = new grpc::ClientContext();
      auto* response = new v1::SearchPostingsResponse();
      postings->async()->SearchPostings(ctx, &warmup[i++ % warmup.size()], response,
                                        [ctx, response, done](grpc::Status s) {
                                          delete ctx;
                                          delete response;
                                          done(s.ok());
                                        });
    });
  }
  // Cold: every distinct request exactly once (not in Redis yet: a fresh stack, and keys the
  // warm-up did not use), by the same closed loop of 16 callers; p50/p99 over all of them.
  // One-word queries (as a search box sends them), with and without open_only.
  std::vector<v1::SearchPostingsRequest> cold_one_word = queries;
  for (auto r : queries) {
    r.set_open_only(false);
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
    return bench::RunClosedLoop(
        name, 16, absl::Minutes(5),
        [&](int, std::function<void(bool)> done) {
          auto* ctx = new grpc::ClientContext();
          auto* response = new v1::SearchPostingsResponse();
          postings->async()->SearchPostings(ctx, &list[next++ % list.size()], response,
                                            [ctx, response, done](grpc::Status s) {
                                              delete ctx;
                                              delete response;
                                              done(s.ok());
                                            });
        },
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
      if (postings->CreatePosting(Ctx(token).get(), bump, &created).ok()) {
        v1::PublishPostingRequest p;
        p.set_id(created.id());
        postings->PublishPosting(Ctx(token).get(), p, &done);
      }
    }
    Merge(cold, once_each("Search cold, 1 word (each once)", cold_one_word));
    Merge(cold_two, once_each("Search cold, 2 words (each once)", cold_two_words));
  }
  auto search_call = [&](std::atomic<size_t>& next) {
    return [&](int, std::function<void(bool)> done) {
      auto* ctx = new grpc::ClientContext();
      auto* response = new v1::SearchPostingsResponse();
      postings->async()->SearchPostings(ctx, &queries[next++ % queries.size()], response,
                                        [ctx, response, done](grpc::Status s) {
                                          delete ctx;
                                          delete response;
                                          done(s.ok());
                                        });
    };
  };
  std::atomic<size_t> warm_next{0};
  const auto warm_result =
      bench::RunClosedLoop("SearchPostings (warm cache)", 16, duration, search_call(warm_next));
  sampling = false;
  sampler.join();

  std::cout << "| benchmark | conc. | calls/s | p50 ms | p99 ms | errors |\n"
            << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& r : {echo_result, get_result, warm_result, cold, cold_two}) {
    std::cout << bench::FormatRow(r) << "\n";
  }
  std::cout << absl::StrFormat("cold calls: %d one-word, %d two-word; max %.3f / %.3f ms\n",
                               cold.calls, cold_two.calls, cold.max_ms, cold_two.max_ms);
  const double ratio = get_result.throughput() / std::max(1.0, echo_result.throughput());
  std::cout << "\n"
            << absl::StrFormat("GetPosting/Echo throughput ratio: %.2f (target >= 0.50) %s\n", ratio,
                               ratio >= 0.5 ? "OK" : "BELOW TARGET")
            << absl::StrFormat("GetPosting p99 %.3f ms vs Echo p99 %.3f ms\n", get_result.p99_ms,
                               echo_result.p99_ms)
            << absl::StrFormat("Search p99 at 16 clients over %d postings: cold %.3f ms, warm %.3f ms "
                               "(target <= 15 ms) %s\n",
                               corpus, cold.p99_ms, warm_result.p99_ms,
                               std::max(cold.p99_ms, warm_result.p99_ms) <= 15 ? "OK" : "ABOVE TARGET")
            << absl::StrFormat("postings RSS: idle %.1f MiB, peak under load %.1f MiB\n", rss_idle,
                               rss_peak.load());
  return 0;
}
