#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stellenwerk::ids {

// Random UUID v4 in canonical lower-case text form, from OpenSSL's CSPRNG. Ids are guessable
// otherwise (they name applications and documents), so there is no weaker fallback: if the
// CSPRNG fails, the process aborts with one line on stderr.
std::string NewUuid();
// True for canonical 8-4-4-4-12 hex text.
bool IsUuid(std::string_view text);

namespace internal {
// Fills out[0..n) with random bytes; false on failure.
using RandomSource = bool (*)(uint8_t* out, size_t n);
// NewUuid with another byte source (tests use one that fails).
std::string NewUuidFrom(RandomSource source);
}  // namespace internal

}  // namespace stellenwerk::ids
