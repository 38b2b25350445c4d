#include "common/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace stellenwerk::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ChildProcess::ChildProcess(const std::string& path, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_path) {
  std::vector<std::string> entries;
  for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : entries) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Built before fork: the child of a threaded process must not allocate.
  std::vector<char*> argv = {const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int ChildProcess::Terminate(int timeout_ms) {
  if (!Running()) return status_;
  kill(pid_, SIGTERM);
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (!Running()) return status_;
    usleep(20'000);
  }
  return -1;
}

TcpProxy::TcpProxy(int upstream_port) : upstream_(upstream_port) {
  port_ = FreePort();
  Start();
}

TcpProxy::~TcpProxy() { Stop(); }

void TcpProxy::Start() {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port_);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener_, 64) != 0) {
    throw std::runtime_error(std::string("proxy cannot listen: ") + strerror(errno));
  }
  running_ = true;
  acceptor_ = std::thread([this, fd = listener_] { AcceptLoop(fd); });
}

void TcpProxy::Stop() {
  if (!running_) return;
  running_ = false;
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : pumps_) t.join();
  pumps_.clear();
  std::lock_guard lock(mu_);
  for (int fd : sockets_) close(fd);
  sockets_.clear();
}

void TcpProxy::AcceptLoop(int listener) {
  while (running_) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int server = Connect(upstream_);
    if (server < 0) {
      close(client);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      sockets_.push_back(client);
      sockets_.push_back(server);
    }
    pumps_.emplace_back([client, server] {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      char buf[16384];
      for (;;) {
        if (poll(fds, 2, 200) < 0) break;
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
          if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            // MSG_NOSIGNAL: the other side may be gone (Stop, a client hanging up), and a
            // write(2) there raises SIGPIPE, which kills the whole test process.
            if (n <= 0 || send(fds[1 - i].fd, buf, n, MSG_NOSIGNAL) != n) closed = true;
          }
        }
        if (closed) break;
      }
      shutdown(client, SHUT_RDWR);
      shutdown(server, SHUT_RDWR);
    });
  }
}

std::string HttpGet(int port, const std::string& path) {
  int fd = Connect(port);
  if (fd < 0) return "";
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return "";
  }
  std::string response;
  char buf[8192];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) response.append(buf, n);
  close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

}  // namespace stellenwerk::testing
