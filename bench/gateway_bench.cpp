// gateway_bench — the REST edge measured in one run (issue 15), every ratio over alternated
// rounds (bench/load.h RunRounds), the same number of connections (callers) on every side:
//  * GET /v1/postings/{id} through the gateway (HTTP/1.1 keep-alive, one connection per caller)
//    against GetPosting over gRPC directly to the same postings process (same posting, same
//    anonymous hot path in the service; JSON vs protobuf on the wire, sizes printed);
//  * the same GET against a bare Boost.Beast server in this process answering the gateway's
//    exact response (status line, headers, body) — the cost of transcoding and the upstream call;
//  * the same GET through a second gateway with the Redis rate limit on (a limit it never
//    reaches): the cost of the INCR per request;
//  * the gateway's resident set size idle and its peak under load (for deploy/ requests and
//    limits, issue 17).
//
//   gateway_bench --postings=127.0.0.1:P --gateway=127.0.0.1:H --gateway-limited=127.0.0.1:L
//                 --gateway-pid=PID [--concurrency=16] [--seconds=5] [--rounds=5]
// --seconds is the length of one side of one round. The JWT secret (to create the posting)
// comes from STELLENWERK_JWT_HS256_SECRET. Exit status 0 only when every check passed.
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/calls.h"
#include "bench/load.h"
#include "common/auth/jwt.h"
#include "grpcpp/grpcpp.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace {

using namespace stellenwerk;
namespace v1 = stellenwerk::postings::v1;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

tcp::endpoint Endpoint(const std::string& host_port) {
  std::vector<std::string> hp = absl::StrSplit(host_port, ':');
  int port = 0;
  if (hp.size() != 2 || !absl::SimpleAtoi(hp[1], &port)) {
    std::cerr << "gateway_bench: not host:port: " << host_port << "\n";
    std::exit(2);
  }
  return tcp::endpoint(net::ip::make_address(hp[0]), static_cast<unsigned short>(port));
}

// One blocking GET on a fresh connection (the reference answer).
http::response<http::string_body> Fetch(const tcp::endpoint& ep, const std::string& target) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(ep);
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return res;
}

// Closed-loop HTTP/1.1 load: one kept-alive connection per caller (each caller has at most one
// request in flight), on two I/O threads. A call succeeds on 200 with exactly the expected
// body length.
class HttpLoad {
 public:
  HttpLoad(tcp::endpoint ep, std::string target, int connections, size_t expect_bytes)
      : ep_(ep), target_(std::move(target)), expect_(expect_bytes), work_(ioc_.get_executor()) {
    for (int i = 0; i < connections; ++i) conns_.push_back(std::make_shared<Conn>(*this));
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~HttpLoad() {
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  bench::AsyncCall Call() {
    return [this](int caller, std::function<void(bool)> done) {
      auto c = conns_[caller % conns_.size()];
      net::post(c->stream.get_executor(),
                [c, done = std::move(done)]() mutable { c->Go(std::move(done)); });
    };
  }

 private:
  struct Conn : std::enable_shared_from_this<Conn> {
    explicit Conn(HttpLoad& load) : owner(load), stream(net::make_strand(load.ioc_)) {
      req = {http::verb::get, owner.target_, 11};
      req.set(http::field::host, "127.0.0.1");
      req.keep_alive(true);
    }
    HttpLoad& owner;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    std::optional<http::response_parser<http::string_body>> parser;
    std::function<void(bool)> done;
    bool connected = false;
    bool reused = false;  // the request went out on a kept-alive connection

    void Go(std::function<void(bool)> d) {
      done = std::move(d);
      if (connected) {
        reused = true;
        return Send();
      }
      Connect();
    }
    void Connect() {
      reused = false;
      stream.async_connect(owner.ep_, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->Finish(false);
        self->connected = true;
        beast::error_code ignored;
        self->stream.socket().set_option(tcp::no_delay(true), ignored);
        self->Send();
      });
    }
    void Send() {
      http::async_write(stream, req, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->Retry();
        self->parser.emplace();
        http::async_read(
            self->stream, self->buffer, *self->parser, [self](beast::error_code ec, size_t) {
              if (ec) return self->Retry();
              const auto& res = self->parser->get();
              bool ok = res.result_int() == 200 && res.body().size() == self->owner.expect_;
              if (!res.keep_alive()) self->connected = false;
              self->Finish(ok);
            });
      });
    }
    // A kept-alive connection the server closed while idle (its idle timeout) fails the next
    // request without an answer: like any HTTP client, send it once more on a new connection.
    void Retry() {
      if (!reused) return Finish(false);
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      connected = false;
      Connect();
    }
    void Finish(bool ok) {
      if (!ok) {
        connected = false;
        beast::error_code ignored;
        stream.socket().close(ignored);
        buffer.clear();
      }
      auto d = std::move(done);
      d(ok);
    }
  };

