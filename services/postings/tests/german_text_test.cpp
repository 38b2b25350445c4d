#include "services/postings/domain/german_text.h"

#include "gtest/gtest.h"

namespace stellenwerk::postings {
namespace {

struct Case {
  const char* in;
  const char* out;
};

class NormalizeTest : public ::testing::TestWithParam<Case> {};

TEST_P(NormalizeTest, GenderFormsFoldToOneWord) {
  EXPECT_EQ(NormalizeGermanText(GetParam().in), GetParam().out) << GetParam().in;
}

INSTANTIATE_TEST_SUITE_P(
    Titles, NormalizeTest,
    ::testing::Values(
        Case{"Sachbearbeiter*in (w/m/d)", "sachbearbeiter"},
        Case{"Sachbearbeiter:in", "sachbearbeiter"}, Case{"Sachbearbeiter_in", "sachbearbeiter"},
        Case{"SachbearbeiterIn", "sachbearbeiter"}, Case{"Sachbearbeiter/-in", "sachbearbeiter"},
        Case{"Sachbearbeiterin", "sachbearbeiter"},
        Case{"Sachbearbeiterin/Sachbearbeiter", "sachbearbeiter sachbearbeiter"},
        Case{"Referent*innen (m/w/d)", "referent"}, Case{"Referentin", "referent"},
        Case{"Referendarin", "referendar"}, Case{"Bibliothekar*innen", "bibliothekar"},
        Case{"Beamtin", "beamter"}, Case{"Beamtinnen und Beamte", "beamter und beamte"},
        Case{"Teamassistenz (m/w/d)", "teamassistenz"}, Case{"Fahrerin / Fahrer", "fahrer fahrer"},
        Case{"Straße", "strasse"}, Case{"ÖFFENTLICHE Bürgerdienste", "öffentliche bürgerdienste"},
        // Words that merely end in "in" keep their ending.
        Case{"Medizin in Berlin", "medizin in berlin"}, Case{"Termin", "termin"},
        Case{"IT-Fachkraft", "it-fachkraft"}, Case{"", ""}));

}  // namespace
}  // namespace stellenwerk::postings
