#pragma once
// Who hears what (ADR 0021), as use cases: each event this service consumes (and the
// acknowledgment timer) becomes the messages of domain/audience.h's rules, addressed and
// recorded through the NotificationRecords port. No SQL, no transport: adapters/app.cc runs
// each in the consumer's transaction.

#include <string>

#include "absl/time/time.h"
#include "services/notifications/domain/notification_records.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::notifications {

namespace ev = stellenwerk::events::v1;

class Notifier {
 public:
  // Applications (seed 000, SGB IX § 178 (2), GDPR Art. 17).
  static void Submitted(NotificationRecords& r, const ev::ApplicationSubmitted& e, absl::Time now);
  // The MANUAL acknowledgment `delivery_id` of `application_id` fell due still held.
  static void AcknowledgmentOverdue(NotificationRecords& r, const std::string& delivery_id,
                                    const std::string& application_id);
  static void StatusChanged(NotificationRecords& r, const ev::ApplicationStatusChanged& e);
  static void RepresentativeInformed(NotificationRecords& r,
                                     const ev::DisabilityRepresentativeInformed& e);
  static void Withdrawn(NotificationRecords& r, const ev::ApplicationWithdrawn& e);
  static void Erased(NotificationRecords& r, const ev::ApplicantErased& e);
  // Scheduling: a day planned for a posting is offered to its applications already INVITED
  // (those invited later hear of it in their invitation).
  static void SelectionDayScheduled(NotificationRecords& r, const ev::SelectionDayScheduled& e);
  // Scheduling: the applicant's appointment; `ics_method` "" sends no calendar entry.
  static void Appointment(NotificationRecords& r, const ev::AppointmentSnapshot& b,
                          const ev::EventMeta& meta, Kind kind, const std::string& ics_method);
  // Coordination (seed 004): each side's Koordinierungsstelle.
  static void NoticeFiled(NotificationRecords& r, const ev::StaffingNoticeFiled& e);
  static void ConcernRaised(NotificationRecords& r, const ev::StaffingConcernRaised& e);
  static void Cleared(NotificationRecords& r, const ev::StaffingCleared& e);
  static void Instructed(NotificationRecords& r, const ev::StaffingInstructed& e);
  static void NoticeWithdrawn(NotificationRecords& r, const ev::StaffingWithdrawn& e);
  static void BaseDataOverdue(NotificationRecords& r, const ev::BaseDataOverdue& e);
};

}  // namespace stellenwerk::notifications
