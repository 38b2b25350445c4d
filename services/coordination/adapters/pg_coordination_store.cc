#include "services/coordination/adapters/pg_coordination_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"

namespace stellenwerk::coordination {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

const char* SideColumn(Side side) {
  return side == Side::kCity ? "city_tenant_id" : "district_tenant_id";
}

std::string TimerPayload(const std::string& city, const std::string& office, Quarter q) {
  return absl::StrCat(city, "\n", office, "\n", FormatQuarter(q));
}
std::string TimerKey(const std::string& city, const std::string& office, Quarter q) {
  return absl::StrCat(city, "|", office, "|", FormatQuarter(q));
}

// The staffing_notices table's row mapping; the history lines are the audit.
pg::AggregateTable<v1::StaffingNotice, v1::HistoryEntry> NoticesTable() {
  pg::AggregateTable<v1::StaffingNotice, v1::HistoryEntry> t;
  t.table = "staffing_notices";
  t.noun = "staffing notice";
  t.write_row = [](pqxx::work& tx, const v1::StaffingNotice& next, const std::string& data,
                   int64_t version, bool insert, absl::Time now) {
    // A new notice's row was inserted by FileInTransaction under its one-per-hiring rule.
    if (insert) return;
    // Conditional on the version read under the row lock: a stale decision never lands.
    tx.exec_params(
        "UPDATE staffing_notices SET status = $2, version = $3, data = $4,"
        " updated_at = $5::timestamptz WHERE id = $1::uuid AND version = $6",
        next.id(), v1::NoticeStatus_Name(next.status()), version, pg::Bytes(data),
        pg::ToPgTimestamp(now), version - 1);
  };
  // Staffing events belong to the city: its applications service unblocks on them.
  t.tenant_of = [](const v1::StaffingNotice& n) { return n.city_tenant_id(); };
  t.write_audit = [](pqxx::work& tx, const Actor&, const v1::StaffingNotice& next,
                     const std::vector<v1::HistoryEntry>& lines, absl::Time) {
    for (const auto& h : lines) {
      tx.exec_params(
          "INSERT INTO notice_history (notice_id, at, actor_sub, actor_role, actor_tenant, action,"
          " details) VALUES ($1::uuid, $2::timestamptz, $3, $4, $5, $6, $7)",
          next.id(), pg::ToPgTimestamp(FromTs(h.time())), h.actor_sub(), h.actor_role(),
          h.actor_tenant(), h.action(), h.details());
    }
  };
  return t;
}

// Decision 0040: only a pair in force coordinates. The row is share-locked, so a concurrent
// EndCoordinationPair waits for what is filed under it (and what it ends comes after).
absl::Status RequirePair(pqxx::work& tx, const std::string& city, const std::string& district,
                         const char* what) {
  if (!tx.exec_params("SELECT 1 FROM coordination_pairs WHERE city_tenant_id = $1"
                      " AND district_tenant_id = $2 AND in_force_at IS NOT NULL"
                      " AND ended_at IS NULL FOR SHARE",
                      city, district)
           .empty()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(city, " and ", district, " are not a coordination pair in force, so ", what,
                   " is refused: the administrators of both tenants declare the pair first "
                   "(DeclareCoordinationPair; seed 004, \"Die Stadt und der Kreis vereinbaren\")"));
}

constexpr char kPairSelect[] =
    "SELECT p.city_tenant_id, p.district_tenant_id, p.city_declared_by, p.district_declared_by,"
    " micros(p.in_force_at), micros(p.ended_at), p.ended_by, h.head_sub"
    " FROM coordination_pairs p LEFT JOIN job_agency_heads h"
    " ON h.district_tenant_id = p.district_tenant_id ";

v1::CoordinationPair PairOf(const pqxx::row& r) {
  v1::CoordinationPair p;
  p.set_city_tenant_id(r[0].as<std::string>());
  p.set_district_tenant_id(r[1].as<std::string>());
  p.set_city_declared(!r[2].is_null());
  if (!r[2].is_null()) p.set_city_declared_by(r[2].as<std::string>());
  p.set_district_declared(!r[3].is_null());
  if (!r[3].is_null()) p.set_district_declared_by(r[3].as<std::string>());
  if (!r[4].is_null()) *p.mutable_in_force_time() = Ts(pg::FromMicros(r[4]));
  if (!r[5].is_null()) *p.mutable_end_time() = Ts(pg::FromMicros(r[5]));
  if (!r[6].is_null()) p.set_ended_by(r[6].as<std::string>());
  if (!r[7].is_null()) p.set_job_agency_head_sub(r[7].as<std::string>());
  p.set_in_force(p.has_in_force_time() && !p.has_end_time());
  return p;
}

// History is kept in notice_history, never inside the stored message.
Decide WithoutHistory(const Decide& decide) {
  return [&decide](const v1::StaffingNotice& current) -> absl::StatusOr<Change> {
    auto change = decide(current);
    if (change.ok()) change->next.clear_history();
    return change;
  };
}

}  // namespace

