#include "services/postings/domain/posting_service.h"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/time_util.h"
#include "services/postings/domain/german_text.h"
#include "services/postings/domain/job_posting_jsonld.h"
#include "services/postings/domain/posting_rules.h"

namespace stellenwerk::postings {
namespace {

using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

constexpr absl::Duration kCacheTtl = absl::Minutes(10);
constexpr absl::Duration kSearchTtl = absl::Seconds(30);
constexpr int kMaxSearchOffset = 10'000;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Status RequireHr(const auth::Principal& who) {
  return auth::RequireAnyRole(who, {auth::roles::kHrClerk, auth::roles::kAdmin});
}

IdempotencyRequest Idem(std::string operation, const std::string& request_id,
                        const google::protobuf::Message& request) {
  return IdempotencyRequest::Of(std::move(operation), request_id, request);
}

absl::Status CheckEtag(const v1::Posting& current, const std::string& etag) {
  return store::CheckEtag(current.etag(), etag);
}

template <typename E>
std::shared_ptr<google::protobuf::Message> Snapshotted(const v1::Posting& p) {
  auto e = std::make_shared<E>();
  FillSnapshot(p, e->mutable_posting());
  return e;
}

// The fields the service assigns (id, tenant, Kennziffer, status, etag, times); a client sets
// everything else. Cleared from what a client sends, refused in an update mask.
constexpr std::string_view kServerFields[] = {
    "id",          "tenant_id",    "kennziffer", "status",        "etag",           "create_time",
    "update_time", "publish_time", "close_time", "deadline_time", "withdraw_reason"};

bool IsServerField(std::string_view name) {
  return std::find(std::begin(kServerFields), std::end(kServerFields), name) !=
         std::end(kServerFields);
}

void ClearServerFields(v1::Posting& p) {
  for (std::string_view name : kServerFields) {
    p.GetReflection()->ClearField(&p, p.GetDescriptor()->FindFieldByName(std::string(name)));
  }
}

void SetDeadlineTime(v1::Posting& p) {
  auto deadline = DeadlineInstant(p);
  if (deadline.ok()) {
    *p.mutable_deadline_time() = Ts(*deadline);
  } else {
    p.clear_deadline_time();
  }
}

// Names of the top-level fields that differ (for posting.updated consumers).
std::vector<std::string> ChangedFields(const v1::Posting& before, const v1::Posting& after) {
  std::vector<std::string> changed;
  const auto* d = v1::Posting::descriptor();
  const auto* r = v1::Posting::GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->name() == "update_time" || f->name() == "etag") continue;
    v1::Posting a = before;
    v1::Posting b = after;
    for (int j = 0; j < d->field_count(); ++j) {
      if (j == i) continue;
      r->ClearField(&a, d->field(j));
      r->ClearField(&b, d->field(j));
    }
    if (a.SerializeAsString() != b.SerializeAsString()) changed.push_back(f->name());
  }
  return changed;
}

}  // namespace

void FillSnapshot(const v1::Posting& p, ev::PostingSnapshot* s) {
  s->set_posting_id(p.id());
  s->set_tenant_id(p.tenant_id());
  s->set_kennziffer(p.kennziffer());
  s->set_title(p.title());
  s->set_application_deadline(p.application_deadline());
  *s->mutable_deadline_time() = p.deadline_time();
  s->set_posting_kind(p.posting_kind());
  s->set_role_category(p.role_category());
  s->set_coordination_required(p.coordination_required());
  s->set_anonymised(p.anonymised());
  s->set_women_preferred_if_underrepresented(p.women_preferred_if_underrepresented());
  s->set_status(std::string(StatusName(p.status())));
  int64_t version = 0;
  if (absl::SimpleAtoi(p.etag(), &version)) s->set_version(version);
  s->set_location(p.location());
  s->set_department(p.department());
  s->set_regional_office(p.regional_office());
  s->set_coordination_district_tenant_id(p.coordination_district_tenant_id());
  s->set_employer_name(p.employer_name());
  for (const auto& pay : p.pay()) {
    for (const auto& g : pay.grades()) s->add_grades(g);
    auto* line = s->add_pay();
    line->set_scheme(v1::PayScheme_Name(pay.scheme()));
    *line->mutable_grades() = pay.grades();
    line->set_min_cents(pay.min_cents());
    line->set_max_cents(pay.max_cents());
  }
  if (p.has_publish_time()) *s->mutable_publish_time() = p.publish_time();
  if (p.has_close_time()) *s->mutable_close_time() = p.close_time();
}

