#pragma once
// Real redis-server and Sentinel processes for tests of the cache client (Debian's
// redis-server package), each on a free loopback port, all in one directory that goes away
// with the object (the processes are killed first). Used by common_redis_sentinel_pgtest and
// common_redis_auth_pgtest.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/cache/redis_cache.h"
#include "common/testing/process.h"

namespace stellenwerk::testing {

inline constexpr char kRedisServer[] = "/usr/bin/redis-server";

// One command on a fresh connection, after AUTH when `auth` has a password; the reply as
// text (nested arrays flattened, elements joined by ' '), "" when there is none (not
// reachable). An error reply is its text ("NOAUTH ...").
std::string RedisAsk(int port, const std::vector<std::string>& args,
                     const cache::RedisCredentials& auth = {});

class RedisProcesses {
 public:
  RedisProcesses();
  ~RedisProcesses();
  RedisProcesses(const RedisProcesses&) = delete;
  RedisProcesses& operator=(const RedisProcesses&) = delete;

  // Starts redis-server as `name` on a free port, without persistence, with `extra` options
  // (e.g. {"--requirepass", "pw"}), and waits until it answers PING (after AUTH with
  // `auth`). Returns the port, 0 if it did not come up (its log is in dir()/<name>.log).
  int StartServer(const std::string& name, const std::vector<std::string>& extra = {},
                  const cache::RedisCredentials& auth = {});

  // Starts a Sentinel as `name` on a free port monitoring "stellenwerk" at 127.0.0.1:
  // `primary_port` (quorum 1, down after 1 s), `extra_config` appended to its config file
  // (e.g. "sentinel auth-pass stellenwerk pw\n"). Waits until it answers PING (with `auth`)
  // and lists `replica_port` among the replicas (so a failover has a candidate). Returns the
  // port, 0 on failure.
  int StartSentinel(const std::string& name, int primary_port, int replica_port,
                    const std::string& extra_config = "", const cache::RedisCredentials& auth = {});

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
};

}  // namespace stellenwerk::testing
