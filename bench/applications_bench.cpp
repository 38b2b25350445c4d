// applications_bench — SubmitApplication through the real service against a raw libpqxx
// baseline doing the same durable writes, measured in one run (issue 5), and the durability
// run: 1,000 concurrent submissions across a RabbitMQ restart, every application stored and
// every applications.application.submitted.v1 event delivered.
//
//   applications_bench --applications=127.0.0.1:P --pg-uri=URI --amqp-uri=URI
//                      [--schema=applications] [--concurrency=16] [--seconds=6] [--rounds=4]
//                      [--durability=1000] [--stop-cmd=CMD --start-cmd=CMD] [--skip-throughput]
// The JWT secret comes from STELLENWERK_JWT_HS256_SECRET.
//
// What the ratio compares (both closed-loop, N callers, the same PostgreSQL server, so the
// same synchronous_commit), alternated in rounds (bench/load.h RunRounds: baseline, service,
// baseline, service, …; the ratio is the median of the per-round ratios):
//   service:  SubmitApplication over gRPC (JWT check, worker-pool hop, document and posting
//             reads, the write transaction with its outbox row, the answer), one
//             pre-uploaded 2 KB PDF per applicant, no request_id; the service's relay
//             publishes the events meanwhile.
//   baseline: per call, on its own one of N libpqxx connections, the statements the service
//             issues for that submission (BaselineSubmit below: the same SQL, prepared where
//             the service prepares, the same round trips), against the same tables of the
//             same schema, so the same indexes; the service's relay publishes its outbox
//             rows too.
// Any failed call (either side) or a run out of pre-uploaded documents fails the verdict.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/calls.h"
#include "bench/load.h"
#include "common/amqp/connection.h"
#include "common/auth/jwt.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/pg/pool.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "pqxx/pqxx"
#include "services/applications/adapters/applications_sql.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace {

using stellenwerk::bench::Flags;
using stellenwerk::bench::IntFlag;
using stellenwerk::bench::StrFlag;

using namespace stellenwerk;
namespace v1 = stellenwerk::applications::v1;
using google::protobuf::util::TimeUtil;

// The routing key the service publishes a submission under (the event catalogue).
const std::string& SubmittedKey() { return events::RoutingKey<events::v1::ApplicationSubmitted>(); }
constexpr char kTenant[] = "bench-city";
constexpr size_t kPdfBytes = 2000;

std::string Pdf() {
  std::string s = "%PDF-1.7\n";
  s.resize(kPdfBytes - 6, 'x');
  return s + "\n%%EOF";
}

// One applicant with one uploaded, not yet used CV.
struct Applicant {
  std::string sub;
  std::string token;
  std::string document_id;
  v1::SubmitApplicationRequest request;
};

v1::SubmitApplicationRequest Submission(const std::string& posting_id, int n,
                                        const std::string& document_id) {
  v1::SubmitApplicationRequest r;
  r.set_posting_id(posting_id);
  r.mutable_applicant()->set_given_name("Erika");
  r.mutable_applicant()->set_family_name(absl::StrCat("Mustermann-", n));
  r.mutable_applicant()->set_email(absl::StrCat("erika.", n, "@example.de"));
  r.add_document_ids(document_id);
  r.set_cover_letter_text(
      "Sehr geehrte Damen und Herren, hiermit bewerbe ich mich auf die ausgeschriebene Stelle. "
      "Mit freundlichen Grüßen");
  r.mutable_consent()->set_version("datenschutz-2024-01");
  *r.mutable_consent()->mutable_given_time() = TimeUtil::GetCurrentTime();
  return r;
}

grpc::Status Upload(v1::ApplicationService::Stub& stub, const std::string& token,
                    const std::string& content, v1::Document* out) {
  auto ctx = bench::Ctx(token);
  auto writer = stub.UploadDocument(ctx.get(), out);
  v1::UploadDocumentRequest meta;
  meta.mutable_metadata()->set_file_name("lebenslauf.pdf");
  meta.mutable_metadata()->set_kind(v1::CV);
  writer->Write(meta);
  v1::UploadDocumentRequest part;
  part.set_chunk(content);
  writer->Write(part);
  writer->WritesDone();
  return writer->Finish();
}