absl::StatusOr<v1::Posting> PostingService::Create(const auth::Principal& who,
                                                   const std::string& correlation_id,
                                                   const v1::CreatePostingRequest& request) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!request.has_posting()) return errors::InvalidField("posting", "required");
  // The Kennziffer is assigned here. Only an admin may take over one from a legacy system.
  std::optional<std::string> imported_kennziffer;
  if (!request.posting().kennziffer().empty()) {
    if (!who.HasRole(auth::roles::kAdmin)) {
      return errors::InvalidField("posting.kennziffer", "assigned by the service; leave it empty");
    }
    if (!IsWellFormedKennziffer(request.posting().kennziffer())) {
      return errors::InvalidField("posting.kennziffer", "expected YY/NNNN, e.g. 24/0296");
    }
    imported_kennziffer = request.posting().kennziffer();
  }
  v1::Posting draft = request.posting();
  ClearServerFields(draft);
  const absl::Time now = clock_.Now();
  if (absl::Status s = ValidateDraft(draft, now); !s.ok()) return s;
  if (draft.posting_kind() == v1::POSTING_KIND_UNSPECIFIED) draft.set_posting_kind(v1::JOB);
  if (draft.role_category() == v1::ROLE_CATEGORY_UNSPECIFIED) {
    draft.set_role_category(v1::OTHER);
  }
  // The statements of LGG NRW / SGB IX are fields; keep the top-level flag in step.
  if (draft.women_preferred_if_underrepresented()) {
    draft.mutable_equal_opportunity()->set_women_preferred_if_underrepresented(true);
  }
  draft.set_women_preferred_if_underrepresented(
      draft.equal_opportunity().women_preferred_if_underrepresented());

  const Actor actor = Actor::Of(who, correlation_id);
  return store_.Create(
      actor, Idem("CreatePosting", request.request_id(), request), now, imported_kennziffer,
      [&](const std::string& id, const std::string& kennziffer) -> absl::StatusOr<Change> {
        Change change;
        change.next = draft;
        change.next.set_id(id);
        change.next.set_tenant_id(who.tenant);
        change.next.set_kennziffer(kennziffer);
        change.next.set_status(v1::DRAFT);
        *change.next.mutable_create_time() = Ts(now);
        *change.next.mutable_update_time() = Ts(now);
        SetDeadlineTime(change.next);
        return change;
      });
}

absl::StatusOr<v1::Posting> PostingService::Mutate(const auth::Principal& who,
                                                   const std::string& correlation_id,
                                                   const IdempotencyRequest& idem,
                                                   const std::string& id, const Decide& decide) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not a posting id (UUID)");
  auto result = store_.Update(Actor::Of(who, correlation_id), idem, id, decide);
  if (result.ok()) Committed(*result);
  return result;
}