PgCoordinationStore::PgCoordinationStore(pg::Pool& db, std::string schema, const Clock& clock)
    : notices_(db, std::move(schema), clock, NoticesTable()) {}

absl::Status PgCoordinationStore::AfterWrite(pqxx::work& tx, const v1::StaffingNotice&,
                                             Change& change, const v1::StaffingNotice& next) {
  if (change.reduction.has_value()) {
    tx.exec_params(
        "INSERT INTO reimbursement_reductions (notice_id, city_tenant_id, district_tenant_id,"
        " year, amount_cents, data, recorded_at) VALUES ($1::uuid, $2, $3, $4, $5, $6,"
        " $7::timestamptz)",
        next.id(), next.city_tenant_id(), next.district_tenant_id(), change.reduction->year(),
        change.reduction->amount_cents(), pg::Bytes(change.reduction->SerializeAsString()),
        pg::ToPgTimestamp(notices_.clock().Now()));
  }
  switch (change.timer) {
    case WindowTimer::kSchedule:
      timers::Schedule(tx, kWindowTimerKind, next.id(), FromTs(next.window_end_time()));
      break;
    case WindowTimer::kCancel:
      timers::Cancel(tx, kWindowTimerKind, next.id());
      break;
    case WindowTimer::kKeep:
      break;
  }
  return absl::OkStatus();
}

v1::StaffingNotice PgCoordinationStore::Write(pqxx::work& tx, const Actor& actor,
                                              const v1::StaffingNotice& current, Change change,
                                              bool insert) {
  change.next.clear_history();
  v1::StaffingNotice written = notices_.Write(tx, actor, current, change, insert);
  AfterWrite(tx, current, change, written).IgnoreError();  // never fails
  return written;
}

absl::StatusOr<v1::StaffingNotice> PgCoordinationStore::File(const Actor& actor,
                                                             const IdempotencyRequest& idem,
                                                             const Build& build) {
  return pg::Command<v1::StaffingNotice>(notices_.db(), actor, idem, [&](pqxx::work& tx) {
    return FileInTransaction(tx, actor, build);
  });
}

absl::StatusOr<v1::StaffingNotice> PgCoordinationStore::FileInTransaction(pqxx::work& tx,
                                                                          const Actor& actor,
                                                                          const Build& build) {
  auto change = build(pg::NewAggregateId());
  if (!change.ok()) return change.status();
  v1::StaffingNotice& n = change->next;
  n.clear_history();
  if (absl::Status s =
          RequirePair(tx, n.city_tenant_id(), n.district_tenant_id(), "a staffing notice");
      !s.ok()) {
    return s;
  }
  const std::string data = n.SerializeAsString();
  const std::string now = pg::ToPgTimestamp(notices_.clock().Now());
  // One notice per proposed hiring: a second filing for the application returns the first.
  auto inserted = tx.exec_params(
      "INSERT INTO staffing_notices (id, city_tenant_id, district_tenant_id, application_id,"
      " regional_office, status, version, filed_at, window_end_at, data, updated_at)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6, 1, $7::timestamptz, $8::timestamptz, $9,"
      " $10::timestamptz) ON CONFLICT DO NOTHING RETURNING id",
      n.id(), n.city_tenant_id(), n.district_tenant_id(), n.application_id(), n.regional_office(),
      v1::NoticeStatus_Name(n.status()), pg::ToPgTimestamp(FromTs(n.file_time())),
      pg::ToPgTimestamp(FromTs(n.window_end_time())), pg::Bytes(data), now);
  if (inserted.empty()) {
    auto existing = tx.exec_params(
        "SELECT data, version FROM staffing_notices WHERE city_tenant_id = $1"
        " AND application_id = $2 AND application_id <> ''",
        n.city_tenant_id(), n.application_id());
    if (existing.empty()) return absl::AbortedError("concurrent filing; retry");
    v1::StaffingNotice found = pg::ParseAggregate<v1::StaffingNotice>(existing[0]);
    // A notice filed early by hand may already be decided when the hiring is proposed: the
    // proposal waits for an outcome that went out before it, so it goes out again (consumers
    // apply it only to a hiring that waits for it).
    Events outcome = OutcomeEvents(found);
    notices_.Publish(tx, actor, found.city_tenant_id(), outcome);
    return found;
  }
  EnsureObligation(tx, n.city_tenant_id(), n.regional_office(), n.district_tenant_id(),
                   notices_.clock().Now());
  return Write(tx, actor, v1::StaffingNotice(), *std::move(change), /*insert=*/true);
}