// `count` applicants, each with one PDF uploaded through UploadDocument (client streaming),
// `threads` at a time.
std::vector<Applicant> UploadApplicants(v1::ApplicationService::Stub& stub,
                                        const std::string& posting_id, const std::string& tag,
                                        int count, int threads) {
  std::vector<Applicant> out(count);
  std::atomic<int> next{0}, failures{0};
  const std::string pdf = Pdf();
  const absl::Time start = absl::Now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        Applicant& a = out[i];
        a.sub = absl::StrCat("bench-", tag, "-", i);
        a.token = bench::ApplicantToken(a.sub);
        v1::Document doc;
        grpc::Status s;
        for (int attempt = 0; attempt < 5; ++attempt) {
          s = Upload(stub, a.token, pdf, &doc);
          if (s.ok()) break;
          absl::SleepFor(absl::Milliseconds(50 << attempt));
        }
        if (!s.ok()) {
          if (failures++ == 0) std::cerr << "upload failed: " << s.error_message() << "\n";
          continue;
        }
        a.document_id = doc.id();
        a.request = Submission(posting_id, i, doc.id());
      }
    });
  }
  for (auto& t : pool) t.join();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::cerr << absl::StrFormat("uploaded %d documents (%d failed) in %.1f s: %.0f uploads/s\n",
                               count, failures.load(), secs, count / std::max(secs, 1e-3));
  return out;
}

// A published posting, as the postings.posting.published.v1 consumer would store it.
std::string SeedPosting(const std::string& pg_uri, const std::string& schema) {
  const std::string id = ids::NewUuid();
  auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(30));
  if (!conn.ok()) {
    std::cerr << conn.status() << "\n";
    std::exit(1);
  }
  pqxx::work tx(**conn);
  tx.exec_params(
      "INSERT INTO posting_snapshots (posting_id, tenant_id, kennziffer, title, status,"
      " deadline_at, anonymised, coordination_required, version)"
      " VALUES ($1::uuid, $2, $3, $4, 'PUBLISHED', NULL, false, false, 1)",
      id, kTenant, absl::StrCat("KZ-", id.substr(0, 8)), "Sachbearbeiter*in (w/m/d) Bürgerdienste");
  tx.commit();
  return id;
}

// ---- baseline ---------------------------------------------------------------------------

struct BaselineItem {
  std::string sub;
  std::string document_id;
  v1::Document document;
  int n = 0;
};

// Documents for the baseline, inserted directly (their upload is not what it measures).
std::vector<BaselineItem> SeedBaselineDocuments(const std::string& pg_uri,
                                                const std::string& schema, const std::string& tag,
                                                int count) {
  auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(120));
  if (!conn.ok()) {
    std::cerr << conn.status() << "\n";
    std::exit(1);
  }
  const std::string pdf = Pdf();
  std::vector<BaselineItem> items(count);
  pqxx::work tx(**conn);
  for (int i = 0; i < count; ++i) {
    BaselineItem& it = items[i];
    it.n = i;
    it.sub = absl::StrCat("base-", tag, "-", i);
    it.document_id = ids::NewUuid();
    v1::Document& d = it.document;
    d.set_id(it.document_id);
    d.set_file_name("lebenslauf.pdf");
    d.set_kind(v1::CV);
    d.set_detected_type("application/pdf");
    d.set_sha256(std::string(64, 'a'));
    d.set_size_bytes(static_cast<int64_t>(pdf.size()));
    *d.mutable_upload_time() = TimeUtil::GetCurrentTime();
  }
  // One statement per 500 rows keeps the seeding short.
  for (int from = 0; from < count; from += 500) {
    std::string ids = "{", subs = "{";
    for (int i = from; i < std::min(count, from + 500); ++i) {
      absl::StrAppend(&ids, i > from ? "," : "", items[i].document_id);
      absl::StrAppend(&subs, i > from ? "," : "", items[i].sub);
    }
    ids += "}";
    subs += "}";
    tx.exec_params(
        "INSERT INTO documents (id, owner_sub, kind, file_name, detected_type, sha256,"
        " size_bytes, content, created_at)"
        " SELECT d.id, d.sub, 1, 'lebenslauf.pdf', 'application/pdf', $3, $4, $5, now()"
        " FROM unnest($1::uuid[], $2::text[]) AS d(id, sub)",
        ids, subs, std::string(64, 'a'), static_cast<int64_t>(pdf.size()), pg::Bytes(pdf));
  }
  tx.commit();
  return items;
}