absl::StatusOr<v1::Posting> PostingService::Update(const auth::Principal& who,
                                                   const std::string& correlation_id,
                                                   const v1::UpdatePostingRequest& request) {
  if (!request.has_posting()) return errors::InvalidField("posting", "required");
  const absl::Time now = clock_.Now();
  // Paths may name nested fields (employment.part_time_possible); server fields never.
  for (const auto& path : request.update_mask().paths()) {
    if (!google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(v1::Posting::descriptor(), path,
                                                                    nullptr)) {
      return errors::InvalidField("update_mask", absl::StrCat("unknown field \"", path, "\""));
    }
    if (IsServerField(std::string_view(path).substr(0, path.find('.')))) {
      return errors::InvalidField("update_mask",
                                  absl::StrCat("\"", path, "\" is kept by the server"));
    }
  }
  return Mutate(who, correlation_id, Idem("UpdatePosting", request.request_id(), request),
                request.posting().id(), [&](const v1::Posting& current) -> absl::StatusOr<Change> {
                  if (request.posting().etag().empty()) {
                    return errors::InvalidField("posting.etag",
                                                "required for updates (optimistic concurrency)");
                  }
                  if (absl::Status s = CheckEtag(current, request.posting().etag()); !s.ok())
                    return s;
                  if (current.status() == v1::CLOSED || current.status() == v1::WITHDRAWN) {
                    return absl::FailedPreconditionError(absl::StrCat(
                        "a ", StatusName(current.status()), " posting cannot be changed"));
                  }
                  v1::Posting incoming = request.posting();
                  ClearServerFields(incoming);
                  v1::Posting next = current;
                  if (request.update_mask().paths_size() == 0) {
                    // Replace all client-settable fields.
                    v1::Posting server_fields = current;
                    next = incoming;
                    next.set_id(server_fields.id());
                    next.set_tenant_id(server_fields.tenant_id());
                    next.set_kennziffer(server_fields.kennziffer());
                    next.set_status(server_fields.status());
                    *next.mutable_create_time() = server_fields.create_time();
                    if (server_fields.has_publish_time()) {
                      *next.mutable_publish_time() = server_fields.publish_time();
                    }
                  } else {
                    google::protobuf::util::FieldMaskUtil::MergeOptions options;
                    options.set_replace_repeated_fields(true);
                    options.set_replace_message_fields(true);  // a masked message is taken as sent
                    google::protobuf::util::FieldMaskUtil::MergeMessageTo(
                        incoming, request.update_mask(), options, &next);
                  }
                  next.set_women_preferred_if_underrepresented(
                      next.women_preferred_if_underrepresented() ||
                      next.equal_opportunity().women_preferred_if_underrepresented());
                  next.mutable_equal_opportunity()->set_women_preferred_if_underrepresented(
                      next.women_preferred_if_underrepresented());
                  if (next.application_deadline() != current.application_deadline() ||
                      current.status() == v1::DRAFT) {
                    if (absl::Status s = ValidateDraft(next, now); !s.ok()) return s;
                  } else {
                    // An unchanged deadline may already lie in the past for validation purposes.
                    v1::Posting check = next;
                    check.clear_application_deadline();
                    if (absl::Status s = ValidateDraft(check, now); !s.ok()) return s;
                  }
                  Change change;
                  if (current.status() == v1::PUBLISHED) {
                    if (absl::Status s = CheckPublishedUpdate(current, next, now); !s.ok())
                      return s;
                    if (absl::Status s = CheckPublishable(
                            [&] {
                              v1::Posting p = next;
                              p.set_status(v1::DRAFT);
                              return p;
                            }(),
                            now);
                        !s.ok()) {
                      return s;  // a published posting must stay publishable
                    }
                  }
                  *next.mutable_update_time() = Ts(now);
                  SetDeadlineTime(next);
                  change.next = next;
                  if (current.status() == v1::PUBLISHED) {
                    auto event = std::make_shared<ev::PostingUpdated>();
                    FillSnapshot(next, event->mutable_posting());
                    for (const std::string& field : ChangedFields(current, next)) {
                      event->add_changed_fields(field);
                    }
                    change.events.push_back(event);
                    if (next.application_deadline() != current.application_deadline()) {
                      change.timer = DeadlineTimer::kSchedule;
                    }
                  }
                  return change;
                });
}

absl::StatusOr<v1::Posting> PostingService::Publish(const auth::Principal& who,
                                                    const std::string& correlation_id,
                                                    const v1::PublishPostingRequest& request) {
  const absl::Time now = clock_.Now();
  return Mutate(who, correlation_id, Idem("PublishPosting", request.request_id(), request),
                request.id(), [&](const v1::Posting& current) -> absl::StatusOr<Change> {
                  if (absl::Status s = CheckEtag(current, request.etag()); !s.ok()) return s;
                  if (absl::Status s = CheckPublishable(current, now); !s.ok()) return s;
                  Change change;
                  change.next = current;
                  change.next.set_status(v1::PUBLISHED);
                  *change.next.mutable_publish_time() = Ts(now);
                  *change.next.mutable_update_time() = Ts(now);
                  SetDeadlineTime(change.next);
                  change.events.push_back(Snapshotted<ev::PostingPublished>(change.next));
                  change.timer = DeadlineTimer::kSchedule;
                  return change;
                });
}

