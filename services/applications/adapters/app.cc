#include "services/applications/app.h"

#include "common/pg/migrations.h"
#include "google/protobuf/util/time_util.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& ApplicationsMigrations();
}

namespace stellenwerk::applications {
namespace {

PostingSnapshot SnapshotOf(const events::v1::PostingSnapshot& s) {
  PostingSnapshot p;
  p.posting_id = s.posting_id();
  p.tenant_id = s.tenant_id();
  p.kennziffer = s.kennziffer();
  p.title = s.title();
  p.status = s.status();
  if (s.has_deadline_time()) {
    p.deadline = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(s.deadline_time()));
  }
  p.anonymised = s.anonymised();
  p.coordination_required = s.coordination_required();
  return p;
}

}  // namespace

ApplicationsApp::ApplicationsApp(config::RuntimeConfig config) : runtime_(std::move(config)) {}

absl::Status ApplicationsApp::Init() {
  if (absl::Status s = runtime_.Init(pg::ApplicationsMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgApplicationStore>(runtime_.db(), runtime_.schema(), runtime_.clock());
  service_ = std::make_unique<ApplicationService>(*store_, runtime_.clock());
  grpc_ = std::make_unique<ApplicationGrpcService>(runtime_, *service_);
  runtime_.AddService(grpc_.get(), v1::ApplicationService::service_full_name());

  // What applications needs of postings arrives as events; every posting event carries the
  // snapshot as field 2, so one message type reads them all.
  auto& consumer = runtime_.consumer({"postings.posting.*.v1"});
  for (const char* type : {"postings.posting.published.v1", "postings.posting.updated.v1",
                           "postings.posting.withdrawn.v1"}) {
    consumer.On(type, [this](pqxx::work& tx, const amqp::Delivery& d) -> absl::Status {
      events::v1::PostingUpdated e;
      if (!e.ParseFromString(d.message.body) || e.posting().posting_id().empty()) {
        return absl::InvalidArgumentError("undecodable posting event");
      }
      return store_->ApplyPostingSnapshot(tx, SnapshotOf(e.posting()), e.posting().version());
    });
  }
  // At the deadline: no more applications, and RECEIVED ones go to SCREENING (DOMAIN.md).
  consumer.On("postings.posting.closed.v1", [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::PostingClosed e;
    if (!e.ParseFromString(d.message.body) || e.posting().posting_id().empty()) {
      return absl::InvalidArgumentError("undecodable posting.closed event");
    }
    if (absl::Status s = store_->ApplyPostingSnapshot(tx, SnapshotOf(e.posting()),
                                                      e.posting().version());
        !s.ok()) {
      return s;
    }
    return store_->StartScreening(tx, e.posting().posting_id(), d.message.correlation_id);
  });
  return absl::OkStatus();
}

}  // namespace stellenwerk::applications
