#include "services/gateway/server/services.h"

#include "stellenwerk/applications/v1/applications.pb.h"
#include "stellenwerk/postings/v1/postings.pb.h"
#ifdef STELLENWERK_GATEWAY_HAVE_COORDINATION
#include "stellenwerk/coordination/v1/coordination.pb.h"
#endif
#ifdef STELLENWERK_GATEWAY_HAVE_SCHEDULING
#include "stellenwerk/scheduling/v1/scheduling.pb.h"
#endif
#ifdef STELLENWERK_GATEWAY_HAVE_NOTIFICATIONS
#include "stellenwerk/notifications/v1/notifications.pb.h"
#endif

namespace stellenwerk::gateway {

// Naming each file's descriptor here also keeps its generated code linked (a static library's
// object nobody references would be dropped, and its descriptors with it).
std::vector<const google::protobuf::ServiceDescriptor*> LinkedServices() {
  std::vector<const google::protobuf::FileDescriptor*> files = {
      postings::v1::Posting::descriptor()->file(),
      applications::v1::Application::descriptor()->file(),
#ifdef STELLENWERK_GATEWAY_HAVE_COORDINATION
      coordination::v1::StaffingNotice::descriptor()->file(),
#endif
#ifdef STELLENWERK_GATEWAY_HAVE_NOTIFICATIONS
      notifications::v1::InboxItem::descriptor()->file(),
#endif
#ifdef STELLENWERK_GATEWAY_HAVE_SCHEDULING
      scheduling::v1::Booking::descriptor()->file(),
#endif
  };
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  for (const auto* f : files) {
    for (int i = 0; i < f->service_count(); ++i) out.push_back(f->service(i));
  }
  return out;
}

}  // namespace stellenwerk::gateway