absl::StatusOr<v1::Posting> PostingService::Close(const auth::Principal& who,
                                                  const std::string& correlation_id,
                                                  const v1::ClosePostingRequest& request) {
  const absl::Time now = clock_.Now();
  return Mutate(who, correlation_id, Idem("ClosePosting", request.request_id(), request),
                request.id(), [&](const v1::Posting& current) -> absl::StatusOr<Change> {
                  if (absl::Status s = CheckEtag(current, request.etag()); !s.ok()) return s;
                  if (absl::Status s = CheckTransition(current.status(), v1::CLOSED); !s.ok()) {
                    return s;
                  }
                  Change change;
                  change.next = current;
                  change.next.set_status(v1::CLOSED);
                  *change.next.mutable_close_time() = Ts(now);
                  *change.next.mutable_update_time() = Ts(now);
                  change.events.push_back(Snapshotted<ev::PostingClosed>(change.next));
                  change.timer = DeadlineTimer::kCancel;
                  return change;
                });
}

absl::StatusOr<v1::Posting> PostingService::Withdraw(const auth::Principal& who,
                                                     const std::string& correlation_id,
                                                     const v1::WithdrawPostingRequest& request) {
  const absl::Time now = clock_.Now();
  if (request.reason().size() > kMaxItemText) {
    return errors::InvalidField("reason", "at most 2000 characters");
  }
  return Mutate(who, correlation_id, Idem("WithdrawPosting", request.request_id(), request),
                request.id(), [&](const v1::Posting& current) -> absl::StatusOr<Change> {
                  if (absl::Status s = CheckEtag(current, request.etag()); !s.ok()) return s;
                  if (absl::Status s = CheckTransition(current.status(), v1::WITHDRAWN); !s.ok()) {
                    return s;
                  }
                  if (current.status() == v1::PUBLISHED && request.reason().empty()) {
                    return errors::InvalidField("reason",
                                                "withdrawing a published posting needs a reason");
                  }
                  Change change;
                  change.next = current;
                  change.next.set_status(v1::WITHDRAWN);
                  change.next.set_withdraw_reason(request.reason());
                  *change.next.mutable_close_time() = Ts(now);
                  *change.next.mutable_update_time() = Ts(now);
                  if (current.status() == v1::PUBLISHED) {
                    auto event = std::make_shared<ev::PostingWithdrawn>();
                    FillSnapshot(change.next, event->mutable_posting());
                    event->set_reason(request.reason());
                    change.events.push_back(event);
                  }
                  change.timer = DeadlineTimer::kCancel;
                  return change;
                });
}

absl::StatusOr<Change> PostingService::CloseByDeadline(const v1::Posting& current, absl::Time now) {
  Change change;
  change.next = current;
  if (current.status() != v1::PUBLISHED) return change;  // withdrawn/closed meanwhile
  auto deadline = DeadlineInstant(current);
  if (!deadline.ok() || *deadline > now) {
    change.timer = DeadlineTimer::kSchedule;  // extended meanwhile: wait for the new one
    return change;
  }
  change.next.set_status(v1::CLOSED);
  *change.next.mutable_close_time() = Ts(*deadline);
  *change.next.mutable_update_time() = Ts(now);
  auto event = std::make_shared<ev::PostingClosed>();
  FillSnapshot(change.next, event->mutable_posting());
  event->set_by_deadline(true);
  change.events.push_back(event);
  return change;
}

bool PostingService::CanSeeHidden(const std::optional<auth::Principal>& who,
                                  const v1::Posting& p) const {
  return who.has_value() && who->tenant == p.tenant_id() &&
         who->HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin});
}