absl::StatusOr<v1::StaffingNotice> PgCoordinationStore::Update(const Actor& actor,
                                                               const IdempotencyRequest& idem,
                                                               const std::string& id, Side side,
                                                               const Decide& decide) {
  return notices_.Update<Change>(
      actor, idem, id, {SideColumn(side), actor.tenant}, WithoutHistory(decide),
      [this](pqxx::work& tx, const v1::StaffingNotice& current, Change& change,
             const v1::StaffingNotice& next) { return AfterWrite(tx, current, change, next); });
}

absl::Status PgCoordinationStore::WithdrawForApplicationInTransaction(
    pqxx::work& tx, const Actor& actor, const std::string& city, const std::string& application_id,
    const std::string& reason) {
  if (application_id.empty()) return absl::OkStatus();
  auto rows = tx.exec_params(
      "SELECT id::text FROM staffing_notices WHERE city_tenant_id = $1 AND application_id = $2"
      " AND status IN ('WINDOW_OPEN', 'IN_DISCUSSION')",
      city, application_id);
  for (const auto& row : rows) {
    auto current = notices_.Lock(tx, row[0].as<std::string>());
    if (!current.ok()) return current.status();
    // Checked again under the lock: a concurrent outcome wins, the notice stays as decided.
    if (current->status() != v1::WINDOW_OPEN && current->status() != v1::IN_DISCUSSION) continue;
    auto change = Withdraw(*current, actor, notices_.clock().Now(), reason);
    if (!change.ok()) return change.status();
    Write(tx, actor, *current, *std::move(change), /*insert=*/false);
  }
  return absl::OkStatus();
}

absl::Status PgCoordinationStore::ElapseWindowsInTransaction(pqxx::work& tx,
                                                             const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  const absl::Time now = notices_.clock().Now();
  const std::string now_text = pg::ToPgTimestamp(now);
  // Row locks in id order; a notice no longer WINDOW_OPEN has nothing left to clear.
  auto rows = tx.exec_params(
      "SELECT data, version FROM staffing_notices WHERE id = ANY($1::uuid[])"
      " AND status = 'WINDOW_OPEN' ORDER BY id FOR UPDATE",
      pg::TextArray(ids));
  std::vector<std::string> u_id, u_status, u_data;
  std::vector<int64_t> u_version;
  std::vector<std::string> h_notice, h_at, h_sub, h_role, h_tenant, h_action, h_details;
  std::vector<outbox::OutgoingEvent> events;
  for (const auto& row : rows) {
    const v1::StaffingNotice current = pg::ParseAggregate<v1::StaffingNotice>(row);
    // The fired timer is due by the scheduler's clock; judging again by a clock read later
    // (or set back, as a test's fake clock may be) must not leave the notice open for good.
    Change change = ElapseWindow(current, std::max(now, FromTs(current.window_end_time())));
    if (change.events.empty()) continue;
    Actor system = Actor::System("window", current.city_tenant_id(), "");
    system.sub = "system";
    system.role = "system";
    if (change.reduction.has_value() || change.timer != WindowTimer::kKeep) {
      Write(tx, system, current, std::move(change), /*insert=*/false);  // not set-based
      continue;
    }
    v1::StaffingNotice& next = change.next;
    next.clear_history();
    next.clear_etag();
    int64_t version = 0;
    absl::SimpleAtoi(current.etag(), &version);
    u_id.push_back(next.id());
    u_status.push_back(v1::NoticeStatus_Name(next.status()));
    u_version.push_back(version + 1);
    u_data.push_back(next.SerializeAsString());
    for (const auto& h : change.audit) {
      h_notice.push_back(next.id());
      h_at.push_back(pg::ToPgTimestamp(FromTs(h.time())));
      h_sub.push_back(h.actor_sub());
      h_role.push_back(h.actor_role());
      h_tenant.push_back(h.actor_tenant());
      h_action.push_back(h.action());
      h_details.push_back(h.details());
    }
    // Staffing events belong to the city: its applications service unblocks on them.
    const outbox::EventContext ctx{notices_.schema(), next.city_tenant_id(), system.correlation_id,
                                   system.sub, now};
    for (auto& event : change.events) events.push_back(outbox::Prepare(ctx, *event));
  }
  if (u_id.empty()) return absl::OkStatus();
  // Conditional on the versions read under the row locks: a stale decision never lands.
  auto updated = tx.exec_params(
      "UPDATE staffing_notices s SET status = u.status, version = u.version,"
      " data = decode(u.data, 'hex'), updated_at = $5::timestamptz"
      " FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[]) AS u(id, status, version,"
      " data) WHERE s.id = u.id AND s.version = u.version - 1",
      pg::TextArray(u_id), pg::TextArray(u_status), pg::IntArray(u_version), pg::HexArray(u_data),
      now_text);
  if (updated.affected_rows() != u_id.size()) {
    return absl::AbortedError("window batch: a notice changed under its lock; retry");
  }
  tx.exec_params(
      "INSERT INTO notice_history (notice_id, at, actor_sub, actor_role, actor_tenant, action,"
      " details) SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[],"
      " $5::text[], $6::text[], $7::text[])",
      pg::TextArray(h_notice), pg::TextArray(h_at), pg::TextArray(h_sub), pg::TextArray(h_role),
      pg::TextArray(h_tenant), pg::TextArray(h_action), pg::TextArray(h_details));
  outbox::EnqueueMany(tx, notices_.schema(), events);
  return absl::OkStatus();
}