void PrepareBaseline(pqxx::connection& conn);  // below, with the statements it prepares

// N threads, each with its own connection, each running the calls posted to it in order.
class Baseline {
 public:
  Baseline(const std::string& pg_uri, const std::string& schema, int n) : slots_(n) {
    for (int i = 0; i < n; ++i) {
      auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(10));
      if (!conn.ok()) {
        std::cerr << conn.status() << "\n";
        std::exit(1);
      }
      slots_[i].conn = *std::move(conn);
      PrepareBaseline(*slots_[i].conn);
      threads_.emplace_back([this, i] { Loop(i); });
    }
  }
  ~Baseline() {
    for (auto& s : slots_) {
      std::lock_guard lock(s.mu);
      s.stop = true;
      s.cv.notify_all();
    }
    for (auto& t : threads_) t.join();
  }
  pqxx::connection& conn(int i) { return *slots_[i].conn; }
  void Post(int i, std::function<void()> fn) {
    Slot& s = slots_[i];
    std::lock_guard lock(s.mu);
    s.work.push_back(std::move(fn));
    s.cv.notify_one();
  }

 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> conn;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> work;
    bool stop = false;
  };
  void Loop(int i) {
    Slot& s = slots_[i];
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(s.mu);
        s.cv.wait(lock, [&] { return s.stop || !s.work.empty(); });
        if (s.work.empty()) return;
        fn = std::move(s.work.front());
        s.work.pop_front();
      }
      fn();
    }
  }
  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;
};

// The statements SubmitApplication issues for a submission without request_id, in the same
// order, with the same SQL text, the same parameters and prepared where the service prepares
// them (services/applications/adapters/pg_application_store.cc: OwnDocuments, Posting,
// Submit; the outbox write of common/outbox). Per call, on the caller's own connection:
//   1. prepared SELECT of the applicant's unused documents (autocommit)
//   2. prepared SELECT of the posting snapshot (autocommit)
//   3. BEGIN; every 32nd call a block of 32 pseudonyms (nextval); the posting's shared
//      advisory lock; the prepared one-statement insert (application, facts, audit line,
//      document attachment, posting still open); the outbox INSERT, with a pg_notify at most
//      every 10 ms per process; COMMIT.
// What the baseline leaves out is the service itself: gRPC, JWT, validation, building the
// Application and event messages in the domain, the worker-pool hop, its connection pool.
// The statements themselves are the service's own (services/applications/adapters/
// applications_sql.h); if the service issues other statements, this list must follow.
using applications::sql::kOwnDocuments;
using applications::sql::kPostingSnapshot;
using applications::sql::kSubmit;

void PrepareBaseline(pqxx::connection& conn) {
  conn.prepare("applications_own_documents", kOwnDocuments);
  conn.prepare("applications_posting_snapshot", kPostingSnapshot);
  conn.prepare("applications_submit", kSubmit);
}

