#include "services/postings/adapters/pg_posting_store.h"

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/pg/aggregate_store.h"
#include "common/time/berlin_calendar.h"
#include "common/timers/timers.h"
#include "services/postings/domain/german_text.h"
#include "services/postings/domain/posting_rules.h"
#include "services/postings/domain/posting_service.h"

namespace stellenwerk::postings {
namespace {

using Store = pg::AggregateStore<v1::Posting>;

// The postings table's row mapping: the message, its version and the columns queries use.
pg::AggregateTable<v1::Posting> PostingsTable(PgPostingStore& self) {
  pg::AggregateTable<v1::Posting> t;
  t.table = "postings";
  t.noun = "posting";
  t.write_row = [&self](pqxx::work& tx, const v1::Posting& next, const std::string& data,
                        int64_t version, bool insert, absl::Time now) {
    auto deadline = DeadlineInstant(next);
    const std::optional<std::string> deadline_text =
        deadline.ok() ? std::optional<std::string>(pg::ToPgTimestamp(*deadline)) : std::nullopt;
    const std::string now_text = pg::ToPgTimestamp(now);
    if (insert) {
      tx.exec_params(
          "INSERT INTO postings (id, tenant_id, kennziffer, status, version, title, location,"
          " posting_kind, deadline_at, data, created_at, updated_at)"
          " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10,"
          " $11::timestamptz, $11::timestamptz)",
          next.id(), next.tenant_id(), next.kennziffer(), std::string(StatusName(next.status())),
          version, next.title(), next.location(), static_cast<int>(next.posting_kind()),
          deadline_text, pg::Bytes(data), now_text);
    } else {
      tx.exec_params(
          "UPDATE postings SET status = $2, version = $3, title = $4, location = $5,"
          " posting_kind = $6, deadline_at = $7::timestamptz, data = $8,"
          " updated_at = $9::timestamptz WHERE id = $1::uuid",
          next.id(), std::string(StatusName(next.status())), version, next.title(), next.location(),
          static_cast<int>(next.posting_kind()), deadline_text, pg::Bytes(data), now_text);
    }
    self.WriteSearchIndex(tx, next);
  };
  t.tenant_of = [](const v1::Posting& p) { return p.tenant_id(); };
  // The decision built its snapshot before the write numbered the version; consumers keep
  // only newer versions, so every event must carry the one just written.
  t.stamp_events = [](int64_t version, store::Events& events) {
    for (auto& event : events) {
      const auto* field = event->GetDescriptor()->FindFieldByName("posting");
      if (field != nullptr && field->message_type() == events::v1::PostingSnapshot::descriptor()) {
        static_cast<events::v1::PostingSnapshot*>(
            event->GetReflection()->MutableMessage(event.get(), field))
            ->set_version(version);
      }
    }
  };
  return t;
}

// The deadline timer follows the decision, in the same transaction.
absl::Status ApplyTimer(pqxx::work& tx, const v1::Posting&, Change& change,
                        const v1::Posting& written) {
  switch (change.timer) {
    case DeadlineTimer::kSchedule: {
      auto deadline = DeadlineInstant(written);
      if (deadline.ok()) timers::Schedule(tx, kDeadlineTimerKind, written.id(), *deadline);
      break;
    }
    case DeadlineTimer::kCancel:
      timers::Cancel(tx, kDeadlineTimerKind, written.id());
      break;
    case DeadlineTimer::kKeep:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

PgPostingStore::PgPostingStore(pg::Pool& db, std::string schema, const Clock& clock)
    : postings_(db, std::move(schema), clock, PostingsTable(*this)) {}

absl::StatusOr<v1::Posting> PgPostingStore::Create(
    const Actor& actor, const IdempotencyRequest& idem, absl::Time now,
    const std::optional<std::string>& imported_kennziffer,
    const std::function<absl::StatusOr<Change>(const std::string&, const std::string&)>& build) {
  return postings_.Insert<Change>(
      actor, idem,
      [&](pqxx::work& tx, const std::string& id) -> absl::StatusOr<Change> {
        std::string kennziffer;
        if (imported_kennziffer.has_value()) {
          kennziffer = *imported_kennziffer;
          const int year = 2000 + std::stoi(kennziffer.substr(0, 2));
          const int64_t number = std::stoll(kennziffer.substr(3));
          if (!tx.exec_params("SELECT 1 FROM postings WHERE tenant_id = $1 AND kennziffer = $2",
                              actor.tenant, kennziffer)
                   .empty()) {
            return absl::AlreadyExistsError(absl::StrCat("Kennziffer ", kennziffer, " is taken"));
          }
          // Never hand out the imported number again.
          tx.exec_params(
              "INSERT INTO kennziffer_counters (tenant_id, year, last_number) VALUES ($1, $2, $3)"
              " ON CONFLICT (tenant_id, year) DO UPDATE"
              " SET last_number = GREATEST(kennziffer_counters.last_number, EXCLUDED.last_number)",
              actor.tenant, year, number);
        } else {
          const int year = static_cast<int>(calendar::CivilDayInBerlin(now).year());
          auto counter = tx.exec_params1(
              "INSERT INTO kennziffer_counters (tenant_id, year, last_number) VALUES ($1, $2, 1)"
              " ON CONFLICT (tenant_id, year) DO UPDATE"
              " SET last_number = kennziffer_counters.last_number + 1 RETURNING last_number",
              actor.tenant, year);
          kennziffer = FormatKennziffer(year, counter[0].as<int64_t>());
        }
        return build(id, kennziffer);
      },
      ApplyTimer);
}

absl::StatusOr<v1::Posting> PgPostingStore::Update(const Actor& actor,
                                                   const IdempotencyRequest& idem,
                                                   const std::string& id, const Decide& decide) {
  return postings_.Update<Change>(actor, idem, id, {"tenant_id", actor.tenant}, decide, ApplyTimer);
}

absl::StatusOr<v1::Posting> PgPostingStore::ApplyInTransaction(pqxx::work& tx, const Actor& actor,
                                                               const std::string& id,
                                                               const Decide& decide) {
  return postings_.UpdateInTransaction<Change>(tx, actor, id, pg::TenantScope::Any(), decide,
                                               ApplyTimer);
}

void PgPostingStore::WriteSearchIndex(pqxx::work& tx, const v1::Posting& p) {
  std::string place = absl::StrCat(p.department(), " ", p.location(), " ", p.employer_name(), " ",
                                   p.regional_office());
  std::string body = p.description();
  for (const auto& t : p.tasks()) absl::StrAppend(&body, "\n", t);
  for (const auto& r : p.requirements()) absl::StrAppend(&body, "\n", r);
  for (const auto& q : p.qualification_paths()) absl::StrAppend(&body, "\n", q.description());
  const bool part_time = p.employment().part_time_possible() ||
                         p.employment().job_sharing_possible() ||
                         (p.employment().weekly_hours() > 0 && p.employment().weekly_hours() < 39);
  tx.exec_params(
      "INSERT INTO posting_search (posting_id, tenant_id, status, deadline_at, posting_kind,"
      " contract, part_time, location_norm, search_doc)"
      " SELECT id, tenant_id, status, deadline_at, posting_kind, $5, $6, $7,"
      "  setweight(to_tsvector('german', $2), 'A') || setweight(to_tsvector('german', $3), 'B')"
      "  || setweight(to_tsvector('german', $4), 'C') FROM postings WHERE id = $1::uuid"
      " ON CONFLICT (posting_id) DO UPDATE SET status = EXCLUDED.status,"
      " deadline_at = EXCLUDED.deadline_at, posting_kind = EXCLUDED.posting_kind,"
      " contract = EXCLUDED.contract, part_time = EXCLUDED.part_time,"
      " location_norm = EXCLUDED.location_norm, search_doc = EXCLUDED.search_doc,"
      " changed_xid = pg_current_xact_id()",
      p.id(), NormalizeGermanText(p.title()), NormalizeGermanText(place), NormalizeGermanText(body),
      static_cast<int>(p.employment().contract()), part_time, NormalizeGermanText(p.location()));
  tx.exec_params("DELETE FROM posting_terms WHERE posting_id = $1::uuid", p.id());
  tx.exec_params(
      "INSERT INTO posting_terms (lexeme, posting_id, in_title, deadline_at, open)"
      " SELECT t.lexeme, s.posting_id, 'A' = ANY (t.weights), s.deadline_at,"
      "  s.status = 'PUBLISHED'"
      " FROM posting_search s, unnest(s.search_doc) t"
      " WHERE s.posting_id = $1::uuid AND s.status IN ('PUBLISHED', 'CLOSED')",
      p.id());
  tx.exec_params("DELETE FROM posting_grades WHERE posting_id = $1::uuid", p.id());
  for (const auto& pay : p.pay()) {
    for (const auto& grade : pay.grades()) {
      if (auto rank = GradeRank(pay.scheme(), grade)) {
        tx.exec_params(
            "INSERT INTO posting_grades (posting_id, scheme, rank) VALUES ($1::uuid, $2, $3)"
            " ON CONFLICT DO NOTHING",
            p.id(), static_cast<int>(pay.scheme()), *rank);
      }
    }
  }
}

namespace {

// The filters of a search ($2..$11, see Search) on posting_search s. The status test is the
// predicate of posting_search_order_idx, so that index serves every search.
constexpr char kSearchFilters[] =
    " s.status IN ('PUBLISHED', 'CLOSED')"
    " AND ($2 = '' OR s.tenant_id = $2)"
    " AND ($3 = 0 OR EXISTS (SELECT 1 FROM posting_grades g WHERE g.posting_id = s.posting_id"
    "      AND g.scheme = $3 AND ($4::int IS NULL OR g.rank >= $4)"
    "      AND ($5::int IS NULL OR g.rank <= $5)))"
    " AND ($6 = '' OR s.location_norm LIKE '%' || $6 || '%')"
    " AND ($7 = 0 OR s.contract = $7)"
    " AND ($8 = 0 OR s.posting_kind = $8)"
    " AND (NOT $9 OR (s.status = 'PUBLISHED' AND s.deadline_at > $10::timestamptz))"
    " AND (NOT $11 OR s.part_time)";
constexpr char kMatch[] = " AND s.search_doc @@ websearch_to_tsquery('german', $1)";
constexpr char kResultOrder[] = " ORDER BY s.deadline_at ASC NULLS LAST, s.posting_id";

// Every statement below is one round trip with its own snapshot, returns the capped count in
// each row and the page's rows with their messages (one more than the page, to tell whether
// a next page exists), or one row with NULLs when the page is empty. No statement ranks or
// sorts more than min(matches, count cap) rows.
// $12 page size, $13 offset, $14 count cap + 1.
constexpr char kPageAndTotal[] =
    " SELECT total.n, p.data, p.version, page.rank FROM total"
    " LEFT JOIN (page JOIN postings p ON p.id = page.posting_id) ON true"
    " ORDER BY page.rank DESC, page.deadline_at ASC NULLS LAST, page.posting_id";
constexpr char kPage[] =
    " page AS (SELECT * FROM hits ORDER BY rank DESC, deadline_at ASC NULLS LAST, posting_id"
    "  LIMIT $12::int + 1 OFFSET $13::int)";

// One plain word and no filter but open_only: page and count are range scans of
// posting_terms_order_idx (index only), whatever the number of matches.
std::string TermSql() {
  constexpr char kTerm[] =
      " t.lexeme = (tsvector_to_array(to_tsvector('german', $1)))[1]"
      " AND (NOT $9 OR (t.open AND t.deadline_at > $10::timestamptz))"
      // The other filters are unset here (IsTermQuery); stated, so the statement stays exact.
      " AND $2 = '' AND $3 = 0 AND $4::int IS NULL AND $5::int IS NULL AND $6 = ''"
      " AND $7 = 0 AND $8 = 0 AND NOT $11";
  return absl::StrCat(
      "WITH hits AS (SELECT t.posting_id, t.deadline_at,"
      "  CASE WHEN t.in_title THEN 1.0 ELSE 0.5 END::float8 AS rank"
      "  FROM posting_terms t WHERE",
      kTerm,
      "  ORDER BY t.in_title DESC, t.deadline_at ASC NULLS LAST, t.posting_id"
      "  LIMIT $12::int + $13::int + 1),",
      kPage, ", total AS (SELECT count(*) AS n FROM (SELECT 1 FROM posting_terms t WHERE", kTerm,
      "  LIMIT $14::int) c)", kPageAndTotal);
}

// Any query: one pass over the first (count cap + 1) matches, tiered by a test on the small
// title vector; only when there are more does a second pass pick the page from all of them.
std::string TextSql() {
  constexpr char kTier[] =
      " CASE WHEN s.title_doc @@ websearch_to_tsquery('german', $1) THEN 1.0 ELSE 0.5 END::float8";
  return absl::StrCat("WITH m AS MATERIALIZED (SELECT s.posting_id, s.deadline_at,", kTier,
                      " AS rank"
                      "  FROM posting_search s WHERE",
                      kSearchFilters, kMatch,
                      " LIMIT $14::int),"
                      " total AS (SELECT count(*) AS n FROM m),"
                      " hits AS (SELECT * FROM m WHERE (SELECT n FROM total) < $14::int"
                      "  UNION ALL (SELECT s.posting_id, s.deadline_at,",
                      kTier,
                      " FROM posting_search s"
                      "   WHERE (SELECT n FROM total) >= $14::int AND",
                      kSearchFilters, kMatch,
                      "   ORDER BY 3 DESC, s.deadline_at ASC NULLS LAST, s.posting_id"
                      "   LIMIT $12::int + $13::int + 1)),",
                      kPage, kPageAndTotal);
}

// No query text: the public postings in deadline order, read from posting_search_order_idx.
std::string BrowseSql() {
  return absl::StrCat(
      "WITH hits AS (SELECT s.posting_id, s.deadline_at, 0::float8 AS rank"
      "  FROM posting_search s WHERE $1::text = '' AND",
      kSearchFilters, kResultOrder, "  LIMIT $12::int + $13::int + 1),", kPage,
      ", total AS (SELECT count(*) AS n FROM (SELECT 1 FROM posting_search s WHERE", kSearchFilters,
      " LIMIT $14::int) c)", kPageAndTotal);
}

// A single word the term index can answer: what NormalizeGermanText leaves of one word
// without a hyphen (a compound becomes a phrase query) and no other filter than open_only.
bool IsTermQuery(const SearchQuery& q) {
  return !q.text.empty() && q.text.find_first_of(" -") == std::string::npos &&
         q.tenant_id.empty() && q.pay_scheme == 0 && q.location.empty() && q.contract == 0 &&
         q.posting_kind == 0 && !q.part_time;
}

}  // namespace

absl::StatusOr<SearchResult> PgPostingStore::Search(const SearchQuery& q) {
  static const std::string kTerm = TermSql();
  static const std::string kText = TextSql();
  static const std::string kBrowse = BrowseSql();
  // LIKE metacharacters in the user's location are literal.
  std::string location;
  for (char c : q.location) {
    if (c == '%' || c == '_' || c == '\\') location += '\\';
    location += c;
  }
  SearchResult result;
  absl::Status status = postings_.db().ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
    // The term and browse statements are prepared (once per connection, lazily): their plan
    // does not depend on the values, and parsing and planning them cost several times their
    // execution. The full-text statement is planned per call, with its values: which index
    // pays off depends on how rare the words are.
    pqxx::result rows;
    auto run = [&](auto&& exec) {
      rows = exec(q.text, q.tenant_id, q.pay_scheme, q.grade_min, q.grade_max, location, q.contract,
                  q.posting_kind, q.open_only, pg::ToPgTimestamp(q.now), q.part_time, q.page_size,
                  q.offset, kSearchCountCap + 1);
    };
    if (q.text.empty() || IsTermQuery(q)) {
      const char* name = q.text.empty() ? "postings_search_browse" : "postings_search_term";
      tx.conn().prepare(name, q.text.empty() ? kBrowse : kTerm);
      run([&](const auto&... args) { return tx.exec_prepared(name, args...); });
    } else {
      run([&](const auto&... args) { return tx.exec_params(kText, args...); });
    }
    result.hits.clear();
    result.has_more = false;
    result.total = rows.empty() ? 0 : rows[0][0].as<int>();
    for (const auto& row : rows) {
      if (row[1].is_null()) continue;  // no page rows: only the count
      if (static_cast<int>(result.hits.size()) == q.page_size) {
        result.has_more = true;
        break;
      }
      v1::Posting posting;
      posting.ParseFromString(pg::BytesOf(row[1]));
      posting.set_etag(std::to_string(row[2].as<int64_t>()));
      result.hits.emplace_back(std::move(posting), row[3].as<double>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Posting> PgPostingStore::Get(const std::string& id) { return postings_.Get(id); }

absl::StatusOr<v1::Posting> PgPostingStore::GetByKennziffer(const std::string& tenant_id,
                                                            const std::string& kennziffer) {
  return pg::ReadValue<v1::Posting>(
      postings_.db(), [&](pqxx::work& tx) -> absl::StatusOr<v1::Posting> {
        auto rows = tx.exec_params(
            "SELECT data, version FROM postings WHERE tenant_id = $1 AND kennziffer = $2",
            tenant_id, kennziffer);
        if (rows.empty()) return postings_.NotFound(kennziffer);
        return pg::ParseAggregate<v1::Posting>(rows[0]);
      });
}

absl::StatusOr<PostingPage> PgPostingStore::List(const ListQuery& q) {
  std::string statuses = "{";
  for (size_t i = 0; i < q.statuses.size(); ++i) {
    absl::StrAppend(&statuses, i ? "," : "", StatusName(q.statuses[i]));
  }
  statuses += "}";
  auto page = postings_.ListPage(
      "SELECT data, version, micros(created_at), id::text FROM postings WHERE tenant_id = $1"
      " AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))"
      " AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))"
      " ORDER BY created_at DESC, id DESC LIMIT $5",
      q.page_size, q.page_token, q.tenant_id, statuses);
  if (!page.ok()) return page.status();
  return PostingPage{std::move(page->items), std::move(page->next_page_token)};
}

}  // namespace stellenwerk::postings