absl::StatusOr<v1::StaffingNotice> PgCoordinationStore::Get(const std::string& id) {
  return pg::ReadValue<v1::StaffingNotice>(
      notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<v1::StaffingNotice> {
        auto rows =
            tx.exec_params("SELECT data, version FROM staffing_notices WHERE id = $1::uuid", id);
        if (rows.empty()) return notices_.NotFound(id);
        v1::StaffingNotice result = pg::ParseAggregate<v1::StaffingNotice>(rows[0]);
        for (const auto& h : tx.exec_params(
                 "SELECT seq, micros(at), actor_sub, actor_role, actor_tenant, action, details"
                 " FROM notice_history WHERE notice_id = $1::uuid ORDER BY seq",
                 id)) {
          auto* e = result.add_history();
          e->set_seq(h[0].as<int64_t>());
          *e->mutable_time() = Ts(pg::FromMicros(h[1]));
          e->set_actor_sub(h[2].as<std::string>());
          e->set_actor_role(h[3].as<std::string>());
          e->set_actor_tenant(h[4].as<std::string>());
          e->set_action(h[5].as<std::string>());
          e->set_details(h[6].as<std::string>());
        }
        return result;
      });
}

absl::StatusOr<NoticePage> PgCoordinationStore::List(const NoticeQuery& q) {
  std::string statuses = "{";
  for (size_t i = 0; i < q.statuses.size(); ++i) {
    absl::StrAppend(&statuses, i ? "," : "", v1::NoticeStatus_Name(q.statuses[i]));
  }
  statuses += "}";
  auto page = notices_.ListPage(
      absl::StrCat("SELECT data, version, micros(filed_at), id::text FROM staffing_notices WHERE ",
                   SideColumn(q.side),
                   " = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))"
                   " AND ($3 = '' OR regional_office = $3)"
                   " AND ($4::timestamptz IS NULL OR (filed_at, id) < ($4::timestamptz, $5::uuid))"
                   " ORDER BY filed_at DESC, id DESC LIMIT $6"),
      q.page_size, q.page_token, q.tenant, statuses, q.regional_office);
  if (!page.ok()) return page.status();
  return NoticePage{std::move(page->items), std::move(page->next_page_token)};
}

void PgCoordinationStore::EnsureObligation(pqxx::work& tx, const std::string& city,
                                           const std::string& office, const std::string& district,
                                           absl::Time now) {
  auto rows = tx.exec_params(
      "INSERT INTO base_data_obligations (city_tenant_id, regional_office, district_tenant_id)"
      " VALUES ($1, $2, $3) ON CONFLICT (city_tenant_id, regional_office) DO UPDATE"
      " SET district_tenant_id = EXCLUDED.district_tenant_id RETURNING (xmax = 0)",
      city, office, district);
  if (!rows.empty() && rows[0][0].as<bool>()) {
    // A new reporting office: from now on, every quarter must see a submission (seed 004, 6.:
    // "mindestens vierteljährlich").
    const Quarter q = QuarterOf(calendar::CivilDayInBerlin(now));
    timers::Schedule(tx, kBaseDataTimerKind, TimerKey(city, office, q), QuarterEnd(q),
                     TimerPayload(city, office, q));
  }
}

