#include "services/scheduling/adapters/pg_scheduling_store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/outbox/events.h"
#include "common/pg/aggregate_store.h"
#include "common/pg/keyset.h"
#include "common/time/berlin_calendar.h"
#include "services/scheduling/adapters/pg_scheduling_errors.h"
#include "services/scheduling/domain/access.h"
#include "services/scheduling/domain/appointment.h"
#include "services/scheduling/domain/selection_day_plan.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;
namespace ev = events::v1;

absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Status NotFound(std::string_view what, const std::string& id) {
  return absl::NotFoundError(absl::StrCat(std::string(what), " ", id, " not found"));
}

PartKind PartOf(int part) { return part == 1 ? PartKind::kWrittenTask : PartKind::kInterview; }

// A slot from the columns (idx, part, micros(start_at), micros(end_at)) starting at `first`.
GeneratedSlot SlotOf(const pqxx::row& row, int first) {
  return {row[first].as<int>(), PartOf(row[first + 1].as<int>()),
          absl::FromUnixMicros(row[first + 2].as<int64_t>()),
          absl::FromUnixMicros(row[first + 3].as<int64_t>())};
}

// Every slot of a day (an extension must not reach into any of them).
std::vector<GeneratedSlot> DaySlots(pqxx::work& tx, const std::string& day_id) {
  std::vector<GeneratedSlot> out;
  for (const auto& row :
       tx.exec_params("SELECT idx, part, micros(start_at), micros(end_at) FROM slots"
                      " WHERE selection_day_id = $1::uuid",
                      day_id)) {
    out.push_back(SlotOf(row, 0));
  }
  return out;
}

// One audit line in the transaction of the change.
void Audit(pqxx::work& tx, const store::Actor& actor, std::string_view kind,
           const std::string& subject_id, std::string_view action, const std::string& reason,
           absl::Time now) {
  tx.exec_params(
      "INSERT INTO scheduling_audit (tenant_id, subject_kind, subject_id, action, actor, reason,"
      " at) VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::timestamptz)",
      actor.tenant, std::string(kind), subject_id, std::string(action), actor.sub, reason,
      pg::ToPgTimestamp(now));
}

// A committee member sees only the days they sit on (the rest is NOT_FOUND to them).
bool Sees(const store::Actor& actor, const v1::SelectionDay& day) {
  if (!CommitteeOnly(actor)) return true;
  for (const auto& m : day.committee_member_ids()) {
    if (m == actor.sub) return true;
  }
  return false;
}

// An applicant acts on a booking only where the invitation allows self-booking and the day
// is not one HR books alone.
absl::Status CheckSelfBooking(const store::Actor& actor, bool invitation_allows,
                              const v1::SelectionDay& day) {
  if (!actor.applicant) return absl::OkStatus();
  if (!invitation_allows || day.hr_books_only()) {
    return absl::PermissionDeniedError(
        "the invitation does not allow self-booking; HR books this appointment");
  }
  return absl::OkStatus();
}

// Which selection days (alias d) a caller reaches, with $2 their tenant, $3 whether they act
// as an applicant and $4 their subject: staff their tenant's; an applicant those of a posting
// they have an application to that scheduling knows of.
constexpr char kDayScope[] =
    "((NOT $3 AND d.tenant_id = $2) OR ($3 AND EXISTS (SELECT 1 FROM invitations i"
    " WHERE i.posting_id = d.posting_id AND i.tenant_id = d.tenant_id AND i.applicant_sub = $4)))";

// The actor acting in `tenant`: staff act in their own; an applicant's token names no
// employer (the portal's), so an applicant acts in the tenant of their own application.
store::Actor InTenant(const store::Actor& actor, const std::string& tenant) {
  store::Actor as = actor;
  as.tenant = tenant;
  return as;
}

int PageSize(int requested) { return requested <= 0 ? 50 : std::min(requested, 200); }

// A booking the actor may change, locked: NOT_FOUND for another tenant's or another
// applicant's booking, PERMISSION_DENIED where the applicant may not book for themselves.
struct LockedBooking {
  v1::Booking booking;
  v1::SelectionDay day;
  std::string applicant_sub;
  int part = 0;                   // of the booked slot
  std::string invitation_status;  // "" without an invitation
  store::Actor as;                // the actor in the booking's tenant
};

absl::StatusOr<LockedBooking> LockBookingFor(pqxx::work& tx, const store::Actor& actor,
                                             const std::string& booking_id) {
  auto rows = tx.exec_params(
      "SELECT b.data, b.applicant_sub, d.data, s.part, i.status,"
      " coalesce(i.self_booking, true), b.tenant_id, b.version"
      " FROM bookings b JOIN selection_days d ON d.id = b.selection_day_id"
      " JOIN slots s ON s.id = b.slot_id"
      " LEFT JOIN invitations i ON i.application_id = b.application_id"
      " WHERE b.id::text = $1 AND (b.tenant_id = $2 OR $3) FOR UPDATE OF b",
      booking_id, actor.tenant, actor.applicant);
  if (rows.empty()) return NotFound("booking", booking_id);
  LockedBooking l;
  l.applicant_sub = rows[0][1].as<std::string>();
  if (actor.applicant && l.applicant_sub != actor.sub) return NotFound("booking", booking_id);
  l.as = InTenant(actor, rows[0][6].as<std::string>());
  l.booking.ParseFromString(pg::BytesOf(rows[0][0]));
  l.booking.set_etag(std::to_string(rows[0][7].as<int64_t>()));
  l.day.ParseFromString(pg::BytesOf(rows[0][2]));
  l.part = rows[0][3].as<int>();
  l.invitation_status = rows[0][4].is_null() ? "" : rows[0][4].as<std::string>();
  if (absl::Status s = CheckSelfBooking(actor, rows[0][5].as<bool>(), l.day); !s.ok()) return s;
  return l;
}

std::string Micros(const google::protobuf::Timestamp& t) {
  return std::to_string(absl::ToUnixMicros(FromTs(t)));
}

// One audit line per change of a day or booking, in the transaction of the change.
template <typename State>
std::function<void(pqxx::work&, const store::Actor&, const State&,
                   const std::vector<store::AuditLine>&, absl::Time)>
AuditInto(std::string kind) {
  return [kind](pqxx::work& tx, const store::Actor& actor, const State& next,
                const std::vector<store::AuditLine>& lines, absl::Time now) {
    for (const auto& line : lines) {
      tx.exec_params(
          "INSERT INTO scheduling_audit (tenant_id, subject_kind, subject_id, action, actor,"
          " reason, at) VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::timestamptz)",
          next.tenant_id(), kind, next.id(), line.action, actor.sub, line.reason,
          pg::ToPgTimestamp(now));
    }
  };
}

