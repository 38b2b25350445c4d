#include "services/postings/domain/german_text.h"

#include <regex>
#include <vector>

namespace stellenwerk::postings {
namespace {

// Lower-cases ASCII and the German capitals Ä Ö Ü (UTF-8), folds ß to ss.
std::string Fold(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = in[i];
    if (c == 0xC3 && i + 1 < in.size()) {
      const unsigned char d = in[i + 1];
      if (d == 0x84 || d == 0x96 || d == 0x9C) {  // Ä Ö Ü -> ä ö ü
        out += static_cast<char>(0xC3);
        out += static_cast<char>(d + 0x20);
        ++i;
        continue;
      }
      if (d == 0x9F) {  // ß
        out += "ss";
        ++i;
        continue;
      }
    }
    if (c == 0xE1 && i + 2 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0xBA &&
        static_cast<unsigned char>(in[i + 2]) == 0x9E) {  // ẞ
      out += "ss";
      i += 2;
      continue;
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
  }
  return out;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "sachbearbeiterin" -> "sachbearbeiter", "referentinnen" -> "referent": only where the rest
// ends like a German agent noun, so "medizin", "termin", "berlin" stay.
std::string StripFeminine(std::string word) {
  // Beamtin/Beamter: the one common title whose feminine drops the -er.
  if (word == "beamtin" || word == "beamtinnen") return "beamter";
  static constexpr std::string_view kAgentEndings[] = {"er", "ant", "ent", "ist", "eur", "or", "är",
                                                       "ar", "at",  "ör",  "ug",  "og",  "ekt"};
  for (std::string_view suffix : {std::string_view("innen"), std::string_view("in")}) {
    if (!EndsWith(word, suffix) || word.size() < suffix.size() + 4) continue;
    const std::string stem = word.substr(0, word.size() - suffix.size());
    for (std::string_view ending : kAgentEndings) {
      if (EndsWith(stem, ending)) return stem;
    }
  }
  return word;
}

}  // namespace

std::string NormalizeGermanText(std::string_view text) {
  std::string s(text);
  // (w/m/d), (m/w/d), (d/m/w), (gn) ... – gender markers say nothing about the job.
  static const std::regex kMarker(R"(\(\s*[mwdxgn](\s*/\s*[mwdxgn])*\s*\))", std::regex::icase);
  s = std::regex_replace(s, kMarker, " ");
  // Binnen-I: "SachbearbeiterIn(nen)" — only a capital I after a lower-case letter.
  static const std::regex kBinnenI(R"(([a-zäöüß])In(nen)?\b)");
  s = std::regex_replace(s, kBinnenI, "$1");
  // Gender star, colon, underscore, slash-dash: "Sachbearbeiter*in", ":innen", "/-in".
  static const std::regex kGap(R"(([A-Za-zÄÖÜäöüß])(\*|:|_|/-|/|·)(in|innen)\b)",
                               std::regex::icase);
  s = std::regex_replace(s, kGap, "$1");
  s = Fold(s);
  // Split into words; strip feminine endings; keep everything else for the stemmer.
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += ' ';
    out += StripFeminine(word);
    word.clear();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (letter) {
      word += static_cast<char>(c);
    } else if (c == '-' && !word.empty() && i + 1 < s.size() && s[i + 1] != ' ') {
      word += '-';  // keep compounds like "it-fachkraft"
    } else {
      flush();
    }
  }
  flush();
  return out;
}

}  // namespace stellenwerk::postings
