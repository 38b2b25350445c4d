#include "services/coordination/domain/coordination_service.h"

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"

namespace stellenwerk::coordination {
namespace {

namespace roles = auth::roles;

IdempotencyRequest Idem(std::string operation, const std::string& request_id,
                        const google::protobuf::Message& request) {
  return IdempotencyRequest::Of(std::move(operation), request_id, request);
}

Actor ActorOf(const auth::Principal& who, const char* role, const std::string& cid) {
  return Actor::Of(who, cid, role);
}

absl::Status CheckId(const std::string& id) {
  return ids::IsUuid(id) ? absl::OkStatus()
                         : errors::InvalidField("id", "not a staffing notice id (UUID)");
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("staffing notice ", id, " not found"));
}

int YearOr(int year, absl::Time now) {
  return year != 0 ? year : static_cast<int>(calendar::CivilDayInBerlin(now).year());
}

// Base data reads: a city sees its own; a district its cities' (optionally one of them).
struct BaseDataScope {
  std::string city;      // "" = every city of the district
  std::string district;  // "" = read as the city
};

absl::StatusOr<BaseDataScope> BaseDataScopeFor(const auth::Principal& who,
                                               const std::string& city_tenant_id) {
  if (absl::Status s =
          auth::RequireAnyRole(who, {roles::kCityCoordinator, roles::kDistrictCoordinator});
      !s.ok()) {
    return s;
  }
  if (who.HasRole(roles::kDistrictCoordinator)) return BaseDataScope{city_tenant_id, who.tenant};
  if (!city_tenant_id.empty() && city_tenant_id != who.tenant) {
    return absl::PermissionDeniedError("city_tenant_id: a city sees only its own base data");
  }
  return BaseDataScope{who.tenant, ""};
}

}  // namespace

CoordinationService::Notice CoordinationService::File(const auth::Principal& who,
                                                      const std::string& cid,
                                                      const v1::FileStaffingNoticeRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kCityCoordinator}); !s.ok()) return s;
  if (!r.city_tenant_id().empty() && r.city_tenant_id() != who.tenant) {
    return absl::PermissionDeniedError("city_tenant_id: a city files only its own notices");
  }
  if (absl::Status s = ValidateFiling(r); !s.ok()) return s;
  v1::FileStaffingNoticeRequest filing = r;
  if (r.direct_participation()) {
    // Seed 004, Nr. 2: "den Leiter/die Leiterin der JobAgentur EN" — the head the district's
    // administrator configured, nobody else.
    auto pair = store_.PairInForce(who.tenant, r.district_tenant_id());
    if (!pair.ok()) return pair.status();
    const std::string head = pair->has_value() ? (*pair)->job_agency_head_sub() : "";
    if (!r.job_agency_head_sub().empty() && r.job_agency_head_sub() != head) {
      return absl::FailedPreconditionError(
          absl::StrCat("job_agency_head_sub: ", r.job_agency_head_sub(),
                       " is not the head of the JobAgentur of ", r.district_tenant_id(),
                       head.empty() ? " (none is set)" : ""));
    }
    filing.set_job_agency_head_sub(head);
  }
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kCityCoordinator, cid);
  // The pair itself is checked in the filing's transaction (the store).
  return store_.File(
      actor, Idem("FileStaffingNotice", r.request_id(), r),
      [&](const std::string& id) { return NewNotice(filing, id, who.tenant, actor, now); });
}

CoordinationService::Notice CoordinationService::Get(const auth::Principal& who,
                                                     const std::string& id) {
  if (absl::Status s = auth::RequireAnyRole(
          who, {roles::kCityCoordinator, roles::kDistrictCoordinator, roles::kJobAgencyHead});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckId(id); !s.ok()) return s;
  auto n = store_.Get(id);
  if (!n.ok()) return n.status();
  const bool city = who.HasRole(roles::kCityCoordinator) && n->city_tenant_id() == who.tenant;
  const bool district = who.HasAnyRole({roles::kDistrictCoordinator, roles::kJobAgencyHead}) &&
                        n->district_tenant_id() == who.tenant;
  if (!city && !district) return NotFound(id);  // no existence leak
  return n;
}

