#pragma once
#include <string>
#include <string_view>

namespace stellenwerk::ids {

// Random UUID v4 in canonical lower-case text form.
std::string NewUuid();
// True for canonical 8-4-4-4-12 hex text.
bool IsUuid(std::string_view text);

}  // namespace stellenwerk::ids