// A selection day: the message in `data`, the columns the constraints and queries need beside
// it (ADR 0024). Days are planned once; their slots and sittings are written with them.
pg::AggregateTable<v1::SelectionDay> DayTable() {
  pg::AggregateTable<v1::SelectionDay> t;
  t.table = "selection_days";
  t.noun = "selection day";
  t.write_row = [](pqxx::work& tx, const v1::SelectionDay& d, const std::string& data,
                   int64_t version, bool insert, absl::Time now) {
    // A video-only day without a room holds no room.
    const bool no_room = d.room().empty() && (d.video_available() || d.location().empty());
    if (insert) {
      tx.exec_params(
          "INSERT INTO selection_days (id, tenant_id, posting_id, day, location, room,"
          " room_key, barrier_free, video_available, span, data, version, created_at)"
          " VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9,"
          " tstzrange(to_timestamp($10::double precision / 1e6),"
          " to_timestamp($11::double precision / 1e6)), $12, $13, $14::timestamptz)",
          d.id(), d.tenant_id(), d.posting_id(), d.date(), d.location(), d.room(),
          no_room ? std::string() : RoomKey(d.location(), d.room()), d.barrier_free_room(),
          d.video_available(), Micros(d.start_time()), Micros(d.end_time()), pg::Bytes(data),
          version, pg::ToPgTimestamp(now));
      return;
    }
    tx.exec_params("UPDATE selection_days SET data = $2, version = $3 WHERE id = $1::uuid", d.id(),
                   pg::Bytes(data), version);
  };
  t.tenant_of = [](const v1::SelectionDay& d) { return d.tenant_id(); };
  t.write_audit = AuditInto<v1::SelectionDay>("selection_day");
  return t;
}

// A booking: the message in `data`; slot, day, the occupied range (extended by
// accommodations) and whether it is live are columns for the constraints of ADR 0024.
pg::AggregateTable<v1::Booking> BookingTable() {
  pg::AggregateTable<v1::Booking> t;
  t.table = "bookings";
  t.noun = "booking";
  t.write_row = [](pqxx::work& tx, const v1::Booking& b, const std::string& data, int64_t version,
                   bool insert, absl::Time now) {
    const bool active = b.status() == v1::CONFIRMED;
    if (insert) {
      // Whose it is comes from the invitation every booking is made for.
      tx.exec_params(
          "INSERT INTO bookings (id, tenant_id, selection_day_id, slot_id, application_id,"
          " applicant_sub, active, occupied, sequence, data, version, created_at, updated_at)"
          " SELECT $1, $2, $3, $4, $5, i.applicant_sub, $6,"
          " tstzrange(to_timestamp($7::double precision / 1e6),"
          " to_timestamp($8::double precision / 1e6)), $9, $10, $11, $12::timestamptz,"
          " $12::timestamptz FROM invitations i WHERE i.application_id = $5::uuid",
          b.id(), b.tenant_id(), b.selection_day_id(), b.slot_id(), b.application_id(), active,
          Micros(b.start_time()), Micros(b.end_time()), b.sequence(), pg::Bytes(data), version,
          pg::ToPgTimestamp(now));
      return;
    }
    tx.exec_params(
        "UPDATE bookings SET selection_day_id = $2, slot_id = $3, active = $4,"
        " occupied = tstzrange(to_timestamp($5::double precision / 1e6),"
        " to_timestamp($6::double precision / 1e6)), sequence = $7, data = $8, version = $9,"
        " updated_at = $10::timestamptz WHERE id = $1::uuid",
        b.id(), b.selection_day_id(), b.slot_id(), active, Micros(b.start_time()),
        Micros(b.end_time()), b.sequence(), pg::Bytes(data), version, pg::ToPgTimestamp(now));
  };
  t.tenant_of = [](const v1::Booking& b) { return b.tenant_id(); };
  t.write_audit = AuditInto<v1::Booking>("booking");
  return t;
}

using BookingChange = store::Change<v1::Booking>;
using DayChange = store::Change<v1::SelectionDay>;

// A cancelled booking is reminded of no more.
absl::Status DropReminder(pqxx::work& tx, const v1::Booking&, BookingChange&,
                          const v1::Booking& written) {
  timers::Cancel(tx, kReminderTimer, written.id());
  return absl::OkStatus();
}

template <typename E>
store::Events EventsOf(E e) {
  store::Events events;
  events.push_back(std::make_shared<E>(std::move(e)));
  return events;
}

}  // namespace

PgSchedulingStore::PgSchedulingStore(pg::Pool& db, std::string schema, const Clock& clock,
                                     absl::Duration reminder_lead, int internship_min_lead_days)
    : db_(db),
      schema_(std::move(schema)),
      clock_(clock),
      reminder_lead_(reminder_lead),
      internship_min_lead_days_(internship_min_lead_days),
      days_(db, schema_, clock, DayTable()),
      bookings_(db, schema_, clock, BookingTable()) {}

AppointmentFacts FactsOf(const v1::Booking& b, const v1::SelectionDay& day, const std::string& sub,
                         int part);

// The facts with the posting's title and Kennziffer (the mail names the post).
AppointmentFacts FactsWithPosting(pqxx::work& tx, const v1::Booking& b, const v1::SelectionDay& day,
                                  const std::string& sub, int part) {
  AppointmentFacts f = FactsOf(b, day, sub, part);
  auto rows =
      tx.exec_params("SELECT title, kennziffer FROM posting_snapshots WHERE posting_id::text = $1",
                     b.posting_id());
  if (!rows.empty()) {
    f.posting_title = rows[0][0].as<std::string>();
    f.kennziffer = rows[0][1].as<std::string>();
  }
  return f;
}

namespace {

// The cancellation of `current`: SEQUENCE + 1 (the calendar entry becomes METHOD:CANCEL), its
// event with the appointment as it was, and its audit line.
BookingChange Cancellation(pqxx::work& tx, const v1::Booking& current, const v1::SelectionDay& day,
                           const std::string& applicant_sub, int part, const std::string& reason,
                           const std::string& cause, absl::Time now) {
  BookingChange c;
  v1::Booking& b = c.next;
  b = current;
  b.set_status(v1::CANCELLED);
  b.set_sequence(b.sequence() + 1);
  b.set_cancel_reason(reason);
  *b.mutable_update_time() = Ts(now);
  ev::BookingCancelled e;
  *e.mutable_booking() = SnapshotOf(FactsWithPosting(tx, b, day, applicant_sub, part), now);
  e.set_reason(reason);
  e.set_cause(cause);
  c.events = EventsOf(std::move(e));
  c.audit.push_back({.action = "CANCELLED", .reason = reason});
  return c;
}

}  // namespace

void PgSchedulingStore::ApplyPosting(pqxx::work& tx, const ev::PostingSnapshot& p) {
  std::optional<std::string> deadline;
  if (!p.application_deadline().empty()) deadline = p.application_deadline();
  tx.exec_params(
      "INSERT INTO posting_snapshots (posting_id, tenant_id, kennziffer, title, status,"
      " application_deadline, posting_kind, version) VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8)"
      " ON CONFLICT (posting_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
      " kennziffer = EXCLUDED.kennziffer, title = EXCLUDED.title, status = EXCLUDED.status,"
      " application_deadline = EXCLUDED.application_deadline,"
      " posting_kind = EXCLUDED.posting_kind, version = EXCLUDED.version"
      " WHERE posting_snapshots.version < EXCLUDED.version",
      p.posting_id(), p.tenant_id(), p.kennziffer(), p.title(), p.status(), deadline,
      p.posting_kind(), p.version());
}