// Pseudonyms in blocks of 32 per process, as the service draws them.
int64_t NextPseudonym(pqxx::work& tx) {
  static std::mutex mu;
  static std::vector<int64_t> block;
  {
    std::lock_guard lock(mu);
    if (!block.empty()) {
      const int64_t n = block.back();
      block.pop_back();
      return n;
    }
  }
  std::vector<int64_t> drawn;
  for (const auto& row : tx.exec_params(
           "SELECT nextval('pseudonym_seq') FROM generate_series(1, $1) ORDER BY 1 DESC", 32)) {
    drawn.push_back(row[0].as<int64_t>());
  }
  const int64_t n = drawn.back();
  drawn.pop_back();
  std::lock_guard lock(mu);
  block.insert(block.end(), drawn.begin(), drawn.end());
  return n;
}

// The outbox's wake-up hint, coalesced to one per 10 ms per process like the service's.
bool NotifyDue() {
  static std::mutex mu;
  static absl::Time last = absl::InfinitePast();
  const absl::Time now = absl::Now();
  std::lock_guard lock(mu);
  if (now - last < absl::Milliseconds(10)) return false;
  last = now;
  return true;
}

bool BaselineSubmit(pqxx::connection& conn, const std::string& posting_id, const BaselineItem& item,
                    const std::string& schema) {
  try {
    const std::string doc_array = absl::StrCat("{", item.document_id, "}");
    {
      pqxx::nontransaction read(conn);
      if (read.exec_prepared("applications_own_documents", doc_array, item.sub).size() != 1) {
        return false;
      }
    }
    std::string kennziffer, tenant;
    {
      pqxx::nontransaction read(conn);
      const auto rows = read.exec_prepared("applications_posting_snapshot", posting_id);
      if (rows.empty() || rows[0][4].as<std::string>() != "PUBLISHED") return false;
      tenant = rows[0][1].as<std::string>();
      kennziffer = rows[0][2].as<std::string>();
    }
    const absl::Time now = absl::Now();
    const auto ts = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
    const std::string at = pg::ToPgTimestamp(now);
    const std::string id = ids::NewUuid();
    pqxx::work tx(conn);
    v1::Application a;
    a.set_id(id);
    a.set_tenant_id(tenant);
    a.set_posting_id(posting_id);
    a.set_kennziffer(kennziffer);
    a.set_applicant_sub(item.sub);
    const auto request = Submission(posting_id, item.n, item.document_id);
    *a.mutable_applicant() = request.applicant();
    a.set_pseudonym(absl::StrFormat("B-%04d", NextPseudonym(tx)));
    *a.add_documents() = item.document;
    a.set_cover_letter_text(request.cover_letter_text());
    *a.mutable_consent() = request.consent();
    a.set_status(v1::RECEIVED);
    *a.mutable_submit_time() = ts;
    *a.mutable_update_time() = ts;
    a.set_etag("1");
    events::v1::ApplicationSubmitted e;
    e.mutable_meta()->set_event_id(ids::NewUuid());
    *e.mutable_meta()->mutable_occur_time() = ts;
    e.mutable_meta()->set_tenant_id(tenant);
    e.mutable_meta()->set_correlation_id(ids::NewUuid());
    e.mutable_meta()->set_actor(item.sub);
    e.set_application_id(id);
    e.set_posting_id(posting_id);
    e.set_applicant_sub(item.sub);
    e.set_kennziffer(kennziffer);

    tx.exec_params("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))",
                   "posting:" + posting_id);
    const auto row =
        tx.exec_prepared1("applications_submit", id, tenant, posting_id, item.sub, false,
                          pg::Bytes(a.SerializeAsString()), at, false, false, doc_array);
    if (row[0].as<int>() != 1 || row[1].as<int>() != 1 || row[2].as<int>() != 1) return false;
    tx.exec_params(
        "INSERT INTO outbox (event_id, routing_key, tenant_id, correlation_id, schema_version,"
        " payload, occur_time) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz)",
        e.meta().event_id(), SubmittedKey(), tenant, e.meta().correlation_id(), 1,
        pg::Bytes(e.SerializeAsString()), at);
    if (NotifyDue()) tx.exec_params("SELECT pg_notify($1, '')", schema + "_outbox");
    tx.commit();
    return true;
  } catch (const std::exception& ex) {
    static std::atomic<int> reported{0};
    if (reported++ < 3) std::cerr << "baseline: " << ex.what() << "\n";
    return false;
  }
}

