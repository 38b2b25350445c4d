// PgApplicationStore: participation verdicts and what the hiring needs of them.
#include <openssl/sha.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "common/outbox/events.h"
#include "common/pg/keyset.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/adapters/pg_application_rows.h"
#include "services/applications/adapters/pg_application_store.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace rows;  // NOLINT(build/namespaces): this store's own row mapping

absl::StatusOr<std::optional<absl::Time>> PgApplicationStore::LastInterview(
    const std::string& posting_id) {
  std::optional<absl::Time> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out.reset();
    const auto row = tx.exec_params1(
        "SELECT micros(max(al.at)) FROM audit_log al JOIN applications a ON a.id = "
        "al.application_id"
        " WHERE a.posting_id = $1::uuid AND al.action = 'status_changed'"
        " AND al.to_status = 'INTERVIEWED'",
        posting_id);
    if (!row[0].is_null()) out = pg::FromMicros(row[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::ParticipationVerdict> PgApplicationStore::RecordVerdict(
    const Actor& actor, const IdempotencyRequest& idem, const v1::ParticipationVerdict& v) {
  return pg::Command<v1::ParticipationVerdict>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::ParticipationVerdict> {
        const absl::Time now = apps_.clock().Now();
        tx.exec_params(
            "INSERT INTO participation_verdicts (posting_id, tenant_id, body, verdict, agrees,"
            " actor, recorded_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz)",
            v.posting_id(), actor.tenant, static_cast<int>(v.body()), v.verdict(), v.agrees(),
            actor.sub, pg::ToPgTimestamp(now));
        events::v1::ParticipationRecorded e;
        e.set_posting_id(v.posting_id());
        e.set_body(v1::ParticipationBody_Name(v.body()));
        e.set_agrees(v.agrees());
        outbox::Publish(tx,
                        outbox::EventContext{apps_.schema(), actor.tenant, actor.correlation_id,
                                             actor.sub, now},
                        e);
        return v;
      });
}

absl::StatusOr<std::vector<v1::ParticipationVerdict>> PgApplicationStore::LatestVerdicts(
    const std::string& posting_id) {
  std::vector<v1::ParticipationVerdict> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out.clear();
    for (const auto& r : tx.exec_params(
             "SELECT DISTINCT ON (body) body, verdict, agrees, actor, micros(recorded_at)"
             " FROM participation_verdicts WHERE posting_id = $1::uuid ORDER BY body, id DESC",
             posting_id)) {
      v1::ParticipationVerdict v;
      v.set_posting_id(posting_id);
      v.set_body(static_cast<v1::ParticipationBody>(r[0].as<int>()));
      v.set_verdict(r[1].as<std::string>());
      v.set_agrees(r[2].as<bool>());
      v.set_actor(r[3].as<std::string>());
      *v.mutable_time() = TsOf(r[4]);
      out.push_back(std::move(v));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<bool> PgApplicationStore::HasSeverelyDisabledApplicant(
    const std::string& posting_id) {
  bool out = false;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out = !tx.exec_params(
                 "SELECT 1 FROM applications WHERE posting_id = $1::uuid AND severely_disabled"
                 " LIMIT 1",
                 posting_id)
               .empty();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace stellenwerk::applications