absl::Status PgCoordinationStore::CheckBaseDataInTransaction(pqxx::work& tx,
                                                             const timers::Timer& timer) {
  std::vector<std::string> parts = absl::StrSplit(timer.payload, '\n');
  if (parts.size() != 3) return absl::InvalidArgumentError("bad base-data timer payload");
  auto q = ParseQuarter(parts[2]);
  if (!q.ok()) return q.status();
  const std::string& city = parts[0];
  const std::string& office = parts[1];
  auto obligation = tx.exec_params(
      "SELECT district_tenant_id FROM base_data_obligations WHERE city_tenant_id = $1"
      " AND regional_office = $2",
      city, office);
  if (obligation.empty()) return absl::OkStatus();
  const std::string district = obligation[0][0].as<std::string>();
  const absl::Time due = QuarterEnd(*q);
  const absl::Time now = notices_.clock().Now();
  auto submitted = tx.exec_params(
      "SELECT 1 FROM base_data_submissions WHERE city_tenant_id = $1 AND regional_office = $2"
      " AND year = $3 AND quarter = $4 LIMIT 1",
      city, office, q->year, q->q);
  if (submitted.empty()) {
    auto flagged = tx.exec_params(
        "INSERT INTO base_data_overdue (city_tenant_id, regional_office, year, quarter,"
        " district_tenant_id, due_at, flagged_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz,"
        " $7::timestamptz) ON CONFLICT DO NOTHING RETURNING 1",
        city, office, q->year, q->q, district, pg::ToPgTimestamp(due), pg::ToPgTimestamp(now));
    if (!flagged.empty()) {
      events::v1::BaseDataOverdue e;
      e.set_city_tenant_id(city);
      e.set_district_tenant_id(district);
      e.set_regional_office(office);
      e.set_quarter(FormatQuarter(*q));
      *e.mutable_due_time() = Ts(due);
      outbox::Publish(tx, outbox::EventContext{notices_.schema(), city, "", "system", now}, e);
    }
  }
  // Arm the next quarter (a new key: this timer's row is deleted with this effect).
  const Quarter next = NextQuarter(*q);
  timers::Schedule(tx, kBaseDataTimerKind, TimerKey(city, office, next), QuarterEnd(next),
                   TimerPayload(city, office, next));
  return absl::OkStatus();
}

absl::StatusOr<v1::BaseDataSubmission> PgCoordinationStore::SubmitBaseData(
    const Actor& actor, const IdempotencyRequest& idem, v1::BaseDataSubmission s, Quarter quarter) {
  return pg::Command<v1::BaseDataSubmission>(
      notices_.db(), actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::BaseDataSubmission> {
        if (absl::Status st = RequirePair(tx, s.city_tenant_id(), s.district_tenant_id(),
                                          "base data (a base-data obligation)");
            !st.ok()) {
          return st;
        }
        v1::BaseDataSubmission result;
        // Serialise revisions of one (city, office) so numbers stay dense.
        tx.exec_params(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            absl::StrCat("coordination.base_data.", s.city_tenant_id(), "|", s.regional_office()));
        auto rev = tx.exec_params1(
            "SELECT COALESCE(max(revision), 0) + 1 FROM base_data_submissions WHERE"
            " city_tenant_id = $1 AND regional_office = $2 AND year = $3 AND quarter = $4",
            s.city_tenant_id(), s.regional_office(), quarter.year, quarter.q);
        result = s;
        result.set_revision(rev[0].as<int>());
        const absl::Time now = notices_.clock().Now();
        tx.exec_params(
            "INSERT INTO base_data_submissions (city_tenant_id, district_tenant_id, "
            "regional_office,"
            " year, quarter, revision, personnel_cost_cents, data, submitted_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz)",
            result.city_tenant_id(), result.district_tenant_id(), result.regional_office(),
            quarter.year, quarter.q, result.revision(), result.personnel_cost_cents(),
            pg::Bytes(result.SerializeAsString()), pg::ToPgTimestamp(now));
        tx.exec_params(
            "UPDATE base_data_overdue SET resolved_at = $5::timestamptz WHERE city_tenant_id = $1"
            " AND regional_office = $2 AND year = $3 AND quarter = $4 AND resolved_at IS NULL",
            result.city_tenant_id(), result.regional_office(), quarter.year, quarter.q,
            pg::ToPgTimestamp(now));
        EnsureObligation(tx, result.city_tenant_id(), result.regional_office(),
                         result.district_tenant_id(), now);
        return result;
      });
}