// ---- the service ------------------------------------------------------------------------

bench::AsyncCall SubmitCall(v1::ApplicationService::Stub& stub, std::vector<Applicant>& pool,
                            std::atomic<size_t>& next, std::atomic<int>& exhausted) {
  return [stub = &stub, pool = &pool, next = &next, exhausted = &exhausted](
             int, std::function<void(bool)> done) {
    const size_t i = (*next)++;
    if (i >= pool->size() || (*pool)[i].document_id.empty()) {
      // Out of pre-uploaded documents: an error, reported later. Answer from another thread
      // after a pause, since answering here would recurse into the generator.
      ++*exhausted;
      std::thread([done] {
        absl::SleepFor(absl::Milliseconds(50));
        done(false);
      }).detach();
      return;
    }
    auto* ctx = bench::Ctx((*pool)[i].token).release();
    auto* response = new v1::Application();
    stub->async()->SubmitApplication(ctx, &(*pool)[i].request, response,
                                     [ctx, response, done](grpc::Status s) {
                                       static std::atomic<int> reported{0};
                                       if (!s.ok() && reported++ < 3) {
                                         std::cerr << "submit: " << s.error_message() << "\n";
                                       }
                                       delete ctx;
                                       delete response;
                                       done(s.ok());
                                     });
  };
}

// Waits (up to 20 s) until the relay has published every pending outbox row, so no run pays
// for the previous run's events.
void DrainOutbox(const std::string& pg_uri, const std::string& schema) {
  auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(30));
  if (!conn.ok()) return;
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < until) {
    pqxx::nontransaction tx(**conn);
    if (tx.exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>() == 0) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::cerr << "WARNING: outbox not drained within 20 s\n";
}

int CountApplications(const std::string& pg_uri, const std::string& schema,
                      const std::string& posting_id) {
  auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(30));
  if (!conn.ok()) return -1;
  pqxx::work tx(**conn);
  return tx
      .exec_params("SELECT count(*) FROM applications WHERE posting_id = $1::uuid",
                   posting_id)[0][0]
      .as<int>();
}

// ---- durability -------------------------------------------------------------------------

// Consumes applications.application.submitted.v1 from a durable queue of its own (declared
// before anything is submitted) and collects the application ids of one posting. Reconnects
// across the broker's restart; the queue and its persistent messages survive it.
class SubmittedCounter {
 public:
  SubmittedCounter(std::string amqp_uri, std::string posting_id)
      : uri_(std::move(amqp_uri)),
        posting_id_(std::move(posting_id)),
        queue_(absl::StrCat("bench.applications.durability.", posting_id_.substr(0, 8))) {}
  ~SubmittedCounter() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool Declare() {
    auto c = amqp::Connection::Open(uri_, absl::Seconds(5));
    if (!c.ok() || !(*c)->DeclareTopology().ok() ||
        !(*c)->DeclareQueue(amqp::QueueSpec{queue_, {SubmittedKey()}, "classic"}).ok()) {
      return false;
    }
    return true;
  }
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  size_t distinct() {
    std::lock_guard lock(mu_);
    return ids_.size();
  }
  uint64_t deliveries() const { return deliveries_; }
  int reconnects() const { return reconnects_; }

