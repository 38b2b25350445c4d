// scheduling_bench — BookSlot of a running stellenwerk-scheduling (issue 14), in one run:
//  * contention: `--clients` callers, one selection day of 20 slots per round and
//    `--attempts` applicants each trying one slot (most are refused: FAILED_PRECONDITION is
//    the expected answer, not an error); throughput of answers and p99, and after every round
//    the invariant checked in PostgreSQL: exactly 20 live bookings on the day, every slot
//    once, no application twice, as many OK answers as live bookings;
//  * uncontended: every call books a free slot for an application of its own; the service
//    against the same PostgreSQL transaction issued directly by libpqxx (the statements
//    BookSlot runs: idempotency lookup, invitation, slot and day, the day's slots, booking,
//    audit line, reminder timer, outbox row, idempotency record) on a copy of the data in
//    the schema <schema>_baseline, alternated in rounds (bench/load.h RunRounds).
// The service runs with the fake clock (set here to 2 February 2026 10:00 Berlin); the days
// are on Tuesday 10 March 2026. Setup seeds the posting and the invitations by SQL, the days
// through the service (CreateSelectionDay).
//
//   scheduling_bench --scheduling=127.0.0.1:P --pg=URI [--schema=scheduling] [--clients=64]
//                    [--attempts=2000] [--contention-rounds=5] [--rounds=5] [--concurrency=16]
//                    [--days=40]
// Each uncontended round books days*200/rounds slots per side (a fixed count, not a time).
// The JWT secret comes from STELLENWERK_JWT_HS256_SECRET. Exit status 0 only on PASS.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/calls.h"
#include "bench/load.h"
#include "common/auth/jwt.h"
#include "common/ids/uuid.h"
#include "common/pg/migrations.h"
#include "common/pg/pool.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "stellenwerk/scheduling/v1/scheduling.grpc.pb.h"
#include "stellenwerk/testing/v1/clock.grpc.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& SchedulingMigrations();
}

namespace {

using namespace stellenwerk;
using bench::Flags;
using bench::IntFlag;
using bench::StrFlag;
namespace v1 = stellenwerk::scheduling::v1;

struct Pair {
  std::string slot, application;
};

// The selection day `index` of the run: its own room, no committee, `count` slots of
// `minutes` from `start_hour`.
v1::CreateSelectionDayRequest DayRequest(const std::string& posting, const std::string& run,
                                         int index, int count, int minutes, int start_hour) {
  v1::CreateSelectionDayRequest r;
  r.set_request_id(absl::StrCat(run, "-day-", index));
  r.set_posting_id(posting);
  r.set_date("2026-03-10");
  r.set_start_time(absl::StrFormat("2026-03-10T%02d:00:00+01:00", start_hour));
  r.set_location("Rathaus");
  r.set_room(absl::StrCat("Bench ", run, " ", index));
  auto* p = r.add_parts();
  p->set_kind(v1::INTERVIEW);
  p->mutable_length()->set_seconds(minutes * 60);
  p->set_count(count);
  return r;
}

std::vector<std::string> SlotIds(v1::SchedulingService::Stub& stub, const std::string& token,
                                 const std::string& day) {
  std::vector<std::string> out;
  v1::ListSlotsRequest r;
  r.set_selection_day_id(day);
  r.set_page_size(200);
  do {
    v1::ListSlotsResponse page;
    grpc::Status s = stub.ListSlots(bench::Ctx(token).get(), r, &page);
    if (!s.ok()) {
      std::cerr << "ListSlots: " << s.error_message() << "\n";
      return {};
    }
    for (const auto& slot : page.slots()) out.push_back(slot.id());
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return out;
}

// BookSlot through the service's async stub.
void BookAsync(v1::SchedulingService::Stub& stub, const std::string& token, const Pair& p,
               std::function<void(grpc::Status)> done) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> ctx;
    v1::BookSlotRequest request;
    v1::Booking response;
  };
  auto call = std::make_shared<Call>();
  call->ctx = bench::Ctx(token);
  call->request.set_request_id(ids::NewUuid());
  call->request.set_slot_id(p.slot);
  call->request.set_application_id(p.application);
  call->request.set_mode(v1::IN_PERSON);
  stub.async()->BookSlot(call->ctx.get(), &call->request, &call->response,
                         [call, done = std::move(done)](grpc::Status s) { done(s); });
}