void PgSchedulingStore::ApplyApplicationSubmitted(pqxx::work& tx, const std::string& tenant,
                                                  const std::string& application_id,
                                                  const std::string& posting_id,
                                                  const std::string& applicant_sub) {
  tx.exec_params(
      "INSERT INTO invitations (application_id, tenant_id, posting_id, applicant_sub, status,"
      " updated_at) VALUES ($1, $2, $3, $4, 'RECEIVED', $5::timestamptz)"
      " ON CONFLICT (application_id) DO NOTHING",
      application_id, tenant, posting_id, applicant_sub, pg::ToPgTimestamp(clock_.Now()));
}

absl::Status PgSchedulingStore::ApplyApplicationStatus(pqxx::work& tx, const std::string& tenant,
                                                       const std::string& application_id,
                                                       const std::string& posting_id,
                                                       const std::string& applicant_sub,
                                                       const std::string& status,
                                                       const std::string& correlation_id) {
  tx.exec_params(
      "INSERT INTO invitations (application_id, tenant_id, posting_id, applicant_sub, status,"
      " updated_at, invited_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz,"
      " CASE WHEN $5 = 'INVITED' THEN $6::timestamptz END)"
      " ON CONFLICT (application_id) DO UPDATE SET status = EXCLUDED.status,"
      " updated_at = EXCLUDED.updated_at,"
      " invited_at = coalesce(invitations.invited_at, EXCLUDED.invited_at),"
      " version = invitations.version + 1"
      // WITHDRAWN and REJECTED end an application for good: a status event of before that
      // arriving late (redelivered, out of order) does not reopen the invitation.
      " WHERE invitations.status NOT IN ('WITHDRAWN', 'REJECTED')",
      application_id, tenant, posting_id, applicant_sub, status, pg::ToPgTimestamp(clock_.Now()));
  if (ActionFor(status) != InvitationAction::kCancel) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  const store::Actor system = store::Actor::System("applications", tenant, correlation_id);
  for (const auto& row : tx.exec_params(
           "SELECT b.data, b.version, b.applicant_sub, d.data, s.part FROM bookings b"
           " JOIN selection_days d ON d.id = b.selection_day_id JOIN slots s ON s.id = b.slot_id"
           " WHERE b.application_id::text = $1 AND b.tenant_id = $2 AND b.active FOR UPDATE OF b",
           application_id, tenant)) {
    v1::SelectionDay day;
    day.ParseFromString(pg::BytesOf(row[3]));
    auto cancelled = bookings_.Apply<BookingChange>(
        tx, system, pg::ParseVersioned<v1::Booking>(row),
        [&](const v1::Booking& current) -> absl::StatusOr<BookingChange> {
          const bool withdrawn = status == "WITHDRAWN";
          return Cancellation(tx, current, day, row[2].as<std::string>(), row[4].as<int>(),
                              withdrawn ? "Bewerbung zurückgezogen" : "Absage",
                              withdrawn ? "APPLICATION_WITHDRAWN" : "APPLICATION_REJECTED", now);
        },
        DropReminder);
    if (!cancelled.ok()) return cancelled.status();
  }
  return absl::OkStatus();
}

void PgSchedulingStore::EraseApplications(pqxx::work& tx,
                                          const std::vector<std::string>& application_ids) {
  const std::string ids = pg::TextArray(application_ids);
  for (const auto& row : tx.exec_params(
           "DELETE FROM bookings WHERE application_id::text = ANY($1::text[]) RETURNING id::text",
           ids)) {
    timers::Cancel(tx, kReminderTimer, row[0].as<std::string>());
    tx.exec_params("DELETE FROM scheduling_audit WHERE subject_id = $1::uuid",
                   row[0].as<std::string>());
  }
  tx.exec_params("DELETE FROM scheduling_audit WHERE subject_id::text = ANY($1::text[])", ids);
  tx.exec_params("DELETE FROM invitations WHERE application_id::text = ANY($1::text[])", ids);
  tx.exec_params("DELETE FROM internship_requests WHERE application_id::text = ANY($1::text[])",
                 ids);
}

absl::StatusOr<v1::SelectionDay> PgSchedulingStore::CreateSelectionDay(
    const store::Actor& actor, const v1::CreateSelectionDayRequest& r) {
  const auto idem = store::IdempotencyRequest::Of("CreateSelectionDay", r.request_id(), r);
  return pg::Command<v1::SelectionDay>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::SelectionDay> {
        return MapConstraintsOr<v1::SelectionDay>([&]() -> absl::StatusOr<v1::SelectionDay> {
          PostingView posting;
          auto rows = tx.exec_params(
              "SELECT tenant_id, status, application_deadline::text, posting_kind, kennziffer,"
              " title FROM posting_snapshots WHERE posting_id::text = $1 AND tenant_id = $2",
              r.posting_id(), actor.tenant);
          if (rows.empty()) return NotFound("posting", r.posting_id());
          posting.posting_id = r.posting_id();
          posting.tenant_id = rows[0][0].as<std::string>();
          posting.status = rows[0][1].as<std::string>();
          if (!rows[0][2].is_null()) {
            auto d = cal::ParseIsoDate(rows[0][2].as<std::string>());
            if (d.ok()) posting.application_deadline = *d;
          }
          posting.posting_kind = rows[0][3].as<int>();
          const absl::Time now = clock_.Now();
          // The tenant's other days around that date, for a precise conflict message (the
          // exclusion constraints are the guarantee).
          std::vector<Occupancy> others;
          for (const auto& row : tx.exec_params(
                   "SELECT d.id::text, d.location, d.room, micros(lower(d.span)),"
                   " micros(upper(d.span)), coalesce(array_agg(c.member_id)"
                   " FILTER (WHERE c.member_id IS NOT NULL), '{}')::text[] FROM selection_days d"
                   " LEFT JOIN committee_sittings c ON c.selection_day_id = d.id"
                   " WHERE d.tenant_id = $1 AND d.day BETWEEN $2::date - 1 AND $2::date + 1"
                   " GROUP BY d.id",
                   actor.tenant, r.date().empty() ? "1970-01-01" : r.date())) {
            Occupancy o;
            o.selection_day_id = row[0].as<std::string>();
            o.location = row[1].as<std::string>();
            o.room = row[2].as<std::string>();
            o.start = absl::FromUnixMicros(row[3].as<int64_t>());
            o.end = absl::FromUnixMicros(row[4].as<int64_t>());
            auto arr = row[5].as_array();
            for (auto e = arr.get_next(); e.first != pqxx::array_parser::juncture::done;
                 e = arr.get_next()) {
              if (e.first == pqxx::array_parser::juncture::string_value) {
                o.committee_member_ids.push_back(e.second);
              }
            }
            others.push_back(std::move(o));
          }
          std::vector<GeneratedSlot> slots;
          std::vector<std::string> members;
          return days_.InsertInTransaction<DayChange>(
              tx, actor,
              [&](pqxx::work&, const std::string& id) -> absl::StatusOr<DayChange> {
                auto plan = PlanSelectionDay(r, posting, now, others, id);
                if (!plan.ok()) return plan.status();
                DayChange c;
                c.next = plan->day;
                c.next.set_hr_books_only(r.hr_books_only());
                slots = plan->slots;
                members = plan->occupancy.committee_member_ids;
                const v1::SelectionDay& day = c.next;
                ev::SelectionDayScheduled e;
                e.set_selection_day_id(id);
                e.set_posting_id(r.posting_id());
                e.set_date(day.date());
                e.set_location(r.location());
                e.set_room(r.room());
                e.set_video_available(r.video_available());
                *e.mutable_start_time() = day.start_time();
                *e.mutable_end_time() = day.end_time();
                e.set_start_local_text(GermanLocalText(plan->occupancy.start));
                e.set_end_local_text(GermanLocalText(plan->occupancy.end));
                e.set_slot_count(day.slot_count());
                for (const auto& m : r.committee_member_ids()) e.add_committee_member_ids(m);
                e.set_kennziffer(rows[0][4].as<std::string>());
                e.set_posting_title(rows[0][5].as<std::string>());
                e.set_barrier_free_room(r.barrier_free_room());
                c.events = EventsOf(std::move(e));
                c.audit.push_back({.action = "SCHEDULED"});
                return c;
              },
              [&](pqxx::work& tx, const v1::SelectionDay&, DayChange&,
                  const v1::SelectionDay& written) -> absl::Status {
                for (const auto& m : members) {
                  tx.exec_params(
                      "INSERT INTO committee_sittings (tenant_id, selection_day_id, member_id,"
                      " span) SELECT tenant_id, id, $2, span FROM selection_days WHERE id = $1",
                      written.id(), m);
                }
                for (const auto& s : slots) {
                  tx.exec_params(
                      "INSERT INTO slots (id, tenant_id, selection_day_id, idx, part, start_at,"
                      " end_at) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision /"
                      " 1e6), to_timestamp($7::double precision / 1e6))",
                      ids::NewUuid(), written.tenant_id(), written.id(), s.index,
                      s.kind == PartKind::kWrittenTask ? 1 : 2, absl::ToUnixMicros(s.start),
                      absl::ToUnixMicros(s.end));
                }
                return absl::OkStatus();
              });
        });
      });
}