 private:
  void Run() {
    std::unique_ptr<amqp::Connection> conn;
    while (!stop_) {
      if (conn == nullptr) {
        auto c = amqp::Connection::Open(uri_, absl::Seconds(2));
        if (!c.ok() || !(*c)->StartConsuming(queue_, 200).ok()) {
          absl::SleepFor(absl::Milliseconds(200));
          continue;
        }
        conn = *std::move(c);
        ++reconnects_;
      }
      auto d = conn->NextDelivery(absl::Milliseconds(200));
      if (!d.ok()) {
        conn.reset();
        continue;
      }
      if (!d->has_value()) continue;
      events::v1::ApplicationSubmitted e;
      if (e.ParseFromString((*d)->message.body) && e.posting_id() == posting_id_) {
        std::lock_guard lock(mu_);
        ids_.insert(e.application_id());
      }
      ++deliveries_;
      if (!conn->Ack((*d)->delivery_tag).ok()) conn.reset();
    }
  }
  const std::string uri_, posting_id_, queue_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> deliveries_{0};
  std::atomic<int> reconnects_{0};
  std::mutex mu_;
  std::set<std::string> ids_;
};

// Submits every applicant of `batch` at once (asynchronously); retries UNAVAILABLE and
// DEADLINE_EXCEEDED with the same request_id, which the service answers idempotently.
class Burst {
 public:
  Burst(v1::ApplicationService::Stub& stub, std::vector<Applicant*> batch)
      : stub_(stub), batch_(std::move(batch)), remaining_(batch_.size()) {}
  void Fire() {
    for (size_t i = 0; i < batch_.size(); ++i) Send(i, 0);
  }
  int done() const { return static_cast<int>(batch_.size() - remaining_.load()); }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return remaining_ == 0; });
  }
  int ok() const { return ok_; }
  int retries() const { return retries_; }

 private:
  void Send(size_t i, int attempt) {
    auto* ctx = bench::Ctx(batch_[i]->token, 60).release();
    auto* response = new v1::Application();
    stub_.async()->SubmitApplication(
        ctx, &batch_[i]->request, response, [this, ctx, response, i, attempt](grpc::Status s) {
          delete ctx;
          delete response;
          if (!s.ok() && attempt < 10 &&
              (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
               s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
            ++retries_;
            std::thread([this, i, attempt] {
              absl::SleepFor(absl::Milliseconds(100 << std::min(attempt, 4)));
              Send(i, attempt + 1);
            }).detach();
            return;
          }
          if (s.ok()) {
            ++ok_;
          } else {
            std::cerr << "durability submit failed: " << s.error_message() << "\n";
          }
          if (--remaining_ == 0) {
            std::lock_guard lock(mu_);
            cv_.notify_all();
          }
        });
  }
  v1::ApplicationService::Stub& stub_;
  std::vector<Applicant*> batch_;
  std::atomic<size_t> remaining_;
  std::atomic<int> ok_{0}, retries_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

int RunCommand(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Returns true when every application was stored and every event delivered.
bool Durability(v1::ApplicationService::Stub& stub, const std::string& pg_uri,
                const std::string& schema, const std::string& amqp_uri, int count,
                const std::string& stop_cmd, const std::string& start_cmd) {
  const std::string posting_id = SeedPosting(pg_uri, schema);
  SubmittedCounter counter(amqp_uri, posting_id);
  if (!counter.Declare()) {
    std::cerr << "durability: cannot declare the counting queue\n";
    return false;
  }
  counter.Start();
  auto applicants = UploadApplicants(stub, posting_id, posting_id.substr(0, 8), count, 16);
  for (size_t i = 0; i < applicants.size(); ++i) {
    applicants[i].request.set_request_id(absl::StrCat("durability-", i));
  }
  // Half submitted concurrently with the broker up; when a quarter is done the broker is
  // stopped; the other half is submitted concurrently while it is down; then it starts again.
  std::vector<Applicant*> first, second;
  for (int i = 0; i < count; ++i) (i < count / 2 ? first : second).push_back(&applicants[i]);
  const absl::Time start = absl::Now();
  Burst a(stub, first);
  a.Fire();
  while (a.done() < count / 4) absl::SleepFor(absl::Milliseconds(1));
  const bool restart = !stop_cmd.empty() && !start_cmd.empty();
  const absl::Time stop_at = absl::Now();
  const int rc_stop = restart ? RunCommand(stop_cmd) : 0;
  const absl::Time stopped_at = absl::Now();
  const int done_before_stop_returned = a.done();
  Burst b(stub, second);
  b.Fire();
  b.Wait();
  a.Wait();
  const uint64_t delivered_while_down = counter.distinct();
  const absl::Time submitted_at = absl::Now();
  const int rc_start = restart ? RunCommand(start_cmd) : 0;
  const absl::Time started_at = absl::Now();
  const bool all_delivered = [&] {
    const absl::Time until = absl::Now() + absl::Seconds(120);
    while (counter.distinct() < static_cast<size_t>(count) && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    return counter.distinct() >= static_cast<size_t>(count);
  }();
  const absl::Time delivered_at = absl::Now();
  const int stored = CountApplications(pg_uri, schema, posting_id);
  std::cout << absl::StrFormat(
      "\nDurability: %d submissions (%d+%d concurrent), RabbitMQ %s\n"
      "  stop command rc=%d after %d done, took %.1f s; second half submitted while down "
      "(all %d answered OK in %.1f s, %d retries);\n"
      "  events seen before the restart: %d; start command rc=%d took %.1f s;\n"
      "  stored applications: %d/%d; distinct application ids delivered: %zu/%d "
      "(%llu deliveries on the queue incl. earlier runs' events, consumer connected %d times),\n"
      "  last delivered %.1f s after the start command returned\n"
      "  => %s\n",
      count, count / 2, count - count / 2,
      restart ? "stopped and started in the middle" : "NOT restarted", rc_stop,
      done_before_stop_returned, absl::ToDoubleSeconds(stopped_at - stop_at), a.ok() + b.ok(),
      absl::ToDoubleSeconds(submitted_at - start), a.retries() + b.retries(),
      static_cast<int>(delivered_while_down), rc_start,
      absl::ToDoubleSeconds(started_at - submitted_at), stored, count, counter.distinct(), count,
      static_cast<unsigned long long>(counter.deliveries()), counter.reconnects(),
      absl::ToDoubleSeconds(delivered_at - started_at),
      stored == count && all_delivered ? "OK: every application stored, every event delivered"
                                       : "FAILED");
  return stored == count && all_delivered;
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = Flags(argc, argv);
  const int concurrency = IntFlag(flags, "concurrency", 16);
  const absl::Duration duration = absl::Seconds(IntFlag(flags, "seconds", 5));
  const int rounds = std::max(1, IntFlag(flags, "rounds", 5));
  const int durability = IntFlag(flags, "durability", 1000);
  const std::string pg_uri = StrFlag(flags, "pg-uri");
  const std::string schema = StrFlag(flags, "schema", "applications");
  const std::string amqp_uri = StrFlag(flags, "amqp-uri");
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(StrFlag(flags, "applications"),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = v1::ApplicationService::NewStub(channel);
  bench::Verdict verdict("applications");

  if (!flags.count("skip-throughput")) {
    const std::string posting_id = SeedPosting(pg_uri, schema);
    {
      auto conn = pg::ConnectWithSchema(pg_uri, schema, absl::Seconds(10));
      pqxx::nontransaction tx(**conn);
      std::cout << "synchronous_commit=" << tx.exec("SHOW synchronous_commit")[0][0].c_str()
                << " fsync=" << tx.exec("SHOW fsync")[0][0].c_str() << " (one server for both)\n";
    }
    // Calibrate: a short warm-up of each tells how many documents a measured round uses.
    auto warm = UploadApplicants(*stub, posting_id, posting_id.substr(0, 8) + "w", 3000, 16);
    std::atomic<size_t> next{0};
    std::atomic<int> exhausted{0};
    const auto warm_service = bench::RunClosedLoop("warm-up service", concurrency, absl::Seconds(2),
                                                   SubmitCall(*stub, warm, next, exhausted));
    const std::string tag = posting_id.substr(0, 8);
    auto base_warm = SeedBaselineDocuments(pg_uri, schema, tag + "w", 8000);
    Baseline baseline(pg_uri, schema, concurrency);
    std::atomic<size_t> base_next{0};
    std::atomic<int> base_exhausted{0};
    auto baseline_call = [&](std::vector<BaselineItem>& items) -> bench::AsyncCall {
      return [&, items = &items](int caller, std::function<void(bool)> done) {
        const size_t i = base_next++;
        if (i >= items->size()) {
          ++base_exhausted;
          std::thread([done] {
            absl::SleepFor(absl::Milliseconds(50));
            done(false);
          }).detach();
          return;
        }
        baseline.Post(caller, [&, items, caller, i, done] {
          done(BaselineSubmit(baseline.conn(caller), posting_id, (*items)[i], schema));
        });
      };
    };
    const auto warm_base = bench::RunClosedLoop("warm-up baseline", concurrency, absl::Seconds(2),
                                                baseline_call(base_warm));
    const double secs = absl::ToDoubleSeconds(duration);
    // Documents for a round: enough for twice (three times) the fastest rate seen so far
    // (the machine's load changes). Prepared before the side's measured period starts.
    double service_rate = warm_service.throughput(), baseline_rate = warm_base.throughput();
    std::cerr << absl::StrFormat("warm-up: service %.0f/s, baseline %.0f/s (%d exhausted)\n",
                                 warm_service.throughput(), warm_base.throughput(),
                                 exhausted.load() + base_exhausted.load());
    int total_exhausted = 0;
    std::vector<Applicant> pool;
    std::vector<BaselineItem> items;
    auto measure_baseline = [&](int round) {
      items = SeedBaselineDocuments(pg_uri, schema, absl::StrCat(tag, "r", round),
                                    static_cast<int>(baseline_rate * 3 * secs) + 500);
      base_next = 0;
      base_exhausted = 0;
      DrainOutbox(pg_uri, schema);
      auto r = bench::RunClosedLoop("libpqxx, same statements", concurrency, duration,
                                    baseline_call(items));
      baseline_rate = std::max(baseline_rate, r.throughput());
      total_exhausted += base_exhausted;
      return r;
    };
    auto measure_service = [&](int round) {
      pool = UploadApplicants(*stub, posting_id, absl::StrCat(tag, "r", round),
                              static_cast<int>(service_rate * 2 * secs) + 500, 16);
      next = 0;
      exhausted = 0;
      DrainOutbox(pg_uri, schema);
      auto r = bench::RunClosedLoop("SubmitApplication (service)", concurrency, duration,
                                    SubmitCall(*stub, pool, next, exhausted));
      service_rate = std::max(service_rate, r.throughput());
      total_exhausted += exhausted;
      return r;
    };
    const auto submit = bench::RunRounds("SubmitApplication / libpqxx (same statements)", rounds,
                                         measure_baseline, measure_service);
    std::cout << absl::StrFormat("rounds: %d, %.0f s per side per round, %d callers\n", rounds,
                                 secs, concurrency)
              << bench::FormatRounds(submit);
    verdict.NoErrors(submit);
    verdict.Check(total_exhausted == 0,
                  absl::StrCat("pre-uploaded documents sufficed (", total_exhausted,
                               " calls found none; counted as failed)"));
    verdict.Check(submit.median >= 0.6,
                  absl::StrFormat("target SubmitApplication / libpqxx >= 0.60: median %.2f "
                                  "(range %.2f-%.2f)",
                                  submit.median, submit.min, submit.max));
  }

  if (durability > 0) {
    verdict.Check(Durability(*stub, pg_uri, schema, amqp_uri, durability,
                             StrFlag(flags, "stop-cmd"), StrFlag(flags, "start-cmd")),
                  absl::StrCat("durability: ", durability,
                               " submissions across a RabbitMQ restart all stored and delivered"));
  }
  return verdict.Finish();
}