absl::StatusOr<v1::Posting> PostingService::Get(const std::optional<auth::Principal>& who,
                                                const std::string& id) {
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not a posting id (UUID)");
  v1::Posting posting;
  const std::string key = CacheKey(id);
  std::optional<std::string> cached = cache_.Get(key);
  if (!cached.has_value() || !posting.ParseFromString(*cached)) {
    auto loaded = store_.Get(id);
    if (!loaded.ok()) return loaded.status();
    posting = *std::move(loaded);
    int64_t version = 0;
    if (absl::SimpleAtoi(posting.etag(), &version)) {
      cache_.Put(key, version, posting.SerializeAsString(), kCacheTtl);
    }
  }
  const bool visible = posting.status() == v1::PUBLISHED || posting.status() == v1::CLOSED;
  if (!visible && !CanSeeHidden(who, posting)) {
    return absl::NotFoundError(absl::StrCat("posting ", id, " not found"));
  }
  if (visible && index_ != nullptr) index_->Remember(posting);
  return posting;
}

std::shared_ptr<const v1::Posting> PostingService::TryGetPublic(const std::string& id) const {
  return index_ == nullptr ? nullptr : index_->TryGet(id);
}

std::shared_ptr<const v1::Posting> PostingService::TryGetPublicByKennziffer(
    const std::string& tenant_id, const std::string& kennziffer) const {
  return index_ == nullptr ? nullptr : index_->TryGetByKennziffer(tenant_id, kennziffer);
}

absl::StatusOr<v1::Posting> PostingService::GetByKennziffer(
    const std::optional<auth::Principal>& who, const std::string& tenant_id,
    const std::string& kennziffer) {
  errors::Validator v;
  v.Check(!tenant_id.empty() && tenant_id.size() <= 64, "tenant_id", "required");
  v.Check(IsWellFormedKennziffer(kennziffer), "kennziffer", "expected YY/NNNN, e.g. 24/0296");
  if (!v.ok()) return v.status();
  auto posting = store_.GetByKennziffer(tenant_id, kennziffer);
  if (!posting.ok()) return posting.status();
  const bool visible = posting->status() == v1::PUBLISHED || posting->status() == v1::CLOSED;
  if (!visible && !CanSeeHidden(who, *posting)) {
    return absl::NotFoundError(absl::StrCat("posting ", kennziffer, " not found"));
  }
  if (visible && index_ != nullptr) index_->Remember(*posting);
  return posting;
}

absl::StatusOr<PostingPage> PostingService::List(const auth::Principal& who,
                                                 const v1::ListPostingsRequest& request) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!request.tenant_id().empty() && request.tenant_id() != who.tenant) {
    return absl::PermissionDeniedError("tenant_id: only your own tenant's postings are listed");
  }
  errors::Validator v;
  v.Check(request.page_size() >= 0 && request.page_size() <= 100, "page_size", "0–100");
  for (int s : request.status()) {
    v.Check(v1::PostingStatus_IsValid(s) && s != v1::POSTING_STATUS_UNSPECIFIED, "status",
            "unknown status");
  }
  if (!v.ok()) return v.status();
  ListQuery q;
  q.tenant_id = who.tenant;
  for (int s : request.status()) q.statuses.push_back(static_cast<v1::PostingStatus>(s));
  q.page_size = request.page_size() == 0 ? 20 : request.page_size();
  q.page_token = request.page_token();
  return store_.List(q);
}

void PostingService::Committed(const v1::Posting& posting) {
  int64_t version = 0;
  if (absl::SimpleAtoi(posting.etag(), &version))
    cache_.Invalidate(CacheKey(posting.id()), version);
  if (posting.status() != v1::DRAFT) {
    cache_.BumpGeneration(kSearchFamily);
    if (index_ != nullptr) index_->Changed();
  }
}

