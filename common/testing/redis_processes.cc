#include "common/testing/redis_processes.h"

#include <hiredis/hiredis.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/testing/test_env.h"

namespace stellenwerk::testing {
namespace {

void Flatten(const redisReply* r, std::string* out) {
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) Flatten(r->element[i], out);
    return;
  }
  if (!out->empty()) out->push_back(' ');
  if (r->type == REDIS_REPLY_INTEGER) {
    absl::StrAppend(out, r->integer);
  } else if (r->str != nullptr) {
    out->append(r->str, r->len);
  }
}

redisReply* Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> len;
  for (const auto& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), len.data()));
}

}  // namespace

std::string RedisAsk(int port, const std::vector<std::string>& args,
                     const cache::RedisCredentials& auth) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return "";
  }
  redisSetTimeout(c, timeval{5, 0});
  std::string out;
  if (!auth.password.empty()) {
    std::vector<std::string> login = {"AUTH"};
    if (!auth.username.empty()) login.push_back(auth.username);
    login.push_back(auth.password);
    redisReply* r = Command(c, login);
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr && !ok) Flatten(r, &out);
    if (r != nullptr) freeReplyObject(r);
    if (!ok) {
      redisFree(c);
      return out;
    }
  }
  if (redisReply* r = Command(c, args); r != nullptr) {
    Flatten(r, &out);
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

RedisProcesses::RedisProcesses()
    : dir_(std::filesystem::temp_directory_path() / UniqueName("stw_redis")) {
  std::filesystem::create_directories(dir_);
}

RedisProcesses::~RedisProcesses() {
  processes_.clear();  // SIGKILL, before their directory goes
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int RedisProcesses::StartServer(const std::string& name, const std::vector<std::string>& extra,
                                const cache::RedisCredentials& auth) {
  const int port = FreePort();
  std::vector<std::string> args = {"--port",       absl::StrCat(port),
                                   "--bind",       "127.0.0.1",
                                   "--save",       "",
                                   "--appendonly", "no",
                                   "--dir",        dir_.string(),
                                   "--dbfilename", name + ".rdb"};
  args.insert(args.end(), extra.begin(), extra.end());
  processes_[name] = std::make_unique<ChildProcess>(
      kRedisServer, args, std::map<std::string, std::string>{}, (dir_ / (name + ".log")).string());
  return WaitFor([&] { return RedisAsk(port, {"PING"}, auth) == "PONG"; }, absl::Seconds(10)) ? port
                                                                                              : 0;
}

int RedisProcesses::StartSentinel(const std::string& name, int primary_port, int replica_port,
                                  const std::string& extra_config,
                                  const cache::RedisCredentials& auth) {
  const int port = FreePort();
  const auto conf = dir_ / (name + ".conf");  // Sentinel rewrites its own file
  std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\n"
                      << "dir " << dir_.string() << "\n"
                      << "sentinel monitor stellenwerk 127.0.0.1 " << primary_port << " 1\n"
                      << "sentinel down-after-milliseconds stellenwerk 1000\n"
                      << "sentinel failover-timeout stellenwerk 10000\n"
                      << extra_config;
  processes_[name] = std::make_unique<ChildProcess>(
      kRedisServer, std::vector<std::string>{conf.string(), "--sentinel"},
      std::map<std::string, std::string>{}, (dir_ / (name + ".log")).string());
  // Until the Sentinel has seen the replica (INFO of the primary), a failover has no candidate.
  const bool up = WaitFor(
      [&] {
        return RedisAsk(port, {"SENTINEL", "replicas", "stellenwerk"}, auth)
                   .find(absl::StrCat("127.0.0.1:", replica_port)) != std::string::npos;
      },
      absl::Seconds(30));
  return up ? port : 0;
}

}  // namespace stellenwerk::testing