absl::StatusOr<NoticePage> CoordinationService::List(const auth::Principal& who,
                                                     const v1::ListStaffingNoticesRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(
          who, {roles::kCityCoordinator, roles::kDistrictCoordinator, roles::kJobAgencyHead});
      !s.ok()) {
    return s;
  }
  errors::Validator v;
  v.Check(r.page_size() >= 0 && r.page_size() <= 100, "page_size", "0–100");
  v.Check(r.regional_office().size() <= 200, "regional_office", "at most 200 characters");
  for (int s : r.status()) {
    v.Check(v1::NoticeStatus_IsValid(s) && s != v1::NOTICE_STATUS_UNSPECIFIED, "status",
            "unknown status");
  }
  if (!v.ok()) return v.status();
  NoticeQuery q;
  q.tenant = who.tenant;
  q.side = who.HasAnyRole({roles::kDistrictCoordinator, roles::kJobAgencyHead}) ? Side::kDistrict
                                                                                : Side::kCity;
  for (int s : r.status()) q.statuses.push_back(static_cast<v1::NoticeStatus>(s));
  q.regional_office = r.regional_office();
  q.page_size = r.page_size() == 0 ? 20 : r.page_size();
  q.page_token = r.page_token();
  return store_.List(q);
}

CoordinationService::Notice CoordinationService::Mutate(const auth::Principal& who,
                                                        const std::string& cid,
                                                        const IdempotencyRequest& idem,
                                                        const std::string& id, Side side,
                                                        const char* role, const Decide& decide) {
  if (absl::Status s = auth::RequireAnyRole(who, {role}); !s.ok()) return s;
  if (absl::Status s = CheckId(id); !s.ok()) return s;
  return store_.Update(ActorOf(who, role, cid), idem, id, side, decide);
}

CoordinationService::Notice CoordinationService::MutateEitherSide(
    const auth::Principal& who, const std::string& cid, const IdempotencyRequest& idem,
    const std::string& id, const std::function<Decide(const Actor&)>& decide) {
  if (absl::Status s =
          auth::RequireAnyRole(who, {roles::kCityCoordinator, roles::kDistrictCoordinator});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckId(id); !s.ok()) return s;
  const bool district = who.HasRole(roles::kDistrictCoordinator);
  const Actor actor =
      ActorOf(who, district ? roles::kDistrictCoordinator : roles::kCityCoordinator, cid);
  return store_.Update(actor, idem, id, district ? Side::kDistrict : Side::kCity, decide(actor));
}

CoordinationService::Notice CoordinationService::DeclareNoObjection(
    const auth::Principal& who, const std::string& cid, const v1::DeclareNoObjectionRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kDistrictCoordinator, cid);
  return Mutate(who, cid, Idem("DeclareNoObjection", r.request_id(), r), r.id(), Side::kDistrict,
                roles::kDistrictCoordinator, [&](const v1::StaffingNotice& n) {
                  return coordination::DeclareNoObjection(n, actor, now, r.comment());
                });
}

CoordinationService::Notice CoordinationService::RaiseConcern(const auth::Principal& who,
                                                              const std::string& cid,
                                                              const v1::RaiseConcernRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kDistrictCoordinator, cid);
  return Mutate(who, cid, Idem("RaiseConcern", r.request_id(), r), r.id(), Side::kDistrict,
                roles::kDistrictCoordinator, [&](const v1::StaffingNotice& n) {
                  return coordination::RaiseConcern(n, actor, now, r.kind(), r.text());
                });
}

CoordinationService::Notice CoordinationService::RecordDiscussion(
    const auth::Principal& who, const std::string& cid, const v1::RecordDiscussionRequest& r) {
  const absl::Time now = clock_.Now();
  return MutateEitherSide(who, cid, Idem("RecordDiscussion", r.request_id(), r), r.id(),
                          [&](const Actor& actor) -> Decide {
                            return [&, actor](const v1::StaffingNotice& n) {
                              return coordination::RecordDiscussion(n, actor, now, r);
                            };
                          });
}

