#pragma once
// SHA-256 as lower-case hex, cut to `bytes` bytes: the gateway's etags and rate-limit buckets.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "openssl/sha.h"

namespace stellenwerk::gateway {

inline std::string Sha256Hex(absl::string_view data, size_t bytes = 16) {
  static constexpr char kDigits[] = "0123456789abcdef";
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  std::string out;
  for (size_t i = 0; i < bytes && i < sizeof md; ++i) {
    out.push_back(kDigits[md[i] >> 4]);
    out.push_back(kDigits[md[i] & 15]);
  }
  return out;
}

}  // namespace stellenwerk::gateway
