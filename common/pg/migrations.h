#pragma once
// Ordered SQL migrations, compiled into the binary (cmake: stellenwerk_embed_sql).

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace stellenwerk::pg {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The runtime's own tables (outbox, processed_events, timers, idempotency, fake clock),
// created in every service schema.
const std::vector<Migration>& PlatformMigrations();

class Pool;

// Creates `schema` if needed and applies the migrations of each component that are not yet
// recorded in <schema>.schema_migrations, each in its own transaction, all under a
// session advisory lock on the schema name, so replicas starting together never race.
absl::Status ApplyMigrations(
    const std::string& uri, const std::string& schema,
    const std::vector<std::pair<std::string, const std::vector<Migration>*>>& components);

}  // namespace stellenwerk::pg
