#include "services/scheduling/api/scheduling_grpc_service.h"

#include "common/logging/log.h"

namespace stellenwerk::scheduling {

template <typename Response, typename Fn>
grpc::ServerUnaryReactor* SchedulingGrpcService::Handle(grpc::CallbackServerContext* ctx,
                                                        Operation op, Response* response, Fn fn) {
  return runtime_.Unary(ctx, [op, fn = std::move(fn), response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    logging::ScopedLogContext log_context("", who->tenant);
    auto actor = ActorFor(*who, op, call.correlation_id());
    if (!actor.ok()) return actor.status();
    absl::StatusOr<Response> result = fn(*actor);
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

// Each handler: the operation it is (for the role check) and one store call.
#define STW_SCHEDULING_HANDLER(Name, Request, Response, Op, Call)                                 \
  grpc::ServerUnaryReactor* SchedulingGrpcService::Name(                                          \
      grpc::CallbackServerContext* ctx, const Request* request, Response* response) {             \
    return Handle(                                                                                \
        ctx, Operation::Op, response,                                                             \
        [this, request](const store::Actor& actor) -> absl::StatusOr<Response> { return Call; }); \
  }

STW_SCHEDULING_HANDLER(CreateSelectionDay, v1::CreateSelectionDayRequest, v1::SelectionDay, kPlan,
                       store_.CreateSelectionDay(actor, *request))
STW_SCHEDULING_HANDLER(GetSelectionDay, v1::GetSelectionDayRequest, v1::SelectionDay, kReadDay,
                       store_.GetSelectionDay(actor, request->id()))
STW_SCHEDULING_HANDLER(ListSlots, v1::ListSlotsRequest, v1::ListSlotsResponse, kReadDay,
                       store_.ListSlots(actor, *request))
STW_SCHEDULING_HANDLER(BookSlot, v1::BookSlotRequest, v1::Booking, kBook,
                       store_.BookSlot(actor, *request))
STW_SCHEDULING_HANDLER(RescheduleBooking, v1::RescheduleBookingRequest, v1::Booking, kBook,
                       store_.RescheduleBooking(actor, *request))
STW_SCHEDULING_HANDLER(CancelBooking, v1::CancelBookingRequest, v1::Booking, kBook,
                       store_.CancelBooking(actor, *request))
STW_SCHEDULING_HANDLER(GetBookingCalendar, v1::GetBookingCalendarRequest, v1::BookingCalendar,
                       kReadBookings, store_.GetBookingCalendar(actor, request->booking_id()))
STW_SCHEDULING_HANDLER(ListBookings, v1::ListBookingsRequest, v1::ListBookingsResponse,
                       kReadBookings, store_.ListBookings(actor, *request))
STW_SCHEDULING_HANDLER(ListInvitations, v1::ListInvitationsRequest, v1::ListInvitationsResponse,
                       kReadInvitations, store_.ListInvitations(actor, *request))
STW_SCHEDULING_HANDLER(UpdateInvitation, v1::UpdateInvitationRequest, v1::Invitation, kInvite,
                       store_.UpdateInvitation(actor, *request))
STW_SCHEDULING_HANDLER(DeclareInternshipPeriod, v1::DeclareInternshipPeriodRequest,
                       v1::InternshipPeriod, kDeclarePeriod,
                       store_.DeclareInternshipPeriod(actor, *request))
STW_SCHEDULING_HANDLER(RequestInternship, v1::RequestInternshipRequest, v1::InternshipRequest,
                       kRequestPeriod, store_.RequestInternship(actor, *request))
#undef STW_SCHEDULING_HANDLER

}  // namespace stellenwerk::scheduling
