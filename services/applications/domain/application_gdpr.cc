// ApplicationService: GDPR (audit, export, erasure, retention) and the anonymous statistics.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "services/applications/domain/service_support.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace service_support;  // NOLINT(build/namespaces): this class's own helpers
using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

absl::StatusOr<v1::ListAuditEntriesResponse> ApplicationService::ListAuditEntries(
    const auth::Principal& who, const std::string& application_id) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!ids::IsUuid(application_id)) {
    return errors::InvalidField("application_id", "not an application id");
  }
  auto a = store_.Get(application_id);
  if (!a.ok()) return a.status();
  if (a->tenant_id() != who.tenant) return NotFound(application_id);
  auto entries = store_.Audit(application_id);
  if (!entries.ok()) return entries.status();
  v1::ListAuditEntriesResponse out;
  for (auto& e : *entries) {
    // The applicant's own acts (submission, withdrawal) name them by pseudonym: their account
    // id would identify them in an anonymised procedure.
    if (e.actor() == a->applicant_sub()) e.set_actor(absl::StrCat("applicant ", a->pseudonym()));
    *out.add_entries() = std::move(e);
  }
  return out;
}

namespace {

// Who may act on an applicant's data: the applicant for all of it, HR/admin for their tenant's
// part. Returns the tenant filter ("" = all) or PERMISSION_DENIED.
absl::StatusOr<std::string> GdprScope(const auth::Principal& who,
                                      const std::string& applicant_sub) {
  if (who.HasRole(auth::roles::kApplicant) && who.Subject() == applicant_sub) return std::string();
  if (who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin})) return who.tenant;
  return absl::PermissionDeniedError("only the applicant, or HR for their employer, may do this");
}

}  // namespace

absl::StatusOr<v1::ApplicantDataExport> ApplicationService::ExportApplicantData(
    const auth::Principal& who, const std::string& correlation_id,
    const std::string& applicant_sub) {
  if (applicant_sub.empty() || applicant_sub.size() > 256) {
    return errors::InvalidField("applicant_sub", "the applicant's account id");
  }
  auto scope = GdprScope(who, applicant_sub);
  if (!scope.ok()) return scope.status();
  auto data = store_.Export(applicant_sub, *scope);
  if (!data.ok()) return data.status();
  // HR reading everything about one person is itself provable (GDPR Art. 5 (2)
  // accountability): one audit line per exported application, before the data leaves.
  if (who.Subject() != applicant_sub && !data->applications.empty()) {
    std::vector<std::string> ids;
    for (const auto& a : data->applications) ids.push_back(a.id());
    if (absl::Status s = store_.RecordAccess(Actor::Of(who, correlation_id), ids, "data_exported",
                                             "GDPR export by the employer");
        !s.ok()) {
      return s;
    }
  }
  // GDPR Art. 15 (access) and Art. 20 (portability): structured, machine-readable.
  nlohmann::json doc;
  doc["applicant_sub"] = applicant_sub;
  doc["export_time"] = TimeUtil::ToString(Ts(clock_.Now()));
  doc["applications"] = nlohmann::json::array();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  v1::ApplicantDataExport out;
  out.set_applicant_sub(applicant_sub);
  std::map<std::string, bool> anonymised;  // by posting: one read each
  for (v1::Application& a : data->applications) {
    if (who.Subject() != applicant_sub) {
      // The employer's export follows the anonymised view like every other staff read: it
      // must not reveal what RevealIdentity has not (seed 003).
      if (!anonymised.count(a.posting_id())) {
        auto posting = store_.Posting(a.posting_id());
        if (!posting.ok()) return posting.status();
        anonymised[a.posting_id()] = posting->has_value() && (*posting)->anonymised;
      }
      const std::string id = a.id();
      const bool hidden = anonymised[a.posting_id()];
      a = ViewFor(who, std::move(a), hidden);
      a.set_applicant_sub(applicant_sub);  // the key HR asked by; not a name
      for (auto& [app_id, e] : data->audit) {
        if (app_id == id && !a.has_applicant() && e.actor() == applicant_sub) {
          e.set_actor(absl::StrCat("applicant ", a.pseudonym()));
        }
      }
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(a, &json, options).ok()) {
      return absl::InternalError("export: an application could not be rendered");
    }
    nlohmann::json entry = nlohmann::json::parse(json);
    entry["ratings"] = nlohmann::json::array();
    for (const auto& rating : data->ratings) {
      if (rating.application_id() != a.id()) continue;
      std::string rj;
      if (!google::protobuf::util::MessageToJsonString(rating, &rj, options).ok()) {
        return absl::InternalError("export: a rating could not be rendered");
      }
      entry["ratings"].push_back(nlohmann::json::parse(rj));
    }
    entry["audit"] = nlohmann::json::array();
    for (const auto& [app_id, e] : data->audit) {
      if (app_id != a.id()) continue;
      std::string ej;
      if (!google::protobuf::util::MessageToJsonString(e, &ej, options).ok()) {
        return absl::InternalError("export: an audit entry could not be rendered");
      }
      entry["audit"].push_back(nlohmann::json::parse(ej));
    }
    doc["applications"].push_back(std::move(entry));
    *out.add_applications() = a;
  }
  out.set_json(doc.dump(2));
  return out;
}

