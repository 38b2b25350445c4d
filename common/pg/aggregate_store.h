#pragma once
// One generic path for every service's aggregates (postings, applications, staffing notices):
// a mutating command is one transaction that replays the request id (or runs and remembers),
// locks the aggregate, lets the domain decide, and writes the next state with its events
// (outbox) and audit lines — so the state, its events and the idempotent answer commit
// together or not at all. An aggregate is one row `(id uuid, data bytea, version bigint, …)`:
// the message and its version, which is also its etag (docs/decisions/0005-postings-storage.md).
// A concrete store keeps only its SQL and row mapping (AggregateTable).

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock/clock.h"
#include "common/idempotency/idempotency.h"
#include "common/outbox/events.h"
#include "common/pg/keyset.h"
#include "common/pg/pool.h"
#include "common/store/command.h"

namespace stellenwerk::pg {

// A read through the pool that yields a value: one transaction, library errors mapped.
template <typename T>
absl::StatusOr<T> ReadValue(Pool& db, const std::function<absl::StatusOr<T>(pqxx::work&)>& fn) {
  std::optional<T> out;
  absl::Status s = db.Read([&](pqxx::work& tx) -> absl::Status {
    auto v = fn(tx);
    if (!v.ok()) return v.status();
    out = *std::move(v);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return *std::move(out);
}

// A mutating command: one transaction that answers a replayed request id with its first
// answer, or runs `effect` and remembers its answer with it. The key's scope is
// store::IdempotencyScope(actor); callers check roles before calling.
template <typename R>
absl::StatusOr<R> CommandInTransaction(
    pqxx::work& tx, const store::Actor& actor, const store::IdempotencyRequest& idem,
    const std::function<absl::StatusOr<R>(pqxx::work&)>& effect) {
  auto replay = idempotency::Replay<R>(tx, actor, idem);
  if (!replay.ok()) return replay.status();
  if (replay->has_value()) return **std::move(replay);
  auto out = effect(tx);
  if (!out.ok()) return out.status();
  idempotency::Remember(tx, actor, idem, *out);
  return out;
}
template <typename R>
absl::StatusOr<R> Command(Pool& db, const store::Actor& actor,
                          const store::IdempotencyRequest& idem,
                          const std::function<absl::StatusOr<R>(pqxx::work&)>& effect) {
  return ReadValue<R>(
      db, [&](pqxx::work& tx) { return CommandInTransaction<R>(tx, actor, idem, effect); });
}

// Which tenant column must hold the caller's tenant (NOT_FOUND otherwise); an empty column
// means any tenant (system work: consumers, timers).
struct TenantScope {
  std::string column;
  std::string tenant;
  static TenantScope Any() { return {}; }
};

// Parses the row (data, version) as the message it stores, the version as its etag.
template <typename State>
State ParseAggregate(const pqxx::row& row) {
  return ParseVersioned<State>(row);
}

// A keyset page of aggregates.
template <typename State>
struct Page {
  std::vector<State> items;
  std::string next_page_token;
};

// The row mapping of one aggregate table; everything else is generic.
template <typename State, typename Audit = store::AuditLine>
struct AggregateTable {
  std::string table;  // e.g. "postings"
  std::string noun;   // in NOT_FOUND messages, e.g. "posting"
  // INSERT (insert) or UPDATE of the row with its data, version and derived columns.
  std::function<void(pqxx::work& tx, const State& next, const std::string& data, int64_t version,
                     bool insert, absl::Time now)>
      write_row;
  // The tenant the aggregate's events belong to.
  std::function<std::string(const State&)> tenant_of;
  // Audit lines of a change; unset: the aggregate keeps none.
  std::function<void(pqxx::work& tx, const store::Actor& actor, const State& next,
                     const std::vector<Audit>& lines, absl::Time now)>
      write_audit;
  // Lets events carry the version just written (their snapshot was built before it was
  // numbered); unset: events are published as built.
  std::function<void(int64_t version, store::Events& events)> stamp_events;
};

template <typename State, typename Audit = store::AuditLine>
class AggregateStore {
 public:
  using Change = store::Change<State, Audit>;
  template <typename C>
  using Decide = std::function<absl::StatusOr<C>(const State& current)>;
  // What the concrete store does besides the generic write, in the same transaction (timers,
  // side tables); gets the change as decided and the state as written.
  template <typename C>
  using After = std::function<absl::Status(pqxx::work& tx, const State& current, C& change,
                                           const State& written)>;

  AggregateStore(Pool& db, std::string schema, const Clock& clock,
                 AggregateTable<State, Audit> table)
      : db_(db), schema_(std::move(schema)), clock_(clock), table_(std::move(table)) {}

  Pool& db() const { return db_; }
  const std::string& schema() const { return schema_; }
  const Clock& clock() const { return clock_; }

  // The aggregate `id` (within `scope`), or NOT_FOUND. One statement, no transaction.
  absl::StatusOr<State> Get(const std::string& id, const TenantScope& scope = {}) const {
    std::optional<State> out;
    absl::Status s = db_.ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
      auto rows = SelectOne(tx, id, scope, /*lock=*/false);
      if (rows.empty()) return NotFound(id);
      out = ParseAggregate<State>(rows[0]);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return *std::move(out);
  }

  // Locks the aggregate row for the transaction, or NOT_FOUND (also outside `scope`).
  absl::StatusOr<State> Lock(pqxx::work& tx, const std::string& id,
                             const TenantScope& scope = {}) const {
    auto rows = SelectOne(tx, id, scope, /*lock=*/true);
    if (rows.empty()) return NotFound(id);
    return ParseAggregate<State>(rows[0]);
  }

  // Writes a decided change: numbers the version (1 for an insert), writes the row, its audit
  // lines and its events. A change that alters nothing and publishes nothing writes nothing.
  // Returns the state as stored, with its etag.
  State Write(pqxx::work& tx, const store::Actor& actor, const State& current, Change& change,
              bool insert) const {
    State& next = change.next;
    const absl::Time now = clock_.Now();
    const bool unchanged = !insert && change.events.empty() && change.audit.empty() &&
                           next.SerializeAsString() == current.SerializeAsString();
    if (!unchanged) {
      int64_t version = 1;
      if (!insert && absl::SimpleAtoi(current.etag(), &version)) ++version;
      next.clear_etag();  // the version column is the etag; never stored twice
      table_.write_row(tx, next, next.SerializeAsString(), version, insert, now);
      next.set_etag(std::to_string(version));
      if (table_.stamp_events) table_.stamp_events(version, change.events);
    }
    if (table_.write_audit && !change.audit.empty()) {
      table_.write_audit(tx, actor, next, change.audit, now);
    }
    Publish(tx, actor, table_.tenant_of(next), change.events);
    return next;
  }

  // Publishes events for `tenant` as `actor` in the transaction (outbox).
  void Publish(pqxx::work& tx, const store::Actor& actor, const std::string& tenant,
               store::Events& events) const {
    if (events.empty()) return;
    const outbox::EventContext ctx{schema_, tenant, actor.correlation_id, actor.sub, clock_.Now()};
    for (auto& event : events) outbox::Publish(tx, ctx, *event);
  }

  // Command: insert the aggregate `build` makes for a new id.
  template <typename C = Change>
  absl::StatusOr<State> Insert(
      const store::Actor& actor, const store::IdempotencyRequest& idem,
      const std::function<absl::StatusOr<C>(pqxx::work&, const std::string& id)>& build,
      const After<C>& after = {}) const {
    return Command<State>(db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<State> {
      return InsertInTransaction<C>(tx, actor, build, after);
    });
  }
  template <typename C = Change>
  absl::StatusOr<State> InsertInTransaction(
      pqxx::work& tx, const store::Actor& actor,
      const std::function<absl::StatusOr<C>(pqxx::work&, const std::string& id)>& build,
      const After<C>& after = {}) const {
    auto change = build(tx, NewId());
    if (!change.ok()) return change.status();
    const State none;
    State written = Write(tx, actor, none, *change, /*insert=*/true);
    if (after) {
      if (absl::Status s = after(tx, none, *change, written); !s.ok()) return s;
    }
    return written;
  }

  // Command: lock `id` within `scope`, decide, write.
  template <typename C = Change>
  absl::StatusOr<State> Update(const store::Actor& actor, const store::IdempotencyRequest& idem,
                               const std::string& id, const TenantScope& scope,
                               const Decide<C>& decide, const After<C>& after = {}) const {
    return Command<State>(db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<State> {
      return UpdateInTransaction<C>(tx, actor, id, scope, decide, after);
    });
  }
  // The same inside the caller's transaction (consumers, timers, multi-aggregate commands).
  template <typename C = Change>
  absl::StatusOr<State> UpdateInTransaction(pqxx::work& tx, const store::Actor& actor,
                                            const std::string& id, const TenantScope& scope,
                                            const Decide<C>& decide,
                                            const After<C>& after = {}) const {
    auto current = Lock(tx, id, scope);
    if (!current.ok()) return current.status();
    return Apply<C>(tx, actor, *current, decide, after);
  }
  // Decides and writes a change of an aggregate the caller has locked.
  template <typename C = Change>
  absl::StatusOr<State> Apply(pqxx::work& tx, const store::Actor& actor, const State& current,
                              const Decide<C>& decide, const After<C>& after = {}) const {
    auto change = decide(current);
    if (!change.ok()) return change.status();
    State written = Write(tx, actor, current, *change, /*insert=*/false);
    if (after) {
      if (absl::Status s = after(tx, current, *change, written); !s.ok()) return s;
    }
    return written;
  }

  // One keyset page. `sql` selects (data, version, micros(<sort column>), id::text) in the
  // order of (<sort column>, id) and takes, after `params`, the cursor's time and id and the
  // row limit as its last three parameters, e.g. for two params:
  //   "... AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
  //    ORDER BY created_at DESC, id DESC LIMIT $5"
  template <typename... Params>
  absl::StatusOr<Page<State>> ListPage(const std::string& sql, int page_size,
                                       const std::string& page_token,
                                       const Params&... params) const {
    auto cursor = DecodeKeysetToken(page_token);
    if (!cursor.ok()) return cursor.status();
    Page<State> page;
    absl::Status s = db_.ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
      auto rows =
          tx.exec_params(sql, params..., cursor->after_time, cursor->after_id, page_size + 1);
      page = Page<State>();
      for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
        page.items.push_back(ParseAggregate<State>(rows[i]));
      }
      if (static_cast<int>(rows.size()) > page_size) {
        const auto& last = rows[page_size - 1];
        page.next_page_token =
            EncodeKeysetToken(FromMicros(last[2]), last[3].template as<std::string>());
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return page;
  }

  absl::Status NotFound(const std::string& id) const {
    return absl::NotFoundError(absl::StrCat(table_.noun, " ", id, " not found"));
  }

 private:
  static std::string NewId();

  template <typename Tx>
  pqxx::result SelectOne(Tx& tx, const std::string& id, const TenantScope& scope, bool lock) const {
    const std::string sql =
        absl::StrCat("SELECT data, version FROM ", table_.table, " WHERE id = $1::uuid",
                     scope.column.empty() ? "" : absl::StrCat(" AND ", scope.column, " = $2"),
                     lock ? " FOR UPDATE" : "");
    return scope.column.empty() ? tx.exec_params(sql, id) : tx.exec_params(sql, id, scope.tenant);
  }

  Pool& db_;
  const std::string schema_;
  const Clock& clock_;
  const AggregateTable<State, Audit> table_;
};

// ids::NewUuid without including it into every store.
std::string NewAggregateId();
template <typename State, typename Audit>
std::string AggregateStore<State, Audit>::NewId() {
  return NewAggregateId();
}

}  // namespace stellenwerk::pg
