#pragma once
// The read-cache port. Domain code depends on this interface only; RedisCache (redis_cache.h)
// is the adapter, NullCache the stand-in when no Redis is configured. A cache is never the
// only copy of anything (ARCHITECTURE.md), so every operation is best effort: a problem is a
// miss or a no-op, never an error the caller has to handle.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace stellenwerk::cache {

// Versions are the writer's monotonic row version (e.g. the etag). They let the cache refuse
// the stale-set race of cache-aside (PITFALLS.md "Redis"): a reader that loaded version 1
// before a writer committed version 2 cannot put version 1 back after the invalidation.
class Cache {
 public:
  virtual ~Cache() = default;

  // Value stored under key, or nullopt on miss, tombstone, or any Redis problem (fail-open).
  virtual std::optional<std::string> Get(std::string_view key) = 0;

  // Cache-aside fill after a read from the database. Stores value only if `version` is newer
  // than the value already stored, and not older than a tombstone left by Invalidate (the
  // tombstone carries the committed version, so a reader that loaded exactly that commit may
  // fill). A non-positive ttl stores nothing. Never fails visibly.
  virtual void Put(std::string_view key, int64_t version, std::string_view value,
                   absl::Duration ttl) = 0;

  // After commit of `version`: drops the value and leaves a short-lived tombstone carrying
  // `version`, so a slow reader holding an older version cannot put it back. A value or
  // tombstone already newer than `version` is kept.
  virtual void Invalidate(std::string_view key, int64_t version) = 0;

  // Generation counter for a family of keys (e.g. all search pages of a tenant): readers
  // embed it in their keys, writers bump it after commit. Starts at 0. nullopt when Redis is
  // unavailable (the caller then bypasses the cache).
  virtual std::optional<int64_t> Generation(std::string_view family) = 0;
  virtual void BumpGeneration(std::string_view family) = 0;

  // Generation(family) and Get("<prefix><generation><suffix>") in one step (one round trip
  // on Redis): a read path's lookup costs one trip to the cache, not two. generation is
  // nullopt when Redis is unavailable, and value then too.
  struct GenerationalValue {
    std::optional<int64_t> generation;
    std::optional<std::string> value;
  };
  static std::string GenerationalKey(std::string_view prefix, int64_t generation,
                                     std::string_view suffix) {
    return std::string(prefix) + std::to_string(generation) + std::string(suffix);
  }
  virtual GenerationalValue GetInGeneration(std::string_view family, std::string_view prefix,
                                            std::string_view suffix) {
    GenerationalValue result;
    result.generation = Generation(family);
    if (result.generation.has_value()) {
      result.value = Get(GenerationalKey(prefix, *result.generation, suffix));
    }
    return result;
  }
};

// No cache at all: every read misses, every write is dropped. Used when Redis is not
// configured, and in domain tests.
class NullCache final : public Cache {
 public:
  std::optional<std::string> Get(std::string_view) override { return std::nullopt; }
  void Put(std::string_view, int64_t, std::string_view, absl::Duration) override {}
  void Invalidate(std::string_view, int64_t) override {}
  // nullopt, not 0: with nothing to bump, a generation would never change, and a caller
  // that cached under it elsewhere would serve stale pages.
  std::optional<int64_t> Generation(std::string_view) override { return std::nullopt; }
  void BumpGeneration(std::string_view) override {}
};

}  // namespace stellenwerk::cache
