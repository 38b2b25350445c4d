#include "common/pg/migrations.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/pg/pool.h"

namespace stellenwerk::pg {

absl::Status ApplyMigrations(
    const std::string& uri, const std::string& schema,
    const std::vector<std::pair<std::string, const std::vector<Migration>*>>& components) {
  try {
    pqxx::connection conn(uri);
    {
      pqxx::nontransaction tx(conn);
      // Session lock: released when the connection closes, even if we crash midway.
      tx.exec_params("SELECT pg_advisory_lock(hashtext($1))", "stellenwerk.migrate." + schema);
      tx.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", tx.quote_name(schema)));
      tx.exec(absl::StrCat("SET search_path TO ", tx.quote_name(schema), ", public"));
      tx.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " component text NOT NULL, version int NOT NULL, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))");
    }
    for (const auto& [component, migrations] : components) {
      for (const Migration& m : *migrations) {
        pqxx::work tx(conn);
        auto done =
            tx.exec_params("SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2",
                           component, m.version);
        if (!done.empty()) continue;
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO schema_migrations (component, version, name) VALUES ($1,$2,$3)",
                       component, m.version, m.name);
        tx.commit();
        spdlog::info("applied migration {}/{} to schema {}", component, m.name, schema);
      }
    }
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_advisory_unlock(hashtext($1))", "stellenwerk.migrate." + schema);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

}  // namespace stellenwerk::pg
