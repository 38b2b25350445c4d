#pragma once
// Search normalisation for German job titles (DOMAIN.md "Gender-neutral titles"): the forms
// "Sachbearbeiter*in", "Sachbearbeiter:in", "Sachbearbeiter_in", "SachbearbeiterIn",
// "Sachbearbeiterin/Sachbearbeiter" and "Sachbearbeiterin" all become "sachbearbeiter";
// markers like "(w/m/d)" disappear; "ß" becomes "ss" and text is lower-cased (incl. ÄÖÜ).
// PostgreSQL's german stemmer then does the rest — it knows none of these forms itself
// (LOCAL-INFRA.md), so documents and queries both pass through here.

#include <string>
#include <string_view>

namespace stellenwerk::postings {

std::string NormalizeGermanText(std::string_view text);

}  // namespace stellenwerk::postings
