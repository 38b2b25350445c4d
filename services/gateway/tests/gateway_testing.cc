#include "services/gateway/tests/gateway_testing.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace stellenwerk::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  int port;
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void Connect() {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    buffer.clear();
  }
  HttpAnswer Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(false);
    beast::error_code ec;
    http::read(*stream, buffer, parser, ec);
    HttpAnswer a;
    if (ec) {
      a.status = -1;
      a.body = ec.message();
      stream.reset();
      return a;
    }
    auto& res = parser.get();
    a.status = res.result_int();
    for (const auto& f : res) {
      a.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    a.body = res.body();
    if (!res.keep_alive()) stream.reset();
    return a;
  }
};

HttpClient::HttpClient(int port) : impl_(std::make_unique<Impl>()) { impl_->port = port; }
HttpClient::~HttpClient() = default;

HttpAnswer HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream) impl_->Connect();
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() && headers.count("Content-Type") == 0) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    http::write(*impl_->stream, req, ec);
    if (ec) {
      impl_->stream.reset();
      continue;
    }
    HttpAnswer a = impl_->Read();
    if (a.status == -1 && attempt == 0) continue;  // the server closed a kept-alive connection
    return a;
  }
  return HttpAnswer{-1, {}, "request failed"};
}

HttpAnswer HttpClient::Raw(const std::string& bytes, bool close_after_send) {
  impl_->Connect();
  net::write(impl_->stream->socket(), net::buffer(bytes));
  if (close_after_send) {
    impl_->stream->socket().shutdown(tcp::socket::shutdown_send);
  }
  return impl_->Read();
}

GatewayConfig TestGatewayConfig(const std::map<std::string, std::string>& upstreams,
                                const std::string& redis_addr, const std::string& jwt_secret) {
  GatewayConfig c;
  c.http_port = 0;
  c.upstreams = upstreams;
  if (!redis_addr.empty()) {
    std::vector<std::string> hp = absl::StrSplit(redis_addr, ':');
    c.redis_host = hp[0];
    (void)absl::SimpleAtoi(hp[1], &c.redis_port);
  }
  c.jwt_hs256_secret = jwt_secret;
  c.dev_signin = true;
  c.deadline = absl::Seconds(10);
  return c;
}

}  // namespace stellenwerk::gateway
