#include "common/ids/uuid.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace stellenwerk::ids {
namespace {

bool OpenSslRandom(uint8_t* out, size_t n) { return RAND_bytes(out, static_cast<int>(n)) == 1; }

}  // namespace

std::string NewUuid() { return internal::NewUuidFrom(&OpenSslRandom); }

std::string internal::NewUuidFrom(RandomSource source) {
  std::array<uint8_t, 16> b{};
  if (!source(b.data(), b.size())) {
    // Plain stderr, not spdlog: the logger itself asks for ids (correlation ids).
    char reason[256] = "no OpenSSL error queued";
    if (const unsigned long err = ERR_get_error(); err != 0) {
      ERR_error_string_n(err, reason, sizeof reason);
    }
    std::fprintf(stderr, "stellenwerk: the CSPRNG failed (%s); refusing to make guessable ids\n",
                 reason);
    std::abort();
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace stellenwerk::ids
