#pragma once
// Test helpers at the process level: run a service binary with an environment, find free
// ports, and a TCP proxy that can cut a dependency off (to prove health and reconnects).

#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stellenwerk::testing {

// A port nothing listens on right now (bind to 0, read, close).
int FreePort();

class ChildProcess {
 public:
  // Starts `path` with exactly `env` (no inherited variables); output goes to `log_path`.
  ChildProcess(const std::string& path, const std::map<std::string, std::string>& env,
               const std::string& log_path)
      : ChildProcess(path, {}, env, log_path) {}
  // The same with arguments (argv[1...]), e.g. a redis-server with its options.
  ChildProcess(const std::string& path, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::string& log_path);
  ~ChildProcess();  // SIGKILL if still running
  pid_t pid() const { return pid_; }
  // Sends SIGTERM and waits up to `timeout_ms`; returns the exit status or -1 on timeout.
  int Terminate(int timeout_ms);
  bool Running();

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// Forwards 127.0.0.1:port() to 127.0.0.1:upstream. Stop() closes the listener and every
// forwarded connection (the dependency "goes away"); Start() brings it back on the same port.
class TcpProxy {
 public:
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  int port() const { return port_; }
  void Start();
  void Stop();

 private:
  void AcceptLoop(int listener);
  const int upstream_;
  int port_ = 0;
  int listener_ = -1;
  std::atomic<bool> running_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> sockets_;
  std::vector<std::thread> pumps_;
};

// GET http://127.0.0.1:port/path, returns the body ("" on failure).
std::string HttpGet(int port, const std::string& path);

}  // namespace stellenwerk::testing