absl::StatusOr<std::vector<v1::OverdueBaseData>> PgCoordinationStore::ListOverdue(
    const std::string& city, const std::string& district) {
  using Result = std::vector<v1::OverdueBaseData>;
  return pg::ReadValue<Result>(notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    Result result;
    for (const auto& r : tx.exec_params(
             "SELECT city_tenant_id, district_tenant_id, regional_office, year, quarter,"
             " micros(due_at) FROM base_data_overdue WHERE resolved_at IS NULL"
             " AND ($1 = '' OR city_tenant_id = $1) AND ($2 = '' OR district_tenant_id = $2)"
             " ORDER BY city_tenant_id, regional_office, year, quarter LIMIT 10000",
             city, district)) {
      v1::OverdueBaseData o;
      o.set_city_tenant_id(r[0].as<std::string>());
      o.set_district_tenant_id(r[1].as<std::string>());
      o.set_regional_office(r[2].as<std::string>());
      o.set_quarter(FormatQuarter(Quarter{r[3].as<int>(), r[4].as<int>()}));
      *o.mutable_due_time() = Ts(pg::FromMicros(r[5]));
      result.push_back(std::move(o));
    }
    return result;
  });
}

absl::StatusOr<std::vector<v1::BaseDataSubmission>> PgCoordinationStore::LatestBaseData(
    const std::string& city, const std::string& district) {
  using Result = std::vector<v1::BaseDataSubmission>;
  return pg::ReadValue<Result>(notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    Result result;
    for (const auto& r : tx.exec_params(
             "SELECT DISTINCT ON (city_tenant_id, regional_office) data"
             " FROM base_data_submissions WHERE ($1 = '' OR city_tenant_id = $1)"
             " AND ($2 = '' OR district_tenant_id = $2)"
             " ORDER BY city_tenant_id, regional_office, year DESC, quarter DESC, revision DESC",
             city, district)) {
      v1::BaseDataSubmission s;
      s.ParseFromString(pg::BytesOf(r[0]));
      result.push_back(std::move(s));
    }
    return result;
  });
}

namespace {

absl::StatusOr<v1::ReimbursementStatus> ReadReimbursement(pqxx::work& tx, const std::string& city,
                                                          int year) {
  v1::ReimbursementStatus s;
  s.set_city_tenant_id(city);
  s.set_year(year);
  auto cap = tx.exec_params(
      "SELECT district_tenant_id, cap_cents FROM reimbursement_caps WHERE city_tenant_id = $1"
      " AND year = $2",
      city, year);
  if (!cap.empty()) {
    s.set_district_tenant_id(cap[0][0].as<std::string>());
    s.set_cap_cents(cap[0][1].as<int64_t>());
    s.set_cap_set(true);
  }
  // Claimed: the latest revision of each (office, quarter) of the year.
  auto claimed = tx.exec_params1(
      "SELECT COALESCE(sum(personnel_cost_cents), 0)::bigint FROM ("
      " SELECT DISTINCT ON (regional_office, quarter) personnel_cost_cents"
      " FROM base_data_submissions WHERE city_tenant_id = $1 AND year = $2"
      " ORDER BY regional_office, quarter, revision DESC) latest",
      city, year);
  s.set_claimed_cents(claimed[0].as<int64_t>());
  int64_t reductions = 0;
  for (const auto& r : tx.exec_params(
           "SELECT data FROM reimbursement_reductions WHERE city_tenant_id = $1 AND year = $2"
           " ORDER BY id",
           city, year)) {
    v1::ReimbursementReduction red;
    red.ParseFromString(pg::BytesOf(r[0]));
    reductions += red.amount_cents();
    *s.add_reductions() = std::move(red);
  }
  s.set_reductions_cents(reductions);
  ComputeReimbursement(s);
  return s;
}

}  // namespace

// City $1 and district $2 are or were a pair in force (decision 0040).
constexpr char kLinkedSql[] =
    "EXISTS (SELECT 1 FROM coordination_pairs WHERE city_tenant_id = $1"
    " AND district_tenant_id = $2 AND in_force_at IS NOT NULL)";

