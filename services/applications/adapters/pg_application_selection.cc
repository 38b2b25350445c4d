// PgApplicationStore: rating criteria, ratings, ranking candidates.
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

namespace {

std::vector<v1::RatingCriterion> ReadCriteria(pqxx::work& tx, const std::string& posting_id) {
  std::vector<v1::RatingCriterion> out;
  for (const auto& r :
       tx.exec_params("SELECT name, description FROM rating_criteria WHERE posting_id = $1::uuid"
                      " ORDER BY position",
                      posting_id)) {
    v1::RatingCriterion c;
    c.set_name(r[0].as<std::string>());
    c.set_description(r[1].as<std::string>());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::RatingCriteria> PgApplicationStore::SetCriteria(
    const Actor& actor, const IdempotencyRequest& idem, const v1::RatingCriteria& criteria) {
  return pg::Command<v1::RatingCriteria>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::RatingCriteria> {
        // Serialise with concurrent ratings of the posting.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('criteria:' || $1))",
                       criteria.posting_id());
        if (!tx.exec_params("SELECT 1 FROM ratings WHERE posting_id = $1::uuid LIMIT 1",
                            criteria.posting_id())
                 .empty()) {
          return absl::FailedPreconditionError(
              "the committee has started rating; the criteria are fixed now");
        }
        tx.exec_params("DELETE FROM rating_criteria WHERE posting_id = $1::uuid",
                       criteria.posting_id());
        for (int i = 0; i < criteria.criteria_size(); ++i) {
          tx.exec_params(
              "INSERT INTO rating_criteria (posting_id, position, tenant_id, name, description)"
              " VALUES ($1::uuid, $2, $3, $4, $5)",
              criteria.posting_id(), i, actor.tenant, criteria.criteria(i).name(),
              criteria.criteria(i).description());
        }
        return criteria;
      });
}

absl::StatusOr<std::vector<v1::RatingCriterion>> PgApplicationStore::Criteria(
    const std::string& posting_id) {
  std::vector<v1::RatingCriterion> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out = ReadCriteria(tx, posting_id);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Rating> PgApplicationStore::Rate(
    const Actor& actor, const IdempotencyRequest& idem, const std::string& application_id,
    const std::function<absl::StatusOr<v1::Rating>(
        const v1::Application&, const std::vector<v1::RatingCriterion>&)>& decide) {
  return pg::Command<v1::Rating>(
      db_, actor, idem, [&](pqxx::work& tx) -> absl::StatusOr<v1::Rating> {
        // FOR SHARE: a rating never lands on an application that is being rejected meanwhile.
        auto rows = tx.exec_params(
            "SELECT data, version FROM applications WHERE id = $1::uuid FOR SHARE", application_id);
        if (rows.empty()) {
          return absl::NotFoundError(absl::StrCat("application ", application_id, " not found"));
        }
        const v1::Application current = Parse(rows[0]);
        tx.exec_params("SELECT pg_advisory_xact_lock_shared(hashtext('criteria:' || $1))",
                       current.posting_id());
        auto rating = decide(current, ReadCriteria(tx, current.posting_id()));
        if (!rating.ok()) return rating.status();
        tx.exec_params(
            "INSERT INTO ratings (application_id, posting_id, tenant_id, rater, criterion, score,"
            " comment, rated_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8::timestamptz)"
            " ON CONFLICT (application_id, rater, criterion) DO UPDATE SET score = EXCLUDED.score,"
            " comment = EXCLUDED.comment, rated_at = EXCLUDED.rated_at",
            current.id(), current.posting_id(), current.tenant_id(), rating->rater(),
            rating->criterion(), rating->score(), rating->comment(),
            pg::ToPgTimestamp(apps_.clock().Now()));
        return rating;
      });
}

absl::StatusOr<std::vector<RankingCandidate>> PgApplicationStore::RankingCandidates(
    const std::string& posting_id) {
  std::vector<RankingCandidate> out;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    out.clear();
    // Rated applications and those the committee is still to rate; rejected and withdrawn
    // ones leave the ranking.
    auto rows = tx.exec_params(
        "SELECT a.data, a.version, coalesce(sum(r.score), 0), count(r.score),"
        " count(DISTINCT r.rater),"
        " (SELECT count(DISTINCT r2.rater) FROM ratings r2 JOIN applications a2"
        "  ON a2.id = r2.application_id WHERE a2.posting_id = $1::uuid)"
        " FROM applications a LEFT JOIN ratings r ON r.application_id = a.id"
        " WHERE a.posting_id = $1::uuid AND a.status NOT IN"
        " ('RECEIVED', 'SCREENING', 'REJECTED', 'WITHDRAWN')"
        " GROUP BY a.id ORDER BY a.submitted_at, a.id",
        posting_id);
    for (const auto& row : rows) {
      const v1::Application a = Parse(row);
      RankingCandidate c;
      c.application_id = a.id();
      c.pseudonym = a.pseudonym();
      c.status = a.status();
      c.score_sum = row[2].as<int64_t>();
      c.rating_count = row[3].as<int>();
      c.rater_count = row[4].as<int>();
      c.female = IsFemale(a.applicant());
      c.severely_disabled = a.severely_disabled() || a.equivalent_status();
      c.identity_revealed = a.identity_revealed();
      c.procedure_raters = row[5].as<int>();
      out.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace stellenwerk::applications