absl::StatusOr<v1::Booking> PgSchedulingStore::BookSlot(const store::Actor& actor,
                                                        const v1::BookSlotRequest& r) {
  const auto idem = store::IdempotencyRequest::Of("BookSlot", r.request_id(), r);
  return pg::Command<v1::Booking>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Booking> {
        return MapConstraintsOr<v1::Booking>([&]() -> absl::StatusOr<v1::Booking> {
          if (r.slot_id().empty()) return errors::InvalidField("slot_id", "is required");
          if (r.application_id().empty()) {
            return errors::InvalidField("application_id", "is required");
          }
          if (r.mode() == v1::BOOKING_MODE_UNSPECIFIED) {
            return errors::InvalidField("mode", "IN_PERSON or VIDEO");
          }
          auto inv = tx.exec_params(
              "SELECT status, applicant_sub, posting_id::text, self_booking, tenant_id"
              " FROM invitations WHERE application_id::text = $1 AND (tenant_id = $2 OR $3)",
              r.application_id(), actor.tenant, actor.applicant);
          if (inv.empty()) return NotFound("application", r.application_id());
          const std::string applicant_sub = inv[0][1].as<std::string>();
          if (actor.applicant && applicant_sub != actor.sub) {
            return NotFound("application", r.application_id());  // own application only
          }
          const store::Actor as = InTenant(actor, inv[0][4].as<std::string>());
          auto slot = tx.exec_params(
              "SELECT s.selection_day_id::text, s.idx, s.part, micros(s.start_at),"
              " micros(s.end_at), d.data, d.barrier_free, d.video_available, d.posting_id::text"
              " FROM slots s JOIN selection_days d ON d.id = s.selection_day_id"
              " WHERE s.id::text = $1 AND s.tenant_id = $2",
              r.slot_id(), as.tenant);
          if (slot.empty()) return NotFound("slot", r.slot_id());
          v1::SelectionDay day;
          day.ParseFromString(pg::BytesOf(slot[0][5]));
          const std::string day_id = slot[0][0].as<std::string>();
          if (absl::Status s = CheckSelfBooking(actor, inv[0][3].as<bool>(), day); !s.ok()) {
            return s;
          }
          if (inv[0][2].as<std::string>() != slot[0][8].as<std::string>()) {
            return absl::FailedPreconditionError("the slot belongs to another posting's day");
          }
          if (r.mode() == v1::VIDEO && !slot[0][7].as<bool>()) {
            return absl::FailedPreconditionError("this selection day offers no video");
          }
          const absl::Time now = clock_.Now();
          const GeneratedSlot g = SlotOf(slot[0], 1);
          // Taken already? Answered from what is committed, without writing: the refusal
          // under contention is cheap. A booking committing meanwhile is caught by the
          // constraints (ADR 0024), which stay the guarantee.
          auto held = tx.exec_params(
              "SELECT coalesce(bool_or(slot_id = $2::uuid), false),"
              " coalesce(bool_or(application_id = $3::uuid), false) FROM bookings"
              " WHERE selection_day_id = $1::uuid AND active"
              " AND (slot_id = $2::uuid OR application_id = $3::uuid)",
              day_id, r.slot_id(), r.application_id());
          if (absl::Status s = CheckBookable({g.start, now, inv[0][0].as<std::string>(),
                                              held[0][1].as<bool>(), held[0][0].as<bool>()});
              !s.ok()) {
            return s;
          }
          const Accommodations acc{r.accommodations().barrier_free_room(),
                                   r.accommodations().extra_written_minutes()};
          auto end = AccommodatedEnd(g, acc, slot[0][6].as<bool>(), DaySlots(tx, day_id));
          if (!end.ok()) return end.status();

          return bookings_.InsertInTransaction<BookingChange>(
              tx, as,
              [&](pqxx::work& tx, const std::string& id) -> absl::StatusOr<BookingChange> {
                BookingChange c;
                v1::Booking& b = c.next;
                b.set_id(id);
                b.set_tenant_id(as.tenant);
                b.set_selection_day_id(day_id);
                b.set_slot_id(r.slot_id());
                b.set_application_id(r.application_id());
                b.set_posting_id(day.posting_id());
                b.set_mode(r.mode());
                *b.mutable_accommodations() = r.accommodations();
                b.set_status(v1::CONFIRMED);
                *b.mutable_start_time() = Ts(g.start);
                *b.mutable_end_time() = Ts(*end);
                b.set_sequence(0);
                b.set_ics_uid(IcsUid(b.id()));
                b.set_booked_by(actor.applicant ? "APPLICANT" : "HR");
                *b.mutable_create_time() = Ts(now);
                *b.mutable_update_time() = Ts(now);
                ev::BookingConfirmed e;
                *e.mutable_booking() = SnapshotOf(
                    FactsWithPosting(tx, b, day, applicant_sub, slot[0][2].as<int>()), now);
                c.events = EventsOf(std::move(e));
                c.audit.push_back({.action = "CONFIRMED"});
                return c;
              },
              [this, now](pqxx::work& tx, const v1::Booking&, BookingChange&,
                          const v1::Booking& written) { return MoveReminder(tx, written, now); });
        });
      });
}