absl::StatusOr<v1::ReimbursementStatus> PgCoordinationStore::SetCap(const Actor& actor,
                                                                    const IdempotencyRequest& idem,
                                                                    const std::string& city,
                                                                    int year, int64_t cap_cents) {
  return pg::Command<v1::ReimbursementStatus>(
      notices_.db(), actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::ReimbursementStatus> {
        // Only the city's own district sets its cap: the pair must be in force — a cap alone
        // never makes a district the city's.
        if (absl::Status s = RequirePair(tx, city, actor.tenant, "a reimbursement cap"); !s.ok()) {
          return s;
        }
        auto rows = tx.exec_params(
            "INSERT INTO reimbursement_caps (city_tenant_id, year, district_tenant_id, cap_cents,"
            " set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)"
            " ON CONFLICT (city_tenant_id, year) DO UPDATE SET cap_cents = EXCLUDED.cap_cents,"
            " set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at"
            " WHERE reimbursement_caps.district_tenant_id = EXCLUDED.district_tenant_id RETURNING "
            "1",
            city, year, actor.tenant, cap_cents, actor.sub,
            pg::ToPgTimestamp(notices_.clock().Now()));
        if (rows.empty()) {
          return absl::NotFoundError(absl::StrCat("no reimbursement of ", city, " for ", year));
        }
        return ReadReimbursement(tx, city, year);
      });
}

absl::StatusOr<v1::ReimbursementStatus> PgCoordinationStore::Reimbursement(const std::string& city,
                                                                           int year) {
  return pg::ReadValue<v1::ReimbursementStatus>(
      notices_.db(), [&](pqxx::work& tx) { return ReadReimbursement(tx, city, year); });
}

absl::StatusOr<bool> PgCoordinationStore::Linked(const std::string& city,
                                                 const std::string& district) {
  return pg::ReadValue<bool>(notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<bool> {
    return tx.exec_params1(std::string("SELECT ") + kLinkedSql, city, district)[0].as<bool>();
  });
}

absl::StatusOr<v1::CoordinationPair> PgCoordinationStore::DeclarePair(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& city,
    const std::string& district) {
  return pg::Command<v1::CoordinationPair>(
      notices_.db(), actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::CoordinationPair> {
        // Serialise the declarations of one city: it has one district in force at a time.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                       absl::StrCat("coordination.pair.", city));
        const std::string now = pg::ToPgTimestamp(notices_.clock().Now());
        tx.exec_params(
            "INSERT INTO coordination_pairs (city_tenant_id, district_tenant_id) VALUES ($1, $2)"
            " ON CONFLICT (city_tenant_id, district_tenant_id) WHERE ended_at IS NULL DO NOTHING",
            city, district);
        const bool city_side = actor.tenant == city;
        tx.exec_params(city_side
                           ? "UPDATE coordination_pairs SET city_declared_by = $3,"
                             " city_declared_at = $4::timestamptz WHERE city_tenant_id = $1"
                             " AND district_tenant_id = $2 AND ended_at IS NULL"
                             " AND city_declared_by IS NULL"
                           : "UPDATE coordination_pairs SET district_declared_by = $3,"
                             " district_declared_at = $4::timestamptz WHERE city_tenant_id = $1"
                             " AND district_tenant_id = $2 AND ended_at IS NULL"
                             " AND district_declared_by IS NULL",
                       city, district, actor.sub, now);
        auto open = tx.exec_params(
            "SELECT id, city_declared_by IS NOT NULL AND district_declared_by IS NOT NULL,"
            " in_force_at IS NOT NULL FROM coordination_pairs WHERE city_tenant_id = $1"
            " AND district_tenant_id = $2 AND ended_at IS NULL",
            city, district);
        if (open.empty()) return absl::AbortedError("concurrent change of the pair; retry");
        const int64_t id = open[0][0].as<int64_t>();
        if (open[0][1].as<bool>() && !open[0][2].as<bool>()) {
          auto other = tx.exec_params(
              "SELECT district_tenant_id FROM coordination_pairs WHERE city_tenant_id = $1"
              " AND in_force_at IS NOT NULL AND ended_at IS NULL AND id <> $2",
              city, id);
          if (!other.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                city, " coordinates with ", other[0][0].as<std::string>(),
                "; a city has one district — end that pair first (EndCoordinationPair)"));
          }
          tx.exec_params(
              "UPDATE coordination_pairs SET in_force_at = $2::timestamptz WHERE id = $1", id, now);
        }
        return PairOf(tx.exec_params1(absl::StrCat(kPairSelect, "WHERE p.id = $1"), id));
      });
}