CoordinationService::Notice CoordinationService::ResolveByConsensus(
    const auth::Principal& who, const std::string& cid, const v1::ResolveByConsensusRequest& r) {
  const absl::Time now = clock_.Now();
  return MutateEitherSide(who, cid, Idem("ResolveByConsensus", r.request_id(), r), r.id(),
                          [&](const Actor& actor) -> Decide {
                            return [&, actor](const v1::StaffingNotice& n) {
                              return coordination::ResolveByConsensus(n, actor, now, r.outcome(),
                                                                      r.terms());
                            };
                          });
}

CoordinationService::Notice CoordinationService::IssueInstruction(
    const auth::Principal& who, const std::string& cid, const v1::IssueInstructionRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kDistrictCoordinator, cid);
  return Mutate(who, cid, Idem("IssueInstruction", r.request_id(), r), r.id(), Side::kDistrict,
                roles::kDistrictCoordinator, [&](const v1::StaffingNotice& n) {
                  return coordination::IssueInstruction(n, actor, now, r.kind(), r.instruction(),
                                                        r.conditions());
                });
}

CoordinationService::Notice CoordinationService::RecordReimbursementReduction(
    const auth::Principal& who, const std::string& cid,
    const v1::RecordReimbursementReductionRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kDistrictCoordinator, cid);
  return Mutate(who, cid, Idem("RecordReimbursementReduction", r.request_id(), r), r.id(),
                Side::kDistrict, roles::kDistrictCoordinator, [&](const v1::StaffingNotice& n) {
                  return coordination::RecordReduction(n, actor, now, r.amount_cents(),
                                                       YearOr(r.year(), now), r.reason());
                });
}

CoordinationService::Notice CoordinationService::WithdrawNotice(
    const auth::Principal& who, const std::string& cid, const v1::WithdrawNoticeRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kCityCoordinator, cid);
  return Mutate(who, cid, Idem("WithdrawNotice", r.request_id(), r), r.id(), Side::kCity,
                roles::kCityCoordinator, [&](const v1::StaffingNotice& n) {
                  return coordination::Withdraw(n, actor, now, r.reason());
                });
}

CoordinationService::Notice CoordinationService::RecordHeadAgreement(
    const auth::Principal& who, const std::string& cid, const v1::RecordHeadAgreementRequest& r) {
  const absl::Time now = clock_.Now();
  const Actor actor = ActorOf(who, roles::kJobAgencyHead, cid);
  return Mutate(who, cid, Idem("RecordHeadAgreement", r.request_id(), r), r.id(), Side::kDistrict,
                roles::kJobAgencyHead, [&](const v1::StaffingNotice& n) {
                  return coordination::RecordHeadAgreement(n, actor, now, r.comment());
                });
}

absl::StatusOr<v1::BaseDataSubmission> CoordinationService::SubmitBaseData(
    const auth::Principal& who, const std::string& cid, const v1::SubmitBaseDataRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kCityCoordinator}); !s.ok()) return s;
  if (absl::Status s = ValidateBaseData(r); !s.ok()) return s;
  auto quarter = ParseQuarter(r.quarter());
  if (!quarter.ok()) return quarter.status();
  const absl::Time now = clock_.Now();
  // Base data describe a stock: a quarter that has not begun cannot be reported yet.
  const Quarter current = QuarterOf(calendar::CivilDayInBerlin(now));
  if (quarter->year > current.year || (quarter->year == current.year && quarter->q > current.q)) {
    return errors::InvalidField("quarter", "lies in the future");
  }
  if (r.district_tenant_id() == who.tenant) {
    return errors::InvalidField("district_tenant_id", "a city cannot report to itself");
  }
  v1::BaseDataSubmission s;
  s.set_city_tenant_id(who.tenant);
  s.set_district_tenant_id(r.district_tenant_id());
  s.set_regional_office(r.regional_office());
  s.set_quarter(FormatQuarter(*quarter));
  *s.mutable_lines() = r.lines();
  s.set_personnel_cost_cents(r.personnel_cost_cents());
  s.set_submitted_by(who.Subject());
  *s.mutable_submit_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  return store_.SubmitBaseData(ActorOf(who, roles::kCityCoordinator, cid),
                               Idem("SubmitBaseData", r.request_id(), r), std::move(s), *quarter);
}