absl::StatusOr<v1::EraseApplicantResponse> ApplicationService::EraseApplicant(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::EraseApplicantRequest& r) {
  if (r.applicant_sub().empty() || r.applicant_sub().size() > 256) {
    return errors::InvalidField("applicant_sub", "the applicant's account id");
  }
  auto scope = GdprScope(who, r.applicant_sub());
  if (!scope.ok()) return scope.status();
  Actor actor = Actor::Of(who, correlation_id);
  // The applicant's own erasure keeps its stored answer (for replays) under a hash of the
  // request, never under the account id it erased (GDPR Art. 17).
  if (scope->empty()) actor.sub = absl::StrCat("erasure:", store::RequestHash(r));
  return store_.Erase(actor, Idem("EraseApplicant", r.request_id(), r), r.applicant_sub(), *scope);
}

absl::StatusOr<v1::RetentionPolicy> ApplicationService::SetRetentionPolicy(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::SetRetentionPolicyRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kAdmin}); !s.ok()) return s;
  if (r.tenant_id() != who.tenant) {
    return absl::NotFoundError(absl::StrCat("tenant ", r.tenant_id(), " not found"));
  }
  if (r.months() < 1 || r.months() > 24) return errors::InvalidField("months", "1–24");
  v1::RetentionPolicy policy;
  policy.set_tenant_id(r.tenant_id());
  policy.set_months(r.months());
  return store_.SetRetention(Actor::Of(who, correlation_id),
                             Idem("SetRetentionPolicy", r.request_id(), r), policy);
}

absl::StatusOr<v1::PersonnelStatistics> ApplicationService::GetPersonnelStatistics(
    const auth::Principal& who, const v1::GetPersonnelStatisticsRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (r.tenant_id() != who.tenant) {
    return absl::NotFoundError(absl::StrCat("tenant ", r.tenant_id(), " not found"));
  }
  if (r.year() < 2000 || r.year() > 2100) return errors::InvalidField("year", "2000–2100");
  // The personnel report's year (seed 002: as of 31 December) in Europe/Berlin.
  const absl::Time from = calendar::StartOfDay(absl::CivilDay(r.year(), 1, 1));
  const absl::Time to = calendar::StartOfDay(absl::CivilDay(r.year() + 1, 1, 1));
  auto in = store_.Statistics(r.tenant_id(), r.year(), from, to);
  if (!in.ok()) return in.status();
  v1::PersonnelStatistics out;
  out.set_tenant_id(r.tenant_id());
  out.set_year(r.year());
  out.set_min_group_size(kMinGroupSize);
  out.set_postings_with_applications(in->postings_with_applications);
  *out.mutable_applications() = Total(in->applications);
  *out.mutable_hires() = Total(in->hires);
  *out.mutable_women_applicants() = Group(in->women_applicants, in->applications);
  *out.mutable_women_hires() = Group(in->women_hires, in->hires);
  *out.mutable_severely_disabled_applicants() =
      Group(in->severely_disabled_applicants, in->applications);
  *out.mutable_severely_disabled_hires() = Group(in->severely_disabled_hires, in->hires);
  if (in->hires < kMinGroupSize) {
    out.set_time_to_hire_suppressed(true);
  } else {
    std::vector<double> days = in->days_to_hire;
    std::sort(days.begin(), days.end());
    double sum = 0;
    for (double d : days) sum += d;
    out.set_mean_days_to_hire(sum / days.size());
    const size_t n = days.size();
    out.set_median_days_to_hire(n % 2 == 1 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2);
  }
  return out;
}

}  // namespace stellenwerk::applications
