#pragma once
// gRPC handlers of stellenwerk.scheduling.v1.SchedulingService: authenticate, decide the role
// (domain/access.h), call the store, map the result. Each runs on the runtime's worker pool.

#include "common/runtime/runtime.h"
#include "services/scheduling/adapters/pg_scheduling_store.h"
#include "services/scheduling/domain/access.h"
#include "stellenwerk/scheduling/v1/scheduling.grpc.pb.h"

namespace stellenwerk::scheduling {

class SchedulingGrpcService final : public v1::SchedulingService::CallbackService {
 public:
  SchedulingGrpcService(Runtime& runtime, PgSchedulingStore& store)
      : runtime_(runtime), store_(store) {}

#define STW_SCHEDULING_RPC(Name, Request, Response)                                        \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx, const Request* request, \
                                 Response* response) override;
  STW_SCHEDULING_RPC(CreateSelectionDay, v1::CreateSelectionDayRequest, v1::SelectionDay)
  STW_SCHEDULING_RPC(GetSelectionDay, v1::GetSelectionDayRequest, v1::SelectionDay)
  STW_SCHEDULING_RPC(ListSlots, v1::ListSlotsRequest, v1::ListSlotsResponse)
  STW_SCHEDULING_RPC(BookSlot, v1::BookSlotRequest, v1::Booking)
  STW_SCHEDULING_RPC(RescheduleBooking, v1::RescheduleBookingRequest, v1::Booking)
  STW_SCHEDULING_RPC(CancelBooking, v1::CancelBookingRequest, v1::Booking)
  STW_SCHEDULING_RPC(GetBookingCalendar, v1::GetBookingCalendarRequest, v1::BookingCalendar)
  STW_SCHEDULING_RPC(ListBookings, v1::ListBookingsRequest, v1::ListBookingsResponse)
  STW_SCHEDULING_RPC(ListInvitations, v1::ListInvitationsRequest, v1::ListInvitationsResponse)
  STW_SCHEDULING_RPC(UpdateInvitation, v1::UpdateInvitationRequest, v1::Invitation)
  STW_SCHEDULING_RPC(DeclareInternshipPeriod, v1::DeclareInternshipPeriodRequest,
                     v1::InternshipPeriod)
  STW_SCHEDULING_RPC(RequestInternship, v1::RequestInternshipRequest, v1::InternshipRequest)
#undef STW_SCHEDULING_RPC

 private:
  // Authenticated call as the actor of `op`: fn(actor) -> StatusOr<Response> into response.
  template <typename Response, typename Fn>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Operation op,
                                   Response* response, Fn fn);

  Runtime& runtime_;
  PgSchedulingStore& store_;
};

}  // namespace stellenwerk::scheduling