absl::StatusOr<v1::CoordinationPair> PgCoordinationStore::EndPair(const Actor& actor,
                                                                  const IdempotencyRequest& idem,
                                                                  const std::string& city,
                                                                  const std::string& district,
                                                                  const std::string& reason) {
  return pg::Command<v1::CoordinationPair>(
      notices_.db(), actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::CoordinationPair> {
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                       absl::StrCat("coordination.pair.", city));
        auto ended = tx.exec_params(
            "UPDATE coordination_pairs SET ended_at = $3::timestamptz, ended_by = $4,"
            " end_reason = $5 WHERE city_tenant_id = $1 AND district_tenant_id = $2"
            " AND ended_at IS NULL RETURNING id",
            city, district, pg::ToPgTimestamp(notices_.clock().Now()), actor.sub, reason);
        if (ended.empty()) {
          return absl::NotFoundError(
              absl::StrCat("no open coordination pair of ", city, " and ", district));
        }
        // The quarterly base data are owed to the pair: they end with it (the timer finds no
        // obligation and stops).
        tx.exec_params(
            "DELETE FROM base_data_obligations WHERE city_tenant_id = $1"
            " AND district_tenant_id = $2",
            city, district);
        return PairOf(tx.exec_params1(absl::StrCat(kPairSelect, "WHERE p.id = $1"),
                                      ended[0][0].as<int64_t>()));
      });
}

absl::StatusOr<std::vector<v1::CoordinationPair>> PgCoordinationStore::ListPairs(
    const std::string& tenant, bool include_ended) {
  using Result = std::vector<v1::CoordinationPair>;
  return pg::ReadValue<Result>(notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    Result out;
    for (const auto& r : tx.exec_params(
             absl::StrCat(kPairSelect,
                          "WHERE (p.city_tenant_id = $1 OR p.district_tenant_id = $1)"
                          " AND ($2 OR p.ended_at IS NULL) ORDER BY p.id DESC LIMIT 1000"),
             tenant, include_ended)) {
      out.push_back(PairOf(r));
    }
    return out;
  });
}

absl::StatusOr<std::optional<v1::CoordinationPair>> PgCoordinationStore::PairInForce(
    const std::string& city, const std::string& district) {
  using Result = std::optional<v1::CoordinationPair>;
  return pg::ReadValue<Result>(notices_.db(), [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    auto rows =
        tx.exec_params(absl::StrCat(kPairSelect,
                                    "WHERE p.city_tenant_id = $1 AND p.district_tenant_id = $2"
                                    " AND p.in_force_at IS NOT NULL AND p.ended_at IS NULL"),
                       city, district);
    if (rows.empty()) return Result();
    return Result(PairOf(rows[0]));
  });
}

absl::StatusOr<v1::JobAgency> PgCoordinationStore::SetJobAgencyHead(const Actor& actor,
                                                                    const IdempotencyRequest& idem,
                                                                    const std::string& head_sub) {
  return pg::Command<v1::JobAgency>(
      notices_.db(), actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::JobAgency> {
        const absl::Time now = notices_.clock().Now();
        tx.exec_params(
            "INSERT INTO job_agency_heads (district_tenant_id, head_sub, set_by, set_at)"
            " VALUES ($1, $2, $3, $4::timestamptz) ON CONFLICT (district_tenant_id) DO UPDATE"
            " SET head_sub = EXCLUDED.head_sub, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at",
            actor.tenant, head_sub, actor.sub, pg::ToPgTimestamp(now));
        v1::JobAgency out;
        out.set_district_tenant_id(actor.tenant);
        out.set_head_sub(head_sub);
        out.set_set_by(actor.sub);
        *out.mutable_set_time() = Ts(now);
        return out;
      });
}

absl::Status PgCoordinationStore::EraseCandidatesInTransaction(
    pqxx::work& tx, const std::string& city, const std::vector<std::string>& application_ids) {
  if (application_ids.empty()) return absl::OkStatus();
  auto rows = tx.exec_params(
      "SELECT id::text FROM staffing_notices WHERE city_tenant_id = $1"
      " AND application_id = ANY($2::text[]) AND application_id <> '' ORDER BY id",
      city, pg::TextArray(application_ids));
  Actor system = Actor::System("applications", city, "");
  system.sub = "system:erasure";
  system.role = "system";
  for (const auto& row : rows) {
    auto current = notices_.Lock(tx, row[0].as<std::string>());
    if (!current.ok()) return current.status();
    Change change = EraseCandidates(*current, notices_.clock().Now());
    if (change.audit.empty()) continue;  // erased already (a redelivery or a re-emitted event)
    Write(tx, system, *current, std::move(change), /*insert=*/false);
  }
  return absl::OkStatus();
}

}  // namespace stellenwerk::coordination