absl::StatusOr<v1::Booking> PgSchedulingStore::CancelBooking(const store::Actor& actor,
                                                             const v1::CancelBookingRequest& r) {
  const auto idem = store::IdempotencyRequest::Of("CancelBooking", r.request_id(), r);
  return pg::Command<v1::Booking>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Booking> {
        auto locked = LockBookingFor(tx, actor, r.booking_id());
        if (!locked.ok()) return locked.status();
        return bookings_.Apply<BookingChange>(
            tx, locked->as, locked->booking,
            [&](const v1::Booking& current) -> absl::StatusOr<BookingChange> {
              if (current.status() == v1::CANCELLED) {
                return absl::FailedPreconditionError("the booking is already cancelled");
              }
              return Cancellation(tx, current, locked->day, locked->applicant_sub, locked->part,
                                  r.reason(), actor.applicant ? "BY_APPLICANT" : "BY_HR",
                                  clock_.Now());
            },
            DropReminder);
      });
}

absl::Status PgSchedulingStore::MoveReminder(pqxx::work& tx, const v1::Booking& b,
                                             absl::Time now) const {
  timers::Cancel(tx, kReminderTimer, b.id());
  const absl::Time start = FromTs(b.start_time());
  if (auto due = ReminderDueTime(start, reminder_lead_, now)) {
    timers::Schedule(tx, kReminderTimer, b.id(), *due, std::to_string(absl::ToUnixMicros(start)));
  }
  return absl::OkStatus();
}

AppointmentFacts FactsOf(const v1::Booking& b, const v1::SelectionDay& day, const std::string& sub,
                         int part) {
  AppointmentFacts f;
  f.booking_id = b.id();
  f.selection_day_id = b.selection_day_id();
  f.slot_id = b.slot_id();
  f.application_id = b.application_id();
  f.posting_id = b.posting_id();
  f.applicant_sub = sub;
  f.tenant_id = b.tenant_id();
  f.part = part == 1 ? PartKind::kWrittenTask : PartKind::kInterview;
  f.start = FromTs(b.start_time());
  f.end = FromTs(b.end_time());
  f.video = b.mode() == v1::VIDEO;
  f.location = day.location();
  f.room = day.room();
  f.video_url = day.video_url();
  f.accommodations = {b.accommodations().barrier_free_room(),
                      b.accommodations().extra_written_minutes()};
  f.sequence = b.sequence();
  f.cancelled = b.status() == v1::CANCELLED;
  f.booked_by = b.booked_by();
  return f;
}

absl::StatusOr<v1::Booking> PgSchedulingStore::RescheduleBooking(
    const store::Actor& actor, const v1::RescheduleBookingRequest& r) {
  const auto idem = store::IdempotencyRequest::Of("RescheduleBooking", r.request_id(), r);
  return pg::Command<v1::Booking>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Booking> {
        return MapConstraintsOr<v1::Booking>([&]() -> absl::StatusOr<v1::Booking> {
          if (r.slot_id().empty()) return errors::InvalidField("slot_id", "is required");
          auto locked = LockBookingFor(tx, actor, r.booking_id());
          if (!locked.ok()) return locked.status();
          v1::Booking& b = locked->booking;
          const store::Actor& as = locked->as;
          if (b.status() == v1::CANCELLED) {
            return absl::FailedPreconditionError("the booking is cancelled");
          }
          if (r.slot_id() == b.slot_id()) {
            return absl::FailedPreconditionError("the booking is already in this slot");
          }
          auto slot = tx.exec_params(
              "SELECT s.selection_day_id::text, s.idx, s.part, micros(s.start_at),"
              " micros(s.end_at), d.data, d.barrier_free, d.posting_id::text"
              " FROM slots s JOIN selection_days d ON d.id = s.selection_day_id"
              " WHERE s.id::text = $1 AND s.tenant_id = $2",
              r.slot_id(), as.tenant);
          if (slot.empty()) return NotFound("slot", r.slot_id());
          if (slot[0][7].as<std::string>() != b.posting_id()) {
            return absl::FailedPreconditionError("the slot belongs to another posting's day");
          }
          const absl::Time now = clock_.Now();
          if (FromTs(b.start_time()) <= now) {
            return absl::FailedPreconditionError("the booked appointment has already begun");
          }
          const GeneratedSlot g = SlotOf(slot[0], 1);
          const std::string& status = locked->invitation_status;
          // The new slot taken, or another slot of that day held by this application (its own
          // booking moving within the day is fine): refused before writing.
          auto held = tx.exec_params(
              "SELECT coalesce(bool_or(slot_id = $2::uuid), false),"
              " coalesce(bool_or(application_id = $3::uuid AND id <> $4::uuid), false)"
              " FROM bookings WHERE selection_day_id = $1::uuid AND active"
              " AND (slot_id = $2::uuid OR application_id = $3::uuid)",
              slot[0][0].as<std::string>(), r.slot_id(), b.application_id(), b.id());
          if (absl::Status s = CheckBookable(
                  {g.start, now, status, held[0][1].as<bool>(), held[0][0].as<bool>()});
              !s.ok()) {
            return s;
          }
          v1::SelectionDay day;
          day.ParseFromString(pg::BytesOf(slot[0][5]));
          auto end = AccommodatedEnd(
              g,
              {b.accommodations().barrier_free_room(), b.accommodations().extra_written_minutes()},
              slot[0][6].as<bool>(), DaySlots(tx, slot[0][0].as<std::string>()));
          if (!end.ok()) return end.status();
          BookingChange c;
          c.next = b;
          v1::Booking& next = c.next;
          next.set_slot_id(r.slot_id());
          next.set_selection_day_id(slot[0][0].as<std::string>());
          *next.mutable_start_time() = Ts(g.start);
          *next.mutable_end_time() = Ts(*end);
          next.set_sequence(b.sequence() + 1);
          *next.mutable_update_time() = Ts(now);
          ev::BookingRescheduled e;
          *e.mutable_booking() = SnapshotOf(
              FactsWithPosting(tx, next, day, locked->applicant_sub, slot[0][2].as<int>()), now);
          e.set_previous_slot_id(b.slot_id());
          e.set_previous_selection_day_id(b.selection_day_id());
          *e.mutable_previous_start_time() = b.start_time();
          *e.mutable_previous_end_time() = b.end_time();
          e.set_previous_start_local_text(GermanLocalText(FromTs(b.start_time())));
          c.events = EventsOf(std::move(e));
          c.audit.push_back({.action = "RESCHEDULED", .reason = b.slot_id()});
          return bookings_.Apply<BookingChange>(
              tx, as, b, [&](const v1::Booking&) { return c; },
              [this, now](pqxx::work& tx, const v1::Booking&, BookingChange&,
                          const v1::Booking& written) { return MoveReminder(tx, written, now); });
        });
      });
}