  tcp::endpoint ep_;
  std::string target_;
  size_t expect_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::vector<std::thread> threads_;
};

// The baseline: a bare Beast HTTP/1.1 server (keep-alive, two I/O threads, as the gateway's
// default) answering every request with one fixed response.
class BareServer {
 public:
  explicit BareServer(http::response<http::string_body> answer)
      : answer_(std::move(answer)), acceptor_(ioc_, tcp::endpoint(tcp::v4(), 0)) {
    answer_.keep_alive(true);
    answer_.prepare_payload();
    Accept();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~BareServer() {
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }
  tcp::endpoint endpoint() const {
    return tcp::endpoint(net::ip::make_address("127.0.0.1"), acceptor_.local_endpoint().port());
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, const http::response<http::string_body>& a)
        : stream(std::move(s)), answer(a) {}
    beast::tcp_stream stream;
    const http::response<http::string_body>& answer;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    void Read() {
      req = {};
      http::async_read(
          stream, buffer, req, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return;
            http::async_write(self->stream, self->answer, [self](beast::error_code ec, size_t) {
              if (!ec) self->Read();
            });
          });
    }
  };
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), answer_)->Read();
      }
      Accept();
    });
  }

  http::response<http::string_body> answer_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace

int main(int argc, char** argv) {
  const auto flags = bench::Flags(argc, argv);
  const int concurrency = bench::IntFlag(flags, "concurrency", 16);
  const absl::Duration duration = absl::Seconds(bench::IntFlag(flags, "seconds", 5));
  const int rounds = std::max(1, bench::IntFlag(flags, "rounds", 5));
  const int pid = bench::IntFlag(flags, "gateway-pid", 0);
  bench::Verdict verdict("gateway");
  for (const char* required : {"postings", "gateway", "gateway-limited"}) {
    if (bench::StrFlag(flags, required).empty()) {
      std::cerr << "gateway_bench: --" << required << "=HOST:PORT required\n";
      return 2;
    }
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto postings = v1::PostingService::NewStub(grpc::CreateCustomChannel(
      bench::StrFlag(flags, "postings"), grpc::InsecureChannelCredentials(), args));

  // The posting: created and published once (request ids make it idempotent across runs).
  const std::string token = bench::StaffToken("bench-gateway");
  v1::CreatePostingRequest create;
  v1::Posting* p = create.mutable_posting();
  p->set_title("Sachbearbeiter*in (w/m/d) Bürgerdienste");
  p->set_department("Fachbereich Bürgerdienste");
  p->set_location("Herne");
  p->set_description("Die Stadt sucht für die Bürgerdienste eine engagierte Persönlichkeit.");
  p->add_tasks("Bearbeitung von Melde- und Passangelegenheiten");
  p->add_tasks("Beratung von Bürgerinnen und Bürgern");
  auto* pay = p->add_pay();
  pay->set_scheme(v1::TVOED);
  pay->add_grades("EG 6");
  pay->set_min_cents(306'000);
  pay->set_max_cents(381'000);
  p->mutable_employment()->set_contract(v1::PERMANENT);
  p->mutable_employment()->set_weekly_hours(39);
  p->set_application_deadline("2099-12-31");
  auto* contact = p->add_contacts();
  contact->set_kind(v1::PROCEDURE);
  contact->set_name("Personalservice");
  contact->set_email("personal@example.de");
  p->set_posting_kind(v1::JOB);
  create.set_request_id("gateway-bench-posting");
  v1::Posting posting, published;
  if (grpc::Status s = postings->CreatePosting(bench::Ctx(token).get(), create, &posting);
      !s.ok()) {
    std::cerr << "cannot create the posting: " << s.error_message() << "\n";
    return 1;
  }
  v1::PublishPostingRequest publish;
  publish.set_id(posting.id());
  if (grpc::Status s = postings->PublishPosting(bench::Ctx(token).get(), publish, &published);
      !s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
    std::cerr << "cannot publish the posting: " << s.error_message() << "\n";
    return 1;
  }

  v1::GetPostingRequest get;
  get.set_id(posting.id());
  v1::Posting direct_answer;
  // Published: wait until the anonymous hot path (the replica) has it.
  bool readable = false;
  for (int i = 0; i < 100 && !readable; ++i) {
    readable = postings->GetPosting(bench::Ctx("").get(), get, &direct_answer).ok();
    if (!readable) absl::SleepFor(absl::Milliseconds(100));
  }
  if (!readable) {
    std::cerr << "the published posting is not readable anonymously\n";
    return 1;
  }
  const std::string target = "/v1/postings/" + posting.id();
  const tcp::endpoint gateway = Endpoint(bench::StrFlag(flags, "gateway"));
  const tcp::endpoint limited = Endpoint(bench::StrFlag(flags, "gateway-limited"));
  http::response<http::string_body> reference = Fetch(gateway, target);
  if (reference.result_int() != 200) {
    std::cerr << "the gateway answered " << reference.result_int() << ": " << reference.body()
              << "\n";
    return 1;
  }
  const size_t body_bytes = reference.body().size();
  BareServer bare(reference);
  {
    http::response<http::string_body> again = Fetch(bare.endpoint(), target);
    std::ostringstream a, b;
    a << reference.base();
    b << again.base();
    verdict.Check(
        again.body() == reference.body() && a.str() == b.str(),
        absl::StrCat("the bare Beast server answers the gateway's exact response: ", a.str().size(),
                     " header + ", body_bytes, " body bytes (gRPC direct: ",
                     direct_answer.ByteSizeLong(), " protobuf bytes)"));
  }

  auto grpc_call = [&](int, std::function<void(bool)> done) {
    auto* ctx = new grpc::ClientContext();
    auto* response = new v1::Posting();
    postings->async()->GetPosting(ctx, &get, response, [ctx, response, done](grpc::Status s) {
      delete ctx;
      delete response;
      done(s.ok());
    });
  };
  HttpLoad via_gateway(gateway, target, concurrency, body_bytes);
  HttpLoad via_limited(limited, target, concurrency, body_bytes);
  HttpLoad via_bare(bare.endpoint(), target, concurrency, body_bytes);

  auto closed = [&](const std::string& name, bench::AsyncCall call) -> bench::Measure {
    return [&, name, call](int) { return bench::RunClosedLoop(name, concurrency, duration, call); };
  };
  auto warm = [&](const bench::AsyncCall& call) {
    bench::RunClosedLoop("warm-up", concurrency, absl::Seconds(1), call);
  };

  const double rss_idle = bench::RssMiB(pid);
  std::atomic<double> rss_peak{rss_idle};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      const double v = bench::RssMiB(pid);
      if (v > rss_peak) rss_peak = v;
      absl::SleepFor(absl::Milliseconds(100));
    }
  });

  warm(grpc_call);
  warm(via_gateway.Call());
  warm(via_bare.Call());
  warm(via_limited.Call());
  std::vector<bench::RoundsResult> results;
  results.push_back(bench::RunRounds("GET /v1/postings/{id} via gateway / GetPosting gRPC direct",
                                     rounds, closed("GetPosting gRPC direct", grpc_call),
                                     closed("GET via gateway", via_gateway.Call())));
  results.push_back(bench::RunRounds("GET /v1/postings/{id} via gateway / bare Beast, same bytes",
                                     rounds, closed("bare Beast server", via_bare.Call()),
                                     closed("GET via gateway", via_gateway.Call())));
  results.push_back(
      bench::RunRounds("GET via gateway with Redis rate limit / without", rounds,
                       closed("GET via gateway (no limit)", via_gateway.Call()),
                       closed("GET via gateway (Redis rate limit)", via_limited.Call())));
  sampling = false;
  sampler.join();

  std::cout << bench::FormatHeader();
  for (const auto& r : results) {
    std::cout << bench::FormatRounds(r) << "\n";
    verdict.NoErrors(r);
  }
  std::cout << absl::StrFormat(
      "gateway RSS: %.1f MiB idle, %.1f MiB peak under load (%d connections)\n", rss_idle,
      rss_peak.load(), concurrency);
  verdict.Check(rss_idle > 0, "the gateway's RSS is known (--gateway-pid)");
  return verdict.Finish();
}
