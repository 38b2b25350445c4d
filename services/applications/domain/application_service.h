#pragma once
// The applications use cases: who may do what, the rules of application_rules.h, events.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/clock/clock.h"
#include "services/applications/domain/application_store.h"

namespace stellenwerk::applications {

inline constexpr char kSubmittedEvent[] = "applications.application.submitted.v1";
inline constexpr char kStatusChangedEvent[] = "applications.application.status_changed.v1";
inline constexpr char kWithdrawnEvent[] = "applications.application.withdrawn.v1";

class ApplicationService {
 public:
  ApplicationService(ApplicationStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Applicants upload their own documents (role applicant).
  absl::StatusOr<v1::Document> Upload(const auth::Principal& who,
                                      const v1::DocumentMetadata& metadata,
                                      const std::string& content);
  absl::StatusOr<v1::Application> Submit(const auth::Principal& who,
                                         const std::string& correlation_id,
                                         const v1::SubmitApplicationRequest& request);
  // Applicants see their own; the employer's HR and committee see their tenant's (the
  // committee pseudonymised when the posting is anonymised); anyone else NOT_FOUND.
  absl::StatusOr<v1::Application> Get(const auth::Principal& who, const std::string& id);
  absl::StatusOr<ApplicationPage> List(const auth::Principal& who,
                                       const v1::ListApplicationsRequest& request);
  absl::StatusOr<v1::Application> Withdraw(const auth::Principal& who,
                                           const std::string& correlation_id,
                                           const v1::WithdrawApplicationRequest& request);
  absl::StatusOr<v1::Application> ChangeStatus(const auth::Principal& who,
                                               const std::string& correlation_id,
                                               const v1::ChangeStatusRequest& request);

  // The view a principal may see of an application.
  static v1::Application ViewFor(const auth::Principal& who, v1::Application application,
                                 bool anonymised);

 private:
  absl::StatusOr<v1::Application> Transition(const auth::Principal& who, const Actor& actor,
                                             const IdempotencyRequest& idem, const std::string& id,
                                             v1::ApplicationStatus to, const std::string& reason,
                                             const std::function<absl::Status(const v1::Application&)>& check,
                                             const std::function<void(v1::Application&)>& amend = {});

  ApplicationStore& store_;
  const Clock& clock_;
};

}  // namespace stellenwerk::applications