absl::StatusOr<v1::BookingCalendar> PgSchedulingStore::GetBookingCalendar(
    const store::Actor& actor, const std::string& booking_id) {
  return pg::ReadValue<v1::BookingCalendar>(
      db_, [&](pqxx::work& tx) -> absl::StatusOr<v1::BookingCalendar> {
        auto rows = tx.exec_params(
            "SELECT b.data, b.applicant_sub, d.data, s.part, micros(b.updated_at)"
            " FROM bookings b JOIN selection_days d ON d.id = b.selection_day_id"
            " JOIN slots s ON s.id = b.slot_id WHERE b.id::text = $1 AND (b.tenant_id = $2 OR $3)",
            booking_id, actor.tenant, actor.applicant);
        if (rows.empty()) return NotFound("booking", booking_id);
        const std::string sub = rows[0][1].as<std::string>();
        if (actor.applicant && sub != actor.sub) return NotFound("booking", booking_id);
        v1::Booking b;
        b.ParseFromString(pg::BytesOf(rows[0][0]));
        v1::SelectionDay day;
        day.ParseFromString(pg::BytesOf(rows[0][2]));
        if (!Sees(actor, day)) return NotFound("booking", booking_id);
        const AppointmentFacts f = FactsWithPosting(tx, b, day, sub, rows[0][3].as<int>());
        v1::BookingCalendar c;
        c.set_booking_id(b.id());
        // DTSTAMP is when this version was made, so the text is the same on every read.
        c.set_ics(BuildIcs(CalendarEntryOf(f, FromTs(b.update_time()))));
        c.set_method(f.cancelled ? "CANCEL" : "REQUEST");
        c.set_sequence(b.sequence());
        return c;
      });
}

absl::StatusOr<v1::SelectionDay> PgSchedulingStore::GetSelectionDay(const store::Actor& actor,
                                                                    const std::string& id) {
  return pg::ReadValue<v1::SelectionDay>(
      db_, [&](pqxx::work& tx) -> absl::StatusOr<v1::SelectionDay> {
        auto rows =
            tx.exec_params("SELECT data, version FROM selection_days d WHERE id::text = $1 AND " +
                               std::string(kDayScope),
                           id, actor.tenant, actor.applicant, actor.sub);
        if (rows.empty()) return NotFound("selection day", id);
        auto day = pg::ParseVersioned<v1::SelectionDay>(rows[0]);
        if (!Sees(actor, day)) return NotFound("selection day", id);
        // An applicant learns where and when, not who sits on the committee.
        if (actor.applicant) day.clear_committee_member_ids();
        return day;
      });
}

absl::StatusOr<v1::ListSlotsResponse> PgSchedulingStore::ListSlots(const store::Actor& actor,
                                                                   const v1::ListSlotsRequest& r) {
  if (r.page_size() < 0) return errors::InvalidField("page_size", "0–200");
  auto cursor = pg::DecodeKeysetToken(r.page_token());
  if (!cursor.ok()) return cursor.status();
  const int page_size = PageSize(r.page_size());
  return pg::ReadValue<v1::ListSlotsResponse>(
      db_, [&](pqxx::work& tx) -> absl::StatusOr<v1::ListSlotsResponse> {
        auto day = tx.exec_params(
            "SELECT data FROM selection_days d WHERE id::text = $1 AND " + std::string(kDayScope),
            r.selection_day_id(), actor.tenant, actor.applicant, actor.sub);
        if (day.empty()) return NotFound("selection day", r.selection_day_id());
        v1::SelectionDay d;
        d.ParseFromString(pg::BytesOf(day[0][0]));
        if (!Sees(actor, d)) return NotFound("selection day", r.selection_day_id());
        v1::ListSlotsResponse out;
        auto rows = tx.exec_params(
            "SELECT s.id::text, s.idx, s.part, micros(s.start_at), micros(s.end_at),"
            " EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = s.id AND b.active)"
            " FROM slots s WHERE s.selection_day_id::text = $1"
            " AND (NOT $2 OR NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = s.id"
            "   AND b.active))"
            " AND ($3::timestamptz IS NULL OR (s.start_at, s.id) > ($3::timestamptz, $4::uuid))"
            " ORDER BY s.start_at, s.id LIMIT $5",
            r.selection_day_id(), r.free_only(), cursor->after_time, cursor->after_id,
            page_size + 1);
        for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
          const auto& row = rows[i];
          v1::Slot* s = out.add_slots();
          s->set_id(row[0].as<std::string>());
          s->set_selection_day_id(r.selection_day_id());
          s->set_index(row[1].as<int>());
          s->set_kind(row[2].as<int>() == 1 ? v1::WRITTEN_TASK : v1::INTERVIEW);
          const absl::Time start = absl::FromUnixMicros(row[3].as<int64_t>());
          *s->mutable_start_time() = Ts(start);
          *s->mutable_end_time() = Ts(absl::FromUnixMicros(row[4].as<int64_t>()));
          s->set_start_local(cal::FormatBerlin(start));
          s->set_booked(row[5].as<bool>());
        }
        if (static_cast<int>(rows.size()) > page_size) {
          const auto& last = rows[page_size - 1];
          out.set_next_page_token(pg::EncodeKeysetToken(absl::FromUnixMicros(last[3].as<int64_t>()),
                                                        last[0].as<std::string>()));
        }
        return out;
      });
}

absl::StatusOr<v1::ListBookingsResponse> PgSchedulingStore::ListBookings(
    const store::Actor& actor, const v1::ListBookingsRequest& r) {
  if (r.page_size() < 0) return errors::InvalidField("page_size", "0–200");
  if (CommitteeOnly(actor) && r.selection_day_id().empty()) {
    return errors::InvalidField("selection_day_id", "a committee member lists one day's bookings");
  }
  const int page_size = PageSize(r.page_size());
  if (CommitteeOnly(actor)) {  // a day they sit on, or NOT_FOUND
    auto day = days_.Get(r.selection_day_id(), {"tenant_id", actor.tenant});
    if (!day.ok()) return day.status();
    if (!Sees(actor, *day)) return NotFound("selection day", r.selection_day_id());
  }
  auto page = bookings_.ListPage(
      "SELECT b.data, b.version, micros(lower(b.occupied)), b.id::text FROM bookings b"
      " WHERE ((NOT $5 AND b.tenant_id = $1) OR ($5 AND b.applicant_sub = $6))"
      " AND ($2 = '' OR b.selection_day_id::text = $2)"
      " AND ($3 = '' OR EXISTS (SELECT 1 FROM selection_days d"
      "   WHERE d.id = b.selection_day_id AND d.posting_id::text = $3))"
      " AND ($4 OR b.active)"
      " AND ($7::timestamptz IS NULL OR (lower(b.occupied), b.id) > ($7::timestamptz,"
      "   $8::uuid))"
      " ORDER BY lower(b.occupied), b.id LIMIT $9",
      page_size, r.page_token(), actor.tenant, r.selection_day_id(), r.posting_id(),
      r.include_cancelled(), actor.applicant, actor.sub);
  if (!page.ok()) return page.status();
  v1::ListBookingsResponse out;
  for (auto& b : page->items) *out.add_bookings() = std::move(b);
  out.set_next_page_token(page->next_page_token);
  return out;
}