absl::StatusOr<v1::ListOverdueBaseDataResponse> CoordinationService::ListOverdueBaseData(
    const auth::Principal& who, const v1::ListOverdueBaseDataRequest& r) {
  auto scope = BaseDataScopeFor(who, r.city_tenant_id());
  if (!scope.ok()) return scope.status();
  auto overdue = store_.ListOverdue(scope->city, scope->district);
  if (!overdue.ok()) return overdue.status();
  v1::ListOverdueBaseDataResponse response;
  for (auto& o : *overdue) *response.add_overdue() = std::move(o);
  return response;
}

absl::StatusOr<v1::CapacityPlan> CoordinationService::GetCapacityPlan(
    const auth::Principal& who, const v1::GetCapacityPlanRequest& r) {
  auto scope = BaseDataScopeFor(who, r.city_tenant_id());
  if (!scope.ok()) return scope.status();
  auto latest = store_.LatestBaseData(scope->city, scope->district);
  if (!latest.ok()) return latest.status();
  return BuildCapacityPlan(scope->district, *latest);
}

absl::StatusOr<v1::ReimbursementStatus> CoordinationService::SetReimbursementCap(
    const auth::Principal& who, const std::string& cid, const v1::SetReimbursementCapRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kDistrictCoordinator}); !s.ok()) return s;
  errors::Validator v;
  v.Check(!r.city_tenant_id().empty() && r.city_tenant_id().size() <= 64 &&
              r.city_tenant_id() != who.tenant,
          "city_tenant_id", "the city's tenant id");
  v.Check(r.year() >= 2000 && r.year() <= 2200, "year", "a calendar year");
  v.Check(r.cap_cents() >= 0 && r.cap_cents() <= 1'000'000'000'000LL, "cap_cents",
          "not negative, euro cents");
  if (!v.ok()) return v.status();
  return store_.SetCap(ActorOf(who, roles::kDistrictCoordinator, cid),
                       Idem("SetReimbursementCap", r.request_id(), r), r.city_tenant_id(), r.year(),
                       r.cap_cents());
}

absl::StatusOr<v1::ReimbursementStatus> CoordinationService::GetReimbursementStatus(
    const auth::Principal& who, const v1::GetReimbursementStatusRequest& r) {
  if (absl::Status s =
          auth::RequireAnyRole(who, {roles::kCityCoordinator, roles::kDistrictCoordinator});
      !s.ok()) {
    return s;
  }
  const bool district = who.HasRole(roles::kDistrictCoordinator);
  const int year = YearOr(r.year(), clock_.Now());
  errors::Validator v;
  v.Check(year >= 2000 && year <= 2200, "year", "a calendar year");
  if (district) v.Check(!r.city_tenant_id().empty(), "city_tenant_id", "required");
  if (!v.ok()) return v.status();
  std::string city = who.tenant;
  if (district) {
    city = r.city_tenant_id();
  } else if (!r.city_tenant_id().empty() && r.city_tenant_id() != who.tenant) {
    return absl::PermissionDeniedError("city_tenant_id: a city sees only its own reimbursement");
  }
  auto status = store_.Reimbursement(city, year);
  if (!status.ok()) return status.status();
  if (district) {
    if (!status->district_tenant_id().empty() && status->district_tenant_id() != who.tenant) {
      return absl::NotFoundError(absl::StrCat("no reimbursement of ", city, " for ", year));
    }
    auto linked = store_.Linked(city, who.tenant);
    if (!linked.ok()) return linked.status();
    if (!*linked)
      return absl::NotFoundError(absl::StrCat("no reimbursement of ", city, " for ", year));
  }
  ComputeReimbursement(*status);
  return status;
}

