// The event catalogue binds each routing key of CONTRACT.md to exactly one message, and the
// outbox publishes a message only under its own key.
#include <stdexcept>

#include "absl/time/clock.h"
#include "common/events/catalogue.h"
#include "common/outbox/events.h"
#include "gtest/gtest.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/meta.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::events {
namespace {

TEST(EventCatalogue, EveryContractKeyIsBoundToItsMessage) {
  // CONTRACT.md "Events" and ARCHITECTURE.md's service table.
  const std::map<std::string, std::string> contract = {
      {"postings.posting.published.v1", "stellenwerk.events.v1.PostingPublished"},
      {"postings.posting.updated.v1", "stellenwerk.events.v1.PostingUpdated"},
      {"postings.posting.closed.v1", "stellenwerk.events.v1.PostingClosed"},
      {"postings.posting.withdrawn.v1", "stellenwerk.events.v1.PostingWithdrawn"},
      {"applications.application.submitted.v1", "stellenwerk.events.v1.ApplicationSubmitted"},
      {"applications.application.status_changed.v1",
       "stellenwerk.events.v1.ApplicationStatusChanged"},
      {"applications.application.withdrawn.v1", "stellenwerk.events.v1.ApplicationWithdrawn"},
      {"applications.hiring.proposed.v1", "stellenwerk.events.v1.HiringProposed"},
      {"applications.participation.recorded.v1", "stellenwerk.events.v1.ParticipationRecorded"},
      {"applications.applicant.erased.v1", "stellenwerk.events.v1.ApplicantErased"},
      {"applications.disability_representative.informed.v1",
       "stellenwerk.events.v1.DisabilityRepresentativeInformed"},
      {"coordination.staffing.notice_filed.v1", "stellenwerk.events.v1.StaffingNoticeFiled"},
      {"coordination.staffing.concern_raised.v1", "stellenwerk.events.v1.StaffingConcernRaised"},
      {"coordination.staffing.cleared.v1", "stellenwerk.events.v1.StaffingCleared"},
      {"coordination.staffing.instructed.v1", "stellenwerk.events.v1.StaffingInstructed"},
      {"coordination.staffing.withdrawn.v1", "stellenwerk.events.v1.StaffingWithdrawn"},
      {"coordination.base_data.overdue.v1", "stellenwerk.events.v1.BaseDataOverdue"},
      {"notifications.notification.delivered.v1", "stellenwerk.events.v1.NotificationDelivered"},
      {"notifications.notification.failed.v1", "stellenwerk.events.v1.NotificationFailed"},
      {"scheduling.selection_day.scheduled.v1", "stellenwerk.events.v1.SelectionDayScheduled"},
      {"scheduling.booking.confirmed.v1", "stellenwerk.events.v1.BookingConfirmed"},
      {"scheduling.booking.rescheduled.v1", "stellenwerk.events.v1.BookingRescheduled"},
      {"scheduling.booking.cancelled.v1", "stellenwerk.events.v1.BookingCancelled"},
      {"scheduling.reminder.due.v1", "stellenwerk.events.v1.ReminderDue"},
  };
  for (const auto& [key, message] : contract) {
    const auto* d = MessageFor(key);
    ASSERT_NE(d, nullptr) << key;
    EXPECT_EQ(d->full_name(), message) << key;
  }
  EXPECT_EQ(Catalogue().size(), contract.size()) << "an event outside the contract's list";
  EXPECT_TRUE(Check().ok()) << Check().message();
}

TEST(EventCatalogue, TheKeyComesFromTheMessageType) {
  EXPECT_EQ(RoutingKey<v1::PostingClosed>(), "postings.posting.closed.v1");
  EXPECT_EQ(RoutingKey<v1::StaffingCleared>(), "coordination.staffing.cleared.v1");
  // A part of events (a snapshot) or the meta is no event: it has no key and cannot be one.
  EXPECT_EQ(RoutingKeyOf(v1::PostingSnapshot::descriptor()), "");
  EXPECT_THROW(RoutingKey<v1::EventMeta>(), std::logic_error);
}

TEST(EventCatalogue, OutboxPublishesAMessageOnlyUnderItsOwnKey) {
  const outbox::EventContext ctx{"schema", "stadt-herne", "corr-1", "hr-1", absl::Now()};
  v1::ApplicationWithdrawn withdrawn;
  withdrawn.set_application_id("a-1");
  const outbox::OutgoingEvent out = outbox::Prepare(ctx, withdrawn);
  EXPECT_EQ(out.type, "applications.application.withdrawn.v1");
  EXPECT_EQ(out.tenant_id, "stadt-herne");
  EXPECT_EQ(out.correlation_id, "corr-1");
  EXPECT_FALSE(out.event_id.empty());
  // Not an event: refused, nothing to publish.
  v1::PostingSnapshot snapshot;
  EXPECT_THROW(outbox::Prepare(ctx, snapshot), std::logic_error);
}

TEST(EventCatalogue, DecodesABodyByItsKeyAndRefusesWhatDoesNotFit) {
  v1::StaffingCleared cleared;
  cleared.mutable_notice()->set_application_id("app-7");
  auto decoded = Decode("coordination.staffing.cleared.v1", cleared.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)->GetDescriptor(), v1::StaffingCleared::descriptor());
  EXPECT_EQ(static_cast<const v1::StaffingCleared&>(**decoded).notice().application_id(), "app-7");

  EXPECT_EQ(Decode("coordination.staffing.vanished.v1", "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Decode("coordination.staffing.cleared.v1", "\xff\xff\xff").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stellenwerk::events
