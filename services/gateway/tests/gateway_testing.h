#pragma once
// The gateway in process for tests, in front of real services of the harness, and a small
// blocking HTTP/1.1 client (Beast) that keeps its connection alive.

#include <map>
#include <memory>
#include <string>

#include "services/gateway/server/gateway.h"

namespace stellenwerk::gateway {

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  // One request on the kept-alive connection (reconnects when the server closed it).
  HttpAnswer Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  // Sends raw bytes and reads one answer (cut-off bodies, malformed framing).
  HttpAnswer Raw(const std::string& bytes, bool close_after_send = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A config for a test gateway on a free port in front of the given upstream addresses.
GatewayConfig TestGatewayConfig(const std::map<std::string, std::string>& upstreams,
                                const std::string& redis_addr, const std::string& jwt_secret);

}  // namespace stellenwerk::gateway