absl::StatusOr<v1::SearchPostingsResponse> PostingService::Search(
    const v1::SearchPostingsRequest& r) {
  errors::Validator v;
  v.Check(r.query().size() <= 200, "query", "at most 200 characters");
  v.Check(r.tenant_id().size() <= 64, "tenant_id", "at most 64 characters");
  v.Check(r.location().size() <= 100, "location", "at most 100 characters");
  v.Check(r.page_size() >= 0 && r.page_size() <= 100, "page_size", "0–100");
  v.Check(v1::PayScheme_IsValid(r.pay_scheme()), "pay_scheme", "unknown pay scheme");
  v.Check(v1::ContractType_IsValid(r.contract()), "contract", "unknown contract type");
  v.Check(v1::PostingKind_IsValid(r.posting_kind()), "posting_kind", "unknown kind");
  v.Check(!(r.open_only() && r.include_closed()), "include_closed",
          "contradicts open_only; set one of them");
  SearchQuery q;
  for (const auto& [field, grade, out] : {std::tuple{"grade_min", &r.grade_min(), &q.grade_min},
                                          std::tuple{"grade_max", &r.grade_max(), &q.grade_max}}) {
    if (grade->empty()) continue;
    if (r.pay_scheme() == v1::PAY_SCHEME_UNSPECIFIED) {
      v.Add(field, "a grade range needs pay_scheme");
      continue;
    }
    *out = GradeRank(r.pay_scheme(), *grade);
    if (!out->has_value()) {
      v.Add(field, absl::StrCat("\"", *grade, "\" is not a grade of ",
                                v1::PayScheme_Name(r.pay_scheme())));
    }
  }
  int offset = 0;
  if (!r.page_token().empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(r.page_token(), &raw) || raw.rfind("o:", 0) != 0 ||
        !absl::SimpleAtoi(raw.substr(2), &offset) || offset < 0 || offset > kMaxSearchOffset) {
      v.Add("page_token", "not a token from a previous page");
    }
  }
  if (!v.ok()) return v.status();

  q.text = NormalizeGermanText(r.query());
  q.tenant_id = r.tenant_id();
  q.pay_scheme = r.pay_scheme();
  q.location = NormalizeGermanText(r.location());
  q.contract = r.contract();
  q.posting_kind = r.posting_kind();
  // Open postings unless closed ones are asked for: a closed posting is no offer any more.
  q.open_only = r.open_only() || !r.include_closed();
  q.part_time = r.part_time();
  q.page_size = r.page_size() == 0 ? 20 : r.page_size();
  q.offset = offset;
  q.now = clock_.Now();

  // The in-memory replica answers what it can: no cache, no database round trip.
  if (index_ != nullptr) {
    if (auto result = index_->TrySearch(q)) return Response(*std::move(result), q);
  }

  // Otherwise the store, behind a cache. Cache key: the normalised request under the current
  // generation; open-only pages also carry the minute, so a passing deadline shows within a
  // minute even before its event. Generation and page in one cache round trip.
  v1::SearchPostingsRequest normalised = r;
  normalised.set_query(q.text);
  normalised.set_location(q.location);
  const std::string suffix = absl::StrCat(":", q.open_only ? absl::ToUnixSeconds(q.now) / 60 : 0,
                                          ":", store::RequestHash(normalised));
  const cache::Cache::GenerationalValue lookup =
      cache_.GetInGeneration(kSearchFamily, "search:", suffix);
  const std::optional<int64_t> generation = lookup.generation;
  if (lookup.value.has_value()) {
    v1::SearchPostingsResponse cached;
    if (cached.ParseFromString(*lookup.value)) return cached;
  }
  auto result = store_.Search(q);
  if (!result.ok()) return result.status();
  v1::SearchPostingsResponse response = Response(*std::move(result), q);
  if (generation.has_value()) {
    cache_.Put(cache::Cache::GenerationalKey("search:", *generation, suffix), *generation,
               response.SerializeAsString(), kSearchTtl);
  }
  return response;
}

v1::SearchPostingsResponse PostingService::Response(SearchResult result, const SearchQuery& q) {
  v1::SearchPostingsResponse response;
  for (auto& [posting, rank] : result.hits) {
    auto* hit = response.add_hits();
    TrimToListing(posting);
    *hit->mutable_posting() = std::move(posting);
    hit->set_rank(rank);
  }
  response.set_total_size(result.total);  // kSearchCountCap + 1 means "more than the cap"
  if (result.has_more && q.offset + q.page_size <= kMaxSearchOffset) {
    response.set_next_page_token(
        absl::WebSafeBase64Escape(absl::StrCat("o:", q.offset + q.page_size)));
  }
  return response;
}

absl::StatusOr<std::string> PostingService::ExportJobPosting(
    const std::optional<auth::Principal>& who, const std::string& id) {
  auto posting = Get(who, id);
  if (!posting.ok()) return posting.status();
  return JobPostingJsonLd(*posting);
}

}  // namespace stellenwerk::postings
