#include "common/outbox/events.h"

#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/outbox/outbox.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/time_util.h"
#include "stellenwerk/events/v1/meta.pb.h"

namespace stellenwerk::outbox {

OutgoingEvent Prepare(const EventContext& ctx, google::protobuf::Message& event) {
  const std::string& type = events::RoutingKeyOfEvent(event.GetDescriptor());
  const auto* field = event.GetDescriptor()->FindFieldByName("meta");
  if (field == nullptr || field->message_type() != events::v1::EventMeta::descriptor()) {
    throw std::logic_error("event " + event.GetTypeName() + " has no EventMeta meta field");
  }
  auto* meta =
      static_cast<events::v1::EventMeta*>(event.GetReflection()->MutableMessage(&event, field));
  if (meta->event_id().empty()) meta->set_event_id(ids::NewUuid());
  *meta->mutable_occur_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(ctx.now));
  meta->set_tenant_id(ctx.tenant_id);
  // Every event carries a correlation id (CONTRACT.md): one the system starts by itself (a
  // timer, a sweep) begins its own chain under its event id.
  const std::string& correlation_id =
      ctx.correlation_id.empty() ? meta->event_id() : ctx.correlation_id;
  meta->set_correlation_id(correlation_id);
  meta->set_actor(ctx.actor);
  OutgoingEvent out;
  out.event_id = meta->event_id();
  out.type = type;
  out.tenant_id = ctx.tenant_id;
  out.correlation_id = correlation_id;
  out.occur_time = ctx.now;
  out.payload = event.SerializeAsString();
  return out;
}

std::string Publish(pqxx::work& tx, const EventContext& ctx, google::protobuf::Message& event) {
  OutgoingEvent out = Prepare(ctx, event);
  Enqueue(tx, ctx.schema, out);
  return out.event_id;
}

}  // namespace stellenwerk::outbox