// `threads` connections on the baseline schema, each running queued transactions.
class SqlWorkers {
 public:
  SqlWorkers(const std::string& uri, const std::string& schema, int threads) {
    for (int i = 0; i < threads; ++i) {
      auto conn = pg::ConnectWithSchema(uri, schema, absl::Seconds(30));
      if (!conn.ok()) {
        std::cerr << "baseline: " << conn.status() << "\n";
        continue;
      }
      conns_.push_back(std::move(*conn));
    }
    for (auto& c : conns_) threads_.emplace_back([this, conn = c.get()] { Run(*conn); });
  }
  ~SqlWorkers() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Post(std::function<void(pqxx::connection&)> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Run(pqxx::connection& conn) {
    for (;;) {
      std::function<void(pqxx::connection&)> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task(conn);
    }
  }
  std::vector<std::unique_ptr<pqxx::connection>> conns_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(pqxx::connection&)>> tasks_;
  bool stop_ = false;
};

// The transaction BookSlot commits, issued directly (no gRPC, no protobuf, no ICS).
bool BaselineBook(pqxx::connection& conn, const std::string& tenant, const Pair& p) {
  try {
    pqxx::work tx(conn);
    const std::string request_id = ids::NewUuid();
    const std::string scope = absl::StrCat(tenant, "|staff");
    tx.exec_params(
        "SELECT request_hash, response FROM idempotency_keys WHERE scope = $1"
        " AND operation = 'BookSlot' AND request_id = $2",
        scope, request_id);
    auto inv = tx.exec_params(
        "SELECT status, applicant_sub, posting_id::text, self_booking, tenant_id FROM invitations"
        " WHERE application_id::text = $1 AND (tenant_id = $2 OR false)",
        p.application, tenant);
    if (inv.empty()) return false;
    auto slot = tx.exec_params(
        "SELECT s.selection_day_id::text, s.idx, s.part, micros(s.start_at), micros(s.end_at),"
        " d.data, d.barrier_free, d.video_available, d.posting_id::text FROM slots s"
        " JOIN selection_days d ON d.id = s.selection_day_id WHERE s.id::text = $1"
        " AND s.tenant_id = $2",
        p.slot, tenant);
    if (slot.empty()) return false;
    const std::string day = slot[0][0].as<std::string>();
    tx.exec_params(
        "SELECT idx, part, micros(start_at), micros(end_at) FROM slots"
        " WHERE selection_day_id = $1::uuid",
        day);
    const std::string id = ids::NewUuid();
    const int64_t start = slot[0][3].as<int64_t>(), end = slot[0][4].as<int64_t>();
    const std::string state(600, 'b');  // about the size of a Booking message
    tx.exec_params(
        "INSERT INTO bookings (id, tenant_id, selection_day_id, slot_id, application_id,"
        " applicant_sub, occupied, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
        " tstzrange(to_timestamp($7::double precision / 1e6), to_timestamp($8::double precision"
        " / 1e6)), $9, now(), now())",
        id, tenant, day, p.slot, p.application, inv[0][1].as<std::string>(), start, end,
        pg::Bytes(state));
    tx.exec_params(
        "INSERT INTO scheduling_audit (tenant_id, subject_kind, subject_id, action, actor, reason,"
        " at) VALUES ($1, 'booking', $2::uuid, 'CONFIRMED', 'bench-hr', '', now())",
        tenant, id);
    tx.exec_params(
        "INSERT INTO timers (kind, key, due_at, payload) VALUES ('scheduling.reminder', $1,"
        " to_timestamp($2::double precision / 1e6) - interval '48 hours', $3)"
        " ON CONFLICT (kind, key) DO UPDATE SET due_at = EXCLUDED.due_at,"
        " payload = EXCLUDED.payload, attempts = 0, last_error = NULL",
        id, start, pg::Bytes(std::to_string(start)));
    const std::string event(4000, 'e');  // about the size of BookingConfirmed with its ICS
    tx.exec_params(
        "INSERT INTO outbox (event_id, routing_key, tenant_id, correlation_id, payload,"
        " occur_time) VALUES ($1::uuid, 'scheduling.booking.confirmed.v1', $2, 'bench', $3,"
        " now())",
        ids::NewUuid(), tenant, pg::Bytes(event));
    tx.exec_params(
        "INSERT INTO idempotency_keys (scope, operation, request_id, request_hash, response)"
        " VALUES ($1, 'BookSlot', $2, 'h', $3)",
        scope, request_id, pg::Bytes(state));
    tx.commit();
    return true;
  } catch (const std::exception& e) {
    std::cerr << "baseline: " << e.what() << "\n";
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto flags = Flags(argc, argv);
  const std::string addr = StrFlag(flags, "scheduling", "127.0.0.1:59053");
  const std::string uri = StrFlag(flags, "pg");
  const std::string schema = StrFlag(flags, "schema", "scheduling");
  const int clients = IntFlag(flags, "clients", 64);
  const int attempts = IntFlag(flags, "attempts", 2000);
  const int contention_rounds = IntFlag(flags, "contention-rounds", 5);
  const int rounds = IntFlag(flags, "rounds", 5);
  const int concurrency = IntFlag(flags, "concurrency", 16);
  const int days = IntFlag(flags, "days", 40);
  bench::Verdict verdict("scheduling");

  const std::string run = ids::NewUuid().substr(0, 8);
  const std::string tenant = absl::StrCat("bench-", run);
  const std::string token = bench::StaffToken(tenant);
  const std::string posting = ids::NewUuid();
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto stub = v1::SchedulingService::NewStub(channel);
  {
    auto clock = testing::v1::ClockControl::NewStub(channel);
    testing::v1::SetTimeRequest r;
    *r.mutable_time() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(
            absl::FromCivil(absl::CivilSecond(2026, 2, 2, 10, 0, 0), calendar::Berlin())));
    testing::v1::ClockState out;
    grpc::ClientContext ctx;
    if (!clock->SetTime(&ctx, r, &out).ok()) {
      std::cerr << "scheduling_bench: the service must run with STELLENWERK_FAKE_CLOCK=1\n";
      return 1;
    }
  }

  // The posting and the invitations (as the consumers would have written them).
  const int uncontended_apps = days * 200;
  auto conn = pg::ConnectWithSchema(uri, schema, absl::Seconds(30));
  if (!conn.ok()) {
    std::cerr << "scheduling_bench: " << conn.status() << "\n";
    return 1;
  }
  {
    pqxx::work tx(**conn);
    tx.exec_params(
        "INSERT INTO posting_snapshots (posting_id, tenant_id, kennziffer, title, status,"
        " application_deadline, posting_kind, version) VALUES ($1, $2, '26/0042',"
        " 'Sachbearbeitung', 'CLOSED', '2026-02-20', 0, 1)",
        posting, tenant);
    tx.exec_params(
        "INSERT INTO invitations (application_id, tenant_id, posting_id, applicant_sub, status,"
        " updated_at) SELECT gen_random_uuid(), $1, $2::uuid, 'sub-' || g, 'INVITED', now()"
        " FROM generate_series(1, $3) g",
        tenant, posting, attempts + uncontended_apps);
    tx.commit();
  }
  std::vector<std::string> apps;
  {
    pqxx::work tx(**conn);
    for (const auto& row :
         tx.exec_params("SELECT application_id::text FROM invitations WHERE tenant_id = $1"
                        " ORDER BY application_id",
                        tenant)) {
      apps.push_back(row[0].as<std::string>());
    }
  }
  const std::vector<std::string> contenders(apps.begin(), apps.begin() + attempts);
  const std::vector<std::string> solo(apps.begin() + attempts, apps.end());

  // 1. Contention: a fresh day of 20 slots per round, `attempts` applicants at once.
  bench::LoadResult contention_all;
  contention_all.name = "BookSlot, 20 slots, contended";
  int invariant_failures = 0;
  uint64_t ok_total = 0;
  for (int round = 0; round < contention_rounds; ++round) {
    v1::SelectionDay day;
    grpc::Status s = stub->CreateSelectionDay(
        bench::Ctx(token).get(), DayRequest(posting, run, 1000 + round, 20, 30, 8), &day);
    if (!s.ok()) {
      std::cerr << "CreateSelectionDay: " << s.error_message() << "\n";
      return 1;
    }
    const auto slots = SlotIds(*stub, token, day.id());
    std::atomic<uint64_t> next{0}, ok{0};
    auto r = bench::RunClosedLoop(
        "BookSlot, 20 slots, contended", clients, absl::Seconds(600),
        [&](int, std::function<void(bool)> done) {
          const uint64_t i = next++;
          BookAsync(*stub, token, {slots[i % slots.size()], contenders[i % contenders.size()]},
                    [&ok, done](grpc::Status s) {
                      if (s.ok()) ++ok;
                      done(s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
                    });
        },
        attempts);
    bench::Merge(contention_all, r);
    ok_total += ok;
    pqxx::work tx(**conn);
    auto inv = tx.exec_params(
        "SELECT count(*), count(DISTINCT slot_id), count(DISTINCT application_id) FROM bookings"
        " WHERE selection_day_id = $1::uuid AND active",
        day.id());
    const int live = inv[0][0].as<int>();
    if (live != 20 || inv[0][1].as<int>() != 20 || inv[0][2].as<int>() != 20 ||
        static_cast<int>(ok) != live) {
      ++invariant_failures;
      std::cerr << "round " << round << ": " << live << " live bookings, " << inv[0][1].as<int>()
                << " slots, " << inv[0][2].as<int>() << " applications, " << ok << " OK answers\n";
    }
    std::cout << "round " << round + 1 << ": " << bench::FormatRow(r) << "\n";
  }
  std::cout << bench::FormatHeader() << bench::FormatRow(contention_all) << "\n";
  std::cout << absl::StrFormat(
      "contention: %d rounds x %d attempts by %d clients over 20 slots: %.0f answers/s, p99 "
      "%.1f ms, %d OK answers, invariant held in %d of %d rounds\n",
      contention_rounds, attempts, clients, contention_all.throughput(), contention_all.p99_ms,
      ok_total, contention_rounds - invariant_failures, contention_rounds);
  verdict.NoErrors(contention_all);
  verdict.Check(invariant_failures == 0,
                absl::StrCat("exactly 20 bookings per contended day, every slot once, no "
                             "application twice (",
                             contention_rounds - invariant_failures, "/", contention_rounds, ")"));

  // 2. Uncontended: days of 200 five-minute slots, one application per slot.
  std::vector<Pair> pairs;
  for (int d = 0; d < days; ++d) {
    v1::SelectionDay day;
    grpc::Status s = stub->CreateSelectionDay(bench::Ctx(token).get(),
                                              DayRequest(posting, run, d, 200, 5, 6), &day);
    if (!s.ok()) {
      std::cerr << "CreateSelectionDay: " << s.error_message() << "\n";
      return 1;
    }
    for (const auto& slot : SlotIds(*stub, token, day.id())) {
      pairs.push_back({slot, solo[pairs.size()]});
    }
  }
  // The baseline's copy of the same rows.
  const std::string shadow = schema + "_baseline";
  if (absl::Status s = pg::ApplyMigrations(
          uri, shadow,
          {{"platform", &pg::PlatformMigrations()}, {"scheduling", &pg::SchedulingMigrations()}});
      !s.ok()) {
    std::cerr << "scheduling_bench: baseline schema: " << s << "\n";
    return 1;
  }
  {
    pqxx::work tx(**conn);
    for (const char* table : {"posting_snapshots", "invitations", "selection_days", "slots"}) {
      tx.exec(absl::StrCat("INSERT INTO ", shadow, ".", table, " SELECT * FROM ", schema, ".",
                           table, " WHERE tenant_id = ", tx.quote(tenant)));
    }
    tx.commit();
  }
  const size_t per_side = pairs.size() / std::max(1, rounds);
  SqlWorkers workers(uri, shadow, concurrency);
  auto measure = [&](bool service, int round) {
    // Each side books the round's own `per_side` free slots (its schema has the same ones).
    std::atomic<size_t> next{static_cast<size_t>(round) * per_side};
    return bench::RunClosedLoop(
        service ? "service: BookSlot over gRPC" : "baseline: the same transaction by libpqxx",
        concurrency, absl::Seconds(600),
        [&, service](int, std::function<void(bool)> done) {
          const size_t i = next++;
          if (service) {
            BookAsync(*stub, token, pairs[i], [done](grpc::Status s) { done(s.ok()); });
          } else {
            workers.Post(
                [&, i, done](pqxx::connection& c) { done(BaselineBook(c, tenant, pairs[i])); });
          }
        },
        per_side);
  };
  auto rr = bench::RunRounds(
      "BookSlot uncontended: service / same transaction by libpqxx", rounds,
      [&](int round) { return measure(false, round); },
      [&](int round) { return measure(true, round); });
  std::cout << bench::FormatRounds(rr);
  verdict.NoErrors(rr);
  verdict.Check(rr.median > 0,
                absl::StrFormat("uncontended ratio measured: median %.2f (%.2f–%.2f)", rr.median,
                                rr.min, rr.max));
  return verdict.Finish();
}