namespace {

// The invitations of `rows` (application_id, tenant_id, posting_id, title, kennziffer,
// self_booking, micros(invited_at), version), each with its posting's upcoming days — free
// slots counted from what is committed — and its live booking.
std::vector<v1::Invitation> InvitationsOf(pqxx::work& tx, const pqxx::result& rows, size_t limit,
                                          absl::Time now) {
  std::vector<v1::Invitation> out;
  std::vector<std::string> postings;
  std::vector<std::string> applications;
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    const auto& row = rows[i];
    v1::Invitation& inv = out.emplace_back();
    inv.set_application_id(row[0].as<std::string>());
    inv.set_tenant_id(row[1].as<std::string>());
    inv.set_posting_id(row[2].as<std::string>());
    inv.set_posting_title(row[3].as<std::string>());
    inv.set_kennziffer(row[4].as<std::string>());
    inv.set_self_booking(row[5].as<bool>());
    *inv.mutable_invite_time() = Ts(absl::FromUnixMicros(row[6].as<int64_t>()));
    inv.set_etag(std::to_string(row[7].as<int64_t>()));
    postings.push_back(inv.posting_id());
    applications.push_back(inv.application_id());
  }
  if (out.empty()) return out;
  std::map<std::string, std::vector<v1::InvitedDay>> days;
  for (const auto& row : tx.exec_params(
           "SELECT d.posting_id::text, d.data, (SELECT count(*) FROM slots s"
           "   WHERE s.selection_day_id = d.id AND s.start_at > $2::timestamptz"
           "   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = s.id AND b.active))"
           " FROM selection_days d WHERE d.posting_id::text = ANY($1::text[])"
           " AND upper(d.span) > $2::timestamptz ORDER BY lower(d.span), d.id",
           pg::TextArray(postings), pg::ToPgTimestamp(now))) {
    v1::SelectionDay day;
    day.ParseFromString(pg::BytesOf(row[1]));
    v1::InvitedDay& d = days[row[0].as<std::string>()].emplace_back();
    d.set_id(day.id());
    d.set_date(day.date());
    d.set_location(day.location());
    d.set_room(day.room());
    d.set_barrier_free_room(day.barrier_free_room());
    d.set_video_available(day.video_available());
    *d.mutable_start_time() = day.start_time();
    *d.mutable_end_time() = day.end_time();
    d.set_start_local(cal::FormatBerlin(FromTs(day.start_time())));
    d.set_free_slots(row[2].as<int>());
    d.set_hr_books_only(day.hr_books_only());
  }
  std::map<std::string, v1::Booking> bookings;
  for (const auto& row : tx.exec_params("SELECT application_id::text, data FROM bookings"
                                        " WHERE application_id::text = ANY($1::text[]) AND active",
                                        pg::TextArray(applications))) {
    bookings[row[0].as<std::string>()].ParseFromString(pg::BytesOf(row[1]));
  }
  for (v1::Invitation& inv : out) {
    // Days are the posting's tenant's; an invitation is in that tenant (no cross-tenant day).
    for (const v1::InvitedDay& d : days[inv.posting_id()]) *inv.add_selection_days() = d;
    if (auto b = bookings.find(inv.application_id()); b != bookings.end()) {
      *inv.mutable_booking() = b->second;
    }
  }
  return out;
}

constexpr char kInvitationColumns[] =
    "SELECT i.application_id::text, i.tenant_id, i.posting_id::text, coalesce(p.title, ''),"
    " coalesce(p.kennziffer, ''), i.self_booking, micros(coalesce(i.invited_at, i.updated_at)),"
    " i.version FROM invitations i LEFT JOIN posting_snapshots p ON p.posting_id = i.posting_id";

}  // namespace

absl::StatusOr<v1::ListInvitationsResponse> PgSchedulingStore::ListInvitations(
    const store::Actor& actor, const v1::ListInvitationsRequest& r) {
  if (r.page_size() < 0) return errors::InvalidField("page_size", "0–200");
  if (!actor.applicant && r.posting_id().empty()) {
    return errors::InvalidField("posting_id", "HR lists the invitations of one posting");
  }
  auto cursor = pg::DecodeKeysetToken(r.page_token());
  if (!cursor.ok()) return cursor.status();
  const int page_size = PageSize(r.page_size());
  return pg::ReadValue<v1::ListInvitationsResponse>(
      db_, [&](pqxx::work& tx) -> absl::StatusOr<v1::ListInvitationsResponse> {
        auto rows = tx.exec_params(
            std::string(kInvitationColumns) +
                " WHERE i.status = 'INVITED'"
                " AND ((NOT $1 AND i.tenant_id = $2) OR ($1 AND i.applicant_sub = $3))"
                " AND ($4 = '' OR i.posting_id::text = $4)"
                " AND ($5::timestamptz IS NULL OR (i.invited_at, i.application_id) >"
                "   ($5::timestamptz, $6::uuid))"
                " ORDER BY i.invited_at, i.application_id LIMIT $7",
            actor.applicant, actor.tenant, actor.sub, r.posting_id(), cursor->after_time,
            cursor->after_id, page_size + 1);
        v1::ListInvitationsResponse out;
        for (auto& inv : InvitationsOf(tx, rows, page_size, clock_.Now())) {
          *out.add_invitations() = std::move(inv);
        }
        if (static_cast<int>(rows.size()) > page_size) {
          const auto& last = out.invitations(page_size - 1);
          out.set_next_page_token(
              pg::EncodeKeysetToken(FromTs(last.invite_time()), last.application_id()));
        }
        return out;
      });
}

absl::StatusOr<v1::Invitation> PgSchedulingStore::UpdateInvitation(
    const store::Actor& actor, const v1::UpdateInvitationRequest& r) {
  if (r.application_id().empty()) return errors::InvalidField("application_id", "is required");
  const auto idem = store::IdempotencyRequest::Of("UpdateInvitation", r.request_id(), r);
  return pg::Command<v1::Invitation>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Invitation> {
        auto current = tx.exec_params(
            "SELECT version, self_booking FROM invitations WHERE application_id::text = $1"
            " AND tenant_id = $2 AND status = 'INVITED' FOR UPDATE",
            r.application_id(), actor.tenant);
        if (current.empty()) return NotFound("invitation", r.application_id());
        if (absl::Status s = store::CheckEtag(current[0][0].as<std::string>(), r.etag()); !s.ok()) {
          return s;
        }
        const absl::Time now = clock_.Now();
        if (current[0][1].as<bool>() != r.self_booking()) {
          tx.exec_params(
              "UPDATE invitations SET self_booking = $2, version = version + 1 WHERE"
              " application_id::text = $1",
              r.application_id(), r.self_booking());
          Audit(tx, actor, "invitation", r.application_id(),
                r.self_booking() ? "SELF_BOOKING_ALLOWED" : "HR_BOOKS", "", now);
        }
        auto rows =
            tx.exec_params(std::string(kInvitationColumns) + " WHERE i.application_id::text = $1",
                           r.application_id());
        return InvitationsOf(tx, rows, 1, now).front();
      });
}

