// The use cases of domain/notifier.h against an in-memory NotificationRecords: who hears what,
// without a database (the e2e suites run the same code through Postgres and SMTP).
#include "services/notifications/domain/notifier.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/notifications/domain/audience.h"

namespace stellenwerk::notifications {
namespace {

class FakeRecords final : public NotificationRecords {
 public:
  v1::TenantSettings Settings(const std::string& tenant) override {
    v1::TenantSettings s = settings[tenant];
    s.set_tenant_id(tenant);
    return WithDefaults(s);
  }
  void Remember(const std::string& id, const ApplicationFacts& f, const Contact* c) override {
    applications.emplace(id, f);
    if (c != nullptr) contacts[f.tenant_id + "/" + f.applicant_sub] = *c;
  }
  std::optional<ApplicationFacts> Application(const std::string& id) override {
    auto it = applications.find(id);
    if (it == applications.end()) return std::nullopt;
    return it->second;
  }
  void NoteStatus(const std::string& id, const std::string& status) override {
    if (statuses[id] != "WITHDRAWN" && statuses[id] != "REJECTED") statuses[id] = status;
  }
  std::vector<std::pair<std::string, ApplicationFacts>> Invited(
      const std::string& posting_id) override {
    std::vector<std::pair<std::string, ApplicationFacts>> out;
    for (const auto& [id, f] : applications) {
      if (f.posting_id == posting_id && statuses[id] == "INVITED") out.emplace_back(id, f);
    }
    return out;
  }
  std::pair<std::string, std::string> PostingRef(const std::string&) override { return {}; }
  std::optional<Contact> ContactOf(const std::string& tenant, const std::string& sub) override {
    auto it = contacts.find(tenant + "/" + sub);
    if (it == contacts.end()) return std::nullopt;
    return it->second;
  }
  std::string Record(const Planned& p, const v1::TenantSettings*) override {
    recorded.push_back(p);
    return "delivery-" + std::to_string(recorded.size());
  }
  void Forget(const std::string& tenant, const std::string& sub,
              const std::vector<std::string>&) override {
    forgotten.push_back(tenant + "/" + sub);
    contacts.erase(tenant + "/" + sub);
  }
  bool StillHeld(const std::string&) override { return held; }
  void ScheduleAcknowledgmentDue(const std::string& delivery_id, const std::string&,
                                 absl::Time due) override {
    timers[delivery_id] = due;
  }