namespace {

absl::Status CheckPairTenants(const auth::Principal& who, const std::string& city,
                              const std::string& district) {
  errors::Validator v;
  v.Check(!city.empty() && city.size() <= 64, "city_tenant_id", "the city's tenant id");
  v.Check(!district.empty() && district.size() <= 64, "district_tenant_id",
          "the district's tenant id");
  v.Check(city != district, "district_tenant_id", "a city cannot be its own district");
  if (!v.ok()) return v.status();
  // An administrator speaks for its own tenant only: the pair is an agreement of the two.
  if (who.tenant != city && who.tenant != district) {
    return absl::PermissionDeniedError(
        "an administrator declares or ends only pairs its own tenant is a side of");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CoordinationPair> CoordinationService::DeclarePair(
    const auth::Principal& who, const std::string& cid,
    const v1::DeclareCoordinationPairRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kAdmin}); !s.ok()) return s;
  if (absl::Status s = CheckPairTenants(who, r.city_tenant_id(), r.district_tenant_id()); !s.ok()) {
    return s;
  }
  return store_.DeclarePair(ActorOf(who, roles::kAdmin, cid),
                            Idem("DeclareCoordinationPair", r.request_id(), r), r.city_tenant_id(),
                            r.district_tenant_id());
}

absl::StatusOr<v1::CoordinationPair> CoordinationService::EndPair(
    const auth::Principal& who, const std::string& cid, const v1::EndCoordinationPairRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kAdmin}); !s.ok()) return s;
  if (absl::Status s = CheckPairTenants(who, r.city_tenant_id(), r.district_tenant_id()); !s.ok()) {
    return s;
  }
  errors::Validator v;
  v.Check(r.reason().size() <= 2000, "reason", "at most 2000 characters");
  if (!v.ok()) return v.status();
  return store_.EndPair(ActorOf(who, roles::kAdmin, cid),
                        Idem("EndCoordinationPair", r.request_id(), r), r.city_tenant_id(),
                        r.district_tenant_id(), r.reason());
}

absl::StatusOr<v1::ListCoordinationPairsResponse> CoordinationService::ListPairs(
    const auth::Principal& who, const v1::ListCoordinationPairsRequest& r) {
  if (absl::Status s =
          auth::RequireAnyRole(who, {roles::kAdmin, roles::kCityCoordinator,
                                     roles::kDistrictCoordinator, roles::kJobAgencyHead});
      !s.ok()) {
    return s;
  }
  auto pairs = store_.ListPairs(who.tenant, r.include_ended());
  if (!pairs.ok()) return pairs.status();
  v1::ListCoordinationPairsResponse out;
  for (auto& p : *pairs) *out.add_pairs() = std::move(p);
  return out;
}

absl::StatusOr<v1::JobAgency> CoordinationService::SetJobAgencyHead(
    const auth::Principal& who, const std::string& cid, const v1::SetJobAgencyHeadRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {roles::kAdmin}); !s.ok()) return s;
  errors::Validator v;
  v.Check(!r.head_sub().empty() && r.head_sub().size() <= 200 &&
              r.head_sub().find_first_of(" \t\r\n") == std::string::npos,
          "head_sub", "the head's subject (1–200 characters, no spaces)");
  if (!v.ok()) return v.status();
  return store_.SetJobAgencyHead(ActorOf(who, roles::kAdmin, cid),
                                 Idem("SetJobAgencyHead", r.request_id(), r), r.head_sub());
}

absl::StatusOr<std::optional<v1::FileStaffingNoticeRequest>> CoordinationService::FilingFor(
    const events::v1::HiringProposed& e) {
  // Only postings that need the district's clearance (the applications service says so from
  // the posting's coordination_required) become notices.
  if (!e.coordination_required()) return std::optional<v1::FileStaffingNoticeRequest>();
  v1::FileStaffingNoticeRequest r;
  r.set_district_tenant_id(e.district_tenant_id());
  r.set_position_title(e.position_title());
  r.set_role_category(static_cast<v1::RoleCategory>(e.role_category()));
  r.set_regional_office(e.regional_office());
  r.set_posting_id(e.posting_id());
  r.set_application_id(e.application_id());
  auto* c = r.add_candidates();
  c->set_qualification(e.qualification_summary());
  c->set_experience(e.experience_summary());
  if (e.meta().tenant_id().empty() || e.application_id().empty()) {
    return absl::InvalidArgumentError("hiring.proposed without tenant or application id");
  }
  if (absl::Status s = ValidateFiling(r); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hiring.proposed cannot file a notice: ", s.message()));
  }
  return std::optional<v1::FileStaffingNoticeRequest>(std::move(r));
}

}  // namespace stellenwerk::coordination