absl::StatusOr<v1::InternshipPeriod> PgSchedulingStore::DeclareInternshipPeriod(
    const store::Actor& actor, const v1::DeclareInternshipPeriodRequest& r) {
  errors::Validator v;
  auto first = cal::ParseIsoDate(r.first_day());
  auto last = cal::ParseIsoDate(r.last_day());
  v.Check(!r.posting_id().empty(), "posting_id", "is required");
  v.Check(!r.department().empty() && r.department().size() <= 200, "department",
          "1–200 characters");
  v.Check(first.ok(), "first_day", "an ISO date YYYY-MM-DD");
  v.Check(last.ok(), "last_day", "an ISO date YYYY-MM-DD");
  if (first.ok() && last.ok()) v.Check(*last >= *first, "last_day", "not before first_day");
  v.Check(r.capacity() >= 1 && r.capacity() <= 1000, "capacity", "1–1000 places");
  if (!v.ok()) return v.status();
  const auto idem = store::IdempotencyRequest::Of("DeclareInternshipPeriod", r.request_id(), r);
  return pg::Command<v1::InternshipPeriod>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::InternshipPeriod> {
        auto posting = tx.exec_params(
            "SELECT status FROM posting_snapshots WHERE posting_id::text = $1 AND tenant_id = $2",
            r.posting_id(), actor.tenant);
        if (posting.empty()) return NotFound("posting", r.posting_id());
        const std::string status = posting[0][0].as<std::string>();
        if (status != "PUBLISHED" && status != "CLOSED") {
          return absl::FailedPreconditionError(
              absl::StrCat("the posting is ", status, "; periods belong to a live posting"));
        }
        v1::InternshipPeriod p;
        p.set_id(ids::NewUuid());
        p.set_tenant_id(actor.tenant);
        p.set_posting_id(r.posting_id());
        p.set_department(r.department());
        p.set_first_day(cal::FormatIsoDate(*first));
        p.set_last_day(cal::FormatIsoDate(*last));
        p.set_capacity(r.capacity());
        tx.exec_params(
            "INSERT INTO internship_periods (id, tenant_id, posting_id, department, first_day,"
            " last_day, capacity) VALUES ($1, $2, $3, $4, $5::date, $6::date, $7)",
            p.id(), actor.tenant, r.posting_id(), r.department(), p.first_day(), p.last_day(),
            r.capacity());
        Audit(tx, actor, "internship_period", p.id(), "DECLARED",
              absl::StrCat(r.capacity(), " places"), clock_.Now());
        return p;
      });
}

absl::StatusOr<v1::InternshipRequest> PgSchedulingStore::RequestInternship(
    const store::Actor& actor, const v1::RequestInternshipRequest& r) {
  errors::Validator v;
  auto first = cal::ParseIsoDate(r.first_day());
  auto last = cal::ParseIsoDate(r.last_day());
  v.Check(!r.period_id().empty(), "period_id", "is required");
  v.Check(!r.application_id().empty(), "application_id", "is required");
  v.Check(first.ok(), "first_day", "an ISO date YYYY-MM-DD");
  v.Check(last.ok(), "last_day", "an ISO date YYYY-MM-DD");
  if (!v.ok()) return v.status();
  const auto idem = store::IdempotencyRequest::Of("RequestInternship", r.request_id(), r);
  return pg::Command<v1::InternshipRequest>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::InternshipRequest> {
        return MapConstraintsOr<v1::InternshipRequest>(
            [&]() -> absl::StatusOr<v1::InternshipRequest> {
              auto app = tx.exec_params(
                  "SELECT posting_id::text, applicant_sub, tenant_id FROM invitations"
                  " WHERE application_id::text = $1 AND (tenant_id = $2 OR $3)",
                  r.application_id(), actor.tenant, actor.applicant);
              if (app.empty() || (actor.applicant && app[0][1].as<std::string>() != actor.sub)) {
                return NotFound("application", r.application_id());
              }
              const store::Actor as = InTenant(actor, app[0][2].as<std::string>());
              // The period row is the lock under which its places are counted.
              auto period = tx.exec_params(
                  "SELECT posting_id::text, first_day::text, last_day::text, capacity"
                  " FROM internship_periods WHERE id::text = $1 AND tenant_id = $2 FOR UPDATE",
                  r.period_id(), as.tenant);
              if (period.empty()) return NotFound("internship period", r.period_id());
              if (app[0][0].as<std::string>() != period[0][0].as<std::string>()) {
                return absl::FailedPreconditionError(
                    "the application is for another posting than the period");
              }
              InternshipPeriod p;
              p.start = *cal::ParseIsoDate(period[0][1].as<std::string>());
              p.end = *cal::ParseIsoDate(period[0][2].as<std::string>());
              p.capacity = period[0][3].as<int>();
              p.taken =
                  tx.exec_params(
                        "SELECT count(*) FROM internship_requests WHERE period_id = $1::uuid"
                        " AND accepted AND first_day <= $3::date AND last_day >= $2::date",
                        r.period_id(), cal::FormatIsoDate(*first), cal::FormatIsoDate(*last))[0][0]
                      .as<int>();
              const absl::Time now = clock_.Now();
              if (absl::Status s = CheckInternshipRequest(
                      {*first, *last}, p, cal::CivilDayInBerlin(now), internship_min_lead_days_);
                  !s.ok()) {
                return s;
              }
              v1::InternshipRequest out;
              out.set_id(ids::NewUuid());
              out.set_period_id(r.period_id());
              out.set_application_id(r.application_id());
              out.set_first_day(cal::FormatIsoDate(*first));
              out.set_last_day(cal::FormatIsoDate(*last));
              out.set_accepted(true);
              tx.exec_params(
                  "INSERT INTO internship_requests (id, tenant_id, period_id, application_id,"
                  " first_day, last_day, accepted) VALUES ($1, $2, $3, $4, $5::date, $6::date,"
                  " true)",
                  out.id(), as.tenant, r.period_id(), r.application_id(), out.first_day(),
                  out.last_day());
              Audit(tx, as, "internship_request", out.id(), "ACCEPTED", "", now);
              return out;
            });
      });
}

void PgSchedulingStore::RegisterTimers(timers::Scheduler& scheduler) {
  scheduler.On(kReminderTimer,
               [this](pqxx::work& tx, const timers::Timer& t) { return FireReminder(tx, t); });
}

absl::Status PgSchedulingStore::FireReminder(pqxx::work& tx, const timers::Timer& t) {
  auto rows = tx.exec_params(
      "SELECT b.data, b.applicant_sub, d.data, s.part, b.active, micros(lower(b.occupied))"
      " FROM bookings b JOIN selection_days d ON d.id = b.selection_day_id"
      " JOIN slots s ON s.id = b.slot_id WHERE b.id::text = $1",
      t.key);
  // A stale timer (booking gone, cancelled, or moved without the timer) is harmless.
  if (rows.empty() || !rows[0][4].as<bool>()) return absl::OkStatus();
  if (std::to_string(rows[0][5].as<int64_t>()) != t.payload) return absl::OkStatus();
  v1::Booking b;
  b.ParseFromString(pg::BytesOf(rows[0][0]));
  v1::SelectionDay day;
  day.ParseFromString(pg::BytesOf(rows[0][2]));
  const absl::Time now = clock_.Now();
  ev::ReminderDue e;
  *e.mutable_booking() =
      SnapshotOf(FactsWithPosting(tx, b, day, rows[0][1].as<std::string>(), rows[0][3].as<int>()),
                 FromTs(b.update_time()));
  e.mutable_lead()->set_seconds(absl::ToInt64Seconds(reminder_lead_));
  *e.mutable_due_time() = Ts(t.due_at);
  outbox::Publish(tx, {schema_, b.tenant_id(), "reminder:" + b.id(), "system:reminder", now}, e);
  return absl::OkStatus();
}

}  // namespace stellenwerk::scheduling