  std::map<std::string, v1::TenantSettings> settings;
  std::map<std::string, ApplicationFacts> applications;
  std::map<std::string, std::string> statuses;
  std::map<std::string, Contact> contacts;
  std::vector<Planned> recorded;
  std::vector<std::string> forgotten;
  std::map<std::string, absl::Time> timers;
  bool held = true;
};

ev::ApplicationSubmitted Submitted() {
  ev::ApplicationSubmitted e;
  e.mutable_meta()->set_event_id("ev-1");
  e.mutable_meta()->set_tenant_id("herne");
  e.set_application_id("app-1");
  e.set_posting_id("post-1");
  e.set_applicant_sub("sub-1");
  e.set_kennziffer("24/0815");
  e.set_posting_title("Sachbearbeiter*in");
  e.mutable_contact()->set_email("joerdis@example.de");
  e.mutable_contact()->set_given_name("Jördis");
  e.mutable_contact()->set_family_name("Müller");
  return e;
}

TEST(Notifier, ManualAcknowledgmentIsHeldTasksHrAndSetsItsTimer) {
  FakeRecords r;
  r.settings["herne"].set_acknowledgment(v1::MANUAL);
  r.settings["herne"].set_hr_mailbox("personal@herne.de");
  auto e = Submitted();
  e.set_severely_disabled(true);
  Notifier::Submitted(r, e, absl::FromUnixSeconds(1727769600));
  ASSERT_EQ(r.recorded.size(), 3u);
  EXPECT_EQ(r.recorded[0].kind, v1::APPLICATION_RECEIVED);
  EXPECT_TRUE(r.recorded[0].held);
  EXPECT_EQ(r.recorded[0].values.at("anrede"), "Guten Tag Jördis Müller");
  EXPECT_EQ(r.recorded[1].kind, v1::ACKNOWLEDGMENT_TASK);
  EXPECT_EQ(r.recorded[1].to.address, "personal@herne.de");
  EXPECT_EQ(r.recorded[2].kind, v1::SEVERELY_DISABLED_APPLICATION);
  EXPECT_EQ(r.timers.count("delivery-1"), 1u);
  // Staff mails name no applicant: neutral salutation, no display name, no subject.
  for (size_t i = 1; i < r.recorded.size(); ++i) {
    EXPECT_EQ(r.recorded[i].values.at("anrede"), "Guten Tag");
    EXPECT_TRUE(r.recorded[i].to.display_name.empty());
    EXPECT_TRUE(r.recorded[i].recipient_sub.empty());
  }
}

TEST(Notifier, InterviewedAsksTheThreeBodiesAndRejectionCarriesTheReason) {
  FakeRecords r;
  Notifier::Submitted(r, Submitted(), absl::Now());
  r.recorded.clear();
  ev::ApplicationStatusChanged s;
  s.mutable_meta()->set_event_id("ev-2");
  s.set_application_id("app-1");
  s.set_to("INTERVIEWED");
  Notifier::StatusChanged(r, s);
  ASSERT_EQ(r.recorded.size(), 3u);
  for (const auto& p : r.recorded) EXPECT_EQ(p.kind, v1::PARTICIPATION_DUE);
  r.recorded.clear();
  s.set_to("REJECTED");
  s.set_reason("Erfahrung fehlt.");
  Notifier::StatusChanged(r, s);
  ASSERT_EQ(r.recorded.size(), 1u);
  EXPECT_EQ(r.recorded[0].kind, v1::APPLICATION_REJECTED);
  EXPECT_EQ(r.recorded[0].values.at("grund"), "Erfahrung fehlt.");
  EXPECT_EQ(r.recorded[0].to.address, "joerdis@example.de");
  // An application this service never heard of: nothing.
  r.recorded.clear();
  s.set_application_id("unknown");
  Notifier::StatusChanged(r, s);
  EXPECT_TRUE(r.recorded.empty());
}

// A day planned after the invitation reaches the applications of its posting that are INVITED
// (not those still in screening, nor a withdrawn one), each once, pointing to "Meine Termine".
TEST(Notifier, ADayPlannedAfterTheInvitationIsOfferedToTheInvitedApplicants) {
  FakeRecords r;
  Notifier::Submitted(r, Submitted(), absl::Now());  // app-1 of posting-1
  ev::ApplicationSubmitted second = Submitted();
  second.set_application_id("app-2");
  second.set_applicant_sub("sub-2");
  Notifier::Submitted(r, second, absl::Now());
  ev::ApplicationSubmitted third = Submitted();
  third.set_application_id("app-3");
  third.set_applicant_sub("sub-3");
  Notifier::Submitted(r, third, absl::Now());
  auto status = [&](const std::string& id, const std::string& to) {
    ev::ApplicationStatusChanged s;
    s.mutable_meta()->set_event_id("status-" + id + "-" + to);
    s.set_application_id(id);
    s.set_to(to);
    Notifier::StatusChanged(r, s);
  };
  status("app-1", "INVITED");
  status("app-2", "SCREENING");
  status("app-3", "INVITED");
  status("app-3", "WITHDRAWN");
  status("app-3", "INVITED");  // late: a withdrawn application stays withdrawn
  r.recorded.clear();

  ev::SelectionDayScheduled day;
  day.mutable_meta()->set_event_id("day-1");
  day.set_posting_id(Submitted().posting_id());
  day.set_location("Rathaus Herne");
  day.set_room("2.14");
  day.set_video_available(true);
  day.set_start_local_text("Dienstag, 10. März 2026, 09:00 Uhr");
  Notifier::SelectionDayScheduled(r, day);
  ASSERT_EQ(r.recorded.size(), 1u);
  const Planned& p = r.recorded[0];
  EXPECT_EQ(p.kind, v1::SELECTION_DAY_OFFERED);
  EXPECT_EQ(p.application_id, "app-1");
  EXPECT_EQ(p.recipient_sub, "sub-1");
  EXPECT_EQ(p.values.at("termin"), "Dienstag, 10. März 2026, 09:00 Uhr");
  EXPECT_EQ(p.values.at("ort"), "Rathaus Herne, Raum 2.14; auch per Videokonferenz");
  const Composed c = Compose(p, DefaultTemplate(p.kind), r.Settings(p.tenant_id), "x@example.org");
  EXPECT_NE(c.text.body_text.find("„Meine Termine“"), std::string::npos) << c.text.body_text;
  EXPECT_EQ(c.text.body_text.find("{{"), std::string::npos);
  // Another posting's day reaches nobody here.
  r.recorded.clear();
  day.set_posting_id("posting-other");
  Notifier::SelectionDayScheduled(r, day);
  EXPECT_TRUE(r.recorded.empty());
}

TEST(Notifier, ErasureConfirmsOncePerApplicationThenForgets) {
  FakeRecords r;
  Notifier::Submitted(r, Submitted(), absl::Now());
  r.recorded.clear();
  ev::ApplicantErased e;
  e.mutable_meta()->set_event_id("ev-9");
  e.mutable_meta()->set_tenant_id("herne");
  e.set_applicant_sub("sub-1");
  e.add_application_ids("app-1");
  e.add_application_ids("never-seen");
  Notifier::Erased(r, e);
  ASSERT_EQ(r.recorded.size(), 1u);
  EXPECT_EQ(r.recorded[0].event_id, "ev-9:app-1");
  EXPECT_TRUE(r.recorded[0].forget_after_send);
  EXPECT_FALSE(r.recorded[0].inbox);
  EXPECT_EQ(r.forgotten, std::vector<std::string>{"herne/sub-1"});
}

TEST(Notifier, CoordinationOutcomesReachBothSides) {
  FakeRecords r;
  r.settings["stadt"].set_coordination_mailbox("ks@stadt.de");
  r.settings["kreis"].set_coordination_mailbox("ks@kreis.de");
  ev::StaffingInstructed e;
  e.mutable_meta()->set_event_id("ev-5");
  e.mutable_notice()->set_city_tenant_id("stadt");
  e.mutable_notice()->set_district_tenant_id("kreis");
  e.mutable_notice()->set_regional_office("Regionalstelle Witten");
  e.set_instruction("Weisung.");
  e.set_kind(ev::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS);
  e.set_conditions("Einarbeitung");
  Notifier::Instructed(r, e);
  ASSERT_EQ(r.recorded.size(), 2u);
  EXPECT_EQ(r.recorded[0].to.address, "ks@stadt.de");
  EXPECT_EQ(r.recorded[0].recipient_role, "city_coordinator");
  EXPECT_EQ(r.recorded[1].to.address, "ks@kreis.de");
  EXPECT_EQ(r.recorded[1].recipient_role, "district_coordinator");
  EXPECT_EQ(r.recorded[1].values.at("weisung"), "Weisung.");
  EXPECT_NE(r.recorded[1].values.at("weisungsinhalt").find("unter diesen Auflagen: Einarbeitung"),
            std::string::npos);
  // Without a kind (an event of before ADR 0041): not to be filled with this person.
  e.clear_kind();
  e.mutable_meta()->set_event_id("ev-6");
  Notifier::Instructed(r, e);
  ASSERT_EQ(r.recorded.size(), 4u);
  EXPECT_EQ(r.recorded[3].values.at("weisungsinhalt"),
            "Die Stelle ist nicht mit der vorgeschlagenen Person zu besetzen.");
}

}  // namespace
}  // namespace stellenwerk::notifications
