#include "services/gateway/server/gateway.h"

#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/auth/jwt.h"
#include "common/auth/key_set.h"
#include "common/cache/redis_cache.h"
#include "common/concurrency/worker_pool.h"
#include "common/config/runtime_config.h"
#include "common/grpc/status_name.h"
#include "common/ids/uuid.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "services/gateway/server/rate_limit.h"
#include "services/gateway/server/services.h"
#include "services/gateway/server/sha256.h"
#include "services/gateway/transcode/multipart.h"
#include "services/gateway/transcode/openapi.h"
#include "services/gateway/transcode/routes.h"
#include "spdlog/spdlog.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"

#ifndef STELLENWERK_DEFAULT_PORTAL_DIR
#define STELLENWERK_DEFAULT_PORTAL_DIR "services/gateway/portal"
#endif

namespace stellenwerk::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Response = http::response<http::string_body>;
namespace av1 = ::stellenwerk::applications::v1;

// --- configuration
// --------------------------------------------------------------------------------

absl::Status LoadGatewayConfig(config::EnvReader& env, GatewayConfig* c) {
  // Bind, Redis (ADR 0048), token keys and log level: the services' loader, the same names.
  if (absl::Status s = config::LoadSharedConfig(env, c); !s.ok()) return s;
  c->http_port = env.Int("STELLENWERK_HTTP_PORT", kDefaultHttpPort, 0, 65535);
  for (const std::string& name : kUpstreams) {
    std::string var = absl::StrCat("STELLENWERK_", absl::AsciiStrToUpper(name), "_ADDR");
    std::string addr = env.String(var.c_str(), "");
    if (!addr.empty()) c->upstreams[name] = addr;
  }
  c->dev_signin = env.Bool("STELLENWERK_GATEWAY_DEV_SIGNIN", false);
  c->portal_dir = env.String("STELLENWERK_PORTAL_DIR", STELLENWERK_DEFAULT_PORTAL_DIR);
  std::string cors = env.String("STELLENWERK_GATEWAY_CORS_ORIGINS", "");
  for (absl::string_view o : absl::StrSplit(cors, ',', absl::SkipWhitespace())) {
    c->cors_origins.emplace_back(absl::StripAsciiWhitespace(o));
  }
  c->max_body_bytes = env.Int("STELLENWERK_GATEWAY_MAX_BODY_BYTES", 1 << 20, 1024, 1 << 30);
  c->max_upload_bytes = env.Int("STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES", 25 << 20, 1024, 1 << 30);
  c->upload_chunk_bytes = env.Int("STELLENWERK_GATEWAY_UPLOAD_CHUNK_BYTES", 64 << 10, 256, 4 << 20);
  c->deadline = env.Duration("STELLENWERK_GATEWAY_DEADLINE", absl::Seconds(10));
  c->rate_limit_per_minute = env.Int("STELLENWERK_GATEWAY_RATE_LIMIT", 600, 0, 1000000);
  c->rate_limit_ip_factor = env.Int("STELLENWERK_GATEWAY_RATE_LIMIT_IP_FACTOR", 10, 1, 10000);
  c->trusted_proxies = env.Int("STELLENWERK_GATEWAY_TRUSTED_PROXIES", 0, 0, 10);
  c->stream_deadline = env.Duration("STELLENWERK_GATEWAY_STREAM_DEADLINE", absl::Minutes(5));
  c->drain = env.Duration("STELLENWERK_GATEWAY_DRAIN", absl::ZeroDuration());
  c->threads = env.Int("STELLENWERK_GATEWAY_THREADS", 2, 1, 64);
  c->workers = env.Int("STELLENWERK_GATEWAY_WORKERS", 8, 1, 256);
  c->rate_limit_threads = env.Int("STELLENWERK_GATEWAY_RATE_LIMIT_THREADS", 8, 1, 64);
  return env.status();
}

// --- the shared state
// -------------------------------------------------------------------------------

namespace {

// RPCs an anonymous caller may use: reading published postings (CONTRACT.md "REST").
const std::vector<std::string> kPublicMethods = {
    "stellenwerk.postings.v1.PostingService.SearchPostings",
    "stellenwerk.postings.v1.PostingService.GetPosting",
    "stellenwerk.postings.v1.PostingService.ExportJobPosting",
};

std::string ContentTypeOf(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".pdf", "application/pdf"}};
  auto it = types.find(absl::AsciiStrToLower(p.extension().string()));
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace

struct Gateway::Impl {
  explicit Impl(GatewayConfig c)
      : config(std::move(c)), ioc(config.threads), acceptor(ioc), signals(ioc) {}

  GatewayConfig config;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  Router router;
  std::string openapi;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs;
  std::unique_ptr<concurrency::WorkerPool> workers;
  std::unique_ptr<cache::RedisCache> redis;
  std::shared_ptr<const auth::TokenVerifier> verifier;  // null: no key configured
  std::atomic<bool> draining{false};                    // after SIGTERM: /readyz 503
  std::filesystem::path portal_root;

  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* latency = nullptr;
  prometheus::Family<prometheus::Counter>* upstream_errors = nullptr;
  prometheus::Family<prometheus::Counter>* rate_limited = nullptr;

  std::atomic<int64_t> upload_buffered_max{0};  // the largest a multipart parser held (tests)

  void Accept();
  void Observe(const std::string& route, int status, double seconds) {
    requests->Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
    latency
        ->Add({{"route", route}},
              prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25, 0.5, 1, 2.5, 5, 10})
        .Observe(seconds);
  }

  // The rate limit (docs/decisions/0045, 0052); null before Start.
  std::unique_ptr<RateLimiter> limiter;
};

int64_t Gateway::upload_buffered_max() const { return impl_->upload_buffered_max.load(); }

int Gateway::port() const { return impl_->acceptor.local_endpoint().port(); }

// --- one connection
// ---------------------------------------------------------------------------------

namespace {

class Session;

// One multipart upload: file parts streamed into UploadDocument (each piece written as it
// arrives), the "application" JSON part collected, then SubmitApplication. Runs on the worker
// pool (the typed synchronous client stream blocks), one piece at a time per session.
class Upload final : public MultipartHandler {
 public:
  Upload(av1::ApplicationService::Stub* stub, std::multimap<std::string, std::string> metadata,
         absl::Duration deadline, size_t chunk, size_t max_json)
      : stub_(stub),
        metadata_(std::move(metadata)),
        deadline_(deadline),
        chunk_(chunk),
        max_json_(max_json) {}
  ~Upload() override { Abort(); }

  absl::Status OnPartBegin(const PartHeaders& h) override {
    if (h.filename.empty()) {
      if (h.name != "application") {
        return Violation(h.name.empty() ? "part" : h.name, "unknown form field");
      }
      in_json_ = true;
      return absl::OkStatus();
    }
    av1::DocumentKind kind;
    if (h.name == "cv") {
      kind = av1::CV;
    } else if (h.name == "cover_letter") {
      kind = av1::COVER_LETTER;
    } else if (h.name == "certificate") {
      kind = av1::CERTIFICATE;
    } else if (h.name == "document") {
      kind = av1::OTHER_DOCUMENT;
    } else {
      return Violation(h.name.empty() ? "part" : h.name, "unknown file field");
    }
    context_ = NewContext();
    writer_ = stub_->UploadDocument(context_.get(), &document_);
    av1::UploadDocumentRequest first;
    first.mutable_metadata()->set_file_name(h.filename);
    first.mutable_metadata()->set_declared_content_type(h.content_type);
    first.mutable_metadata()->set_kind(kind);
    if (!writer_->Write(first)) return FinishFile();
    return absl::OkStatus();
  }

  absl::Status OnPartData(absl::string_view data) override {
    if (in_json_) {
      if (json_.size() + data.size() > max_json_) {
        return Violation("application", "the JSON part is too large");
      }
      json_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    if (!writer_) return absl::OkStatus();
    while (!data.empty()) {
      av1::UploadDocumentRequest piece;
      size_t n = std::min(chunk_, data.size());
      piece.set_chunk(std::string(data.substr(0, n)));
      data.remove_prefix(n);
      if (!writer_->Write(piece)) return FinishFile();
    }
    return absl::OkStatus();
  }

  absl::Status OnPartEnd() override {
    if (in_json_) {
      in_json_ = false;
      has_json_ = true;
      return absl::OkStatus();
    }
    writer_->WritesDone();
    return FinishFile();
  }

  // Cancels an upload stream still open (a body cut off mid-file): the service stores
  // nothing of it.
  void Abort() {
    if (writer_) {
      context_->TryCancel();
      writer_->Finish();
      writer_.reset();
    }
  }

  // After the closing boundary: SubmitApplication with the JSON part and the document ids.
  grpc::Status Submit(av1::Application* out) {
    if (!has_json_) {
      violations_.push_back({"application", "the JSON part is missing"});
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "The application part is missing.");
    }
    av1::SubmitApplicationRequest request;
    google::protobuf::util::JsonParseOptions options;
    if (!google::protobuf::util::JsonStringToMessage(json_, &request, options).ok()) {
      violations_.push_back({"application", "not a SubmitApplicationRequest in JSON"});
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "The application part is invalid.");
    }
    for (const std::string& id : document_ids_) request.add_document_ids(id);
    if (request.request_id().empty()) {
      auto it = metadata_.find("idempotency-key");
      if (it != metadata_.end()) request.set_request_id(it->second);
    }
    auto context = NewContext();
    return stub_->SubmitApplication(context.get(), request, out);
  }

  const grpc::Status& upstream_status() const { return upstream_; }
  const std::vector<FieldViolation>& violations() const { return violations_; }

 private:
  std::unique_ptr<grpc::ClientContext> NewContext() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    for (const auto& [k, v] : metadata_) {
      if (k != "idempotency-key") c->AddMetadata(k, v);
    }
    return c;
  }
  absl::Status FinishFile() {
    grpc::Status s = writer_->Finish();
    writer_.reset();
    if (!s.ok()) {
      upstream_ = s;
      return absl::AbortedError("upstream");
    }
    document_ids_.push_back(document_.id());
    return absl::OkStatus();
  }
  absl::Status Violation(std::string field, std::string description) {
    violations_.push_back({std::move(field), std::move(description)});
    return absl::InvalidArgumentError("multipart");
  }

  av1::ApplicationService::Stub* stub_;
  std::multimap<std::string, std::string> metadata_;
  absl::Duration deadline_;
  size_t chunk_;
  size_t max_json_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientWriter<av1::UploadDocumentRequest>> writer_;
  av1::Document document_;
  std::vector<std::string> document_ids_;
  bool in_json_ = false;
  bool has_json_ = false;
  std::string json_;
  grpc::Status upstream_;
  std::vector<FieldViolation> violations_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Gateway::Impl& gw) : stream_(std::move(socket)), gw_(gw) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  // What every answer to the current request carries.
  struct Current {
    std::string correlation_id;
    std::string route = "unmatched";
    std::string origin;
    std::string if_match;
    std::string if_none_match;
    std::string authorization;
    std::string idempotency_key;
    std::string client;
    std::string path;
    std::string query;
    http::verb verb = http::verb::get;
    unsigned version = 11;
    bool keep_alive = true;
    std::chrono::steady_clock::time_point start;
  };

  void ReadHeader() {
    header_parser_.emplace();
    header_parser_->header_limit(16 * 1024);
    header_parser_->body_limit(boost::none);
    stream_.expires_after(absl::ToChronoSeconds(gw_.config.idle_timeout));
    http::async_read_header(stream_, buffer_, *header_parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) {
      if (ec == http::error::header_limit) {
        cur_ = Current{};
        cur_.keep_alive = false;
        return SendProblem(431, "The request header is too large.", {});
      }
      return Close();
    }
    const auto& req = header_parser_->get();
    cur_ = Current{};
    cur_.start = std::chrono::steady_clock::now();
    cur_.verb = req.method();
    cur_.version = req.version();
    cur_.keep_alive = req.keep_alive();
    auto header = [&](http::field f) { return std::string(req[f]); };
    cur_.correlation_id = std::string(req["X-Correlation-Id"]);
    // Taken from the caller only when it looks like an id (no log injection).
    if (cur_.correlation_id.empty() || cur_.correlation_id.size() > 128 ||
        !std::all_of(cur_.correlation_id.begin(), cur_.correlation_id.end(), [](char c) {
          return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
        })) {
      cur_.correlation_id = ids::NewUuid();
    }
    cur_.origin = header(http::field::origin);
    cur_.if_match = header(http::field::if_match);
    cur_.if_none_match = header(http::field::if_none_match);
    cur_.authorization = header(http::field::authorization);
    cur_.idempotency_key = std::string(req["Idempotency-Key"]);
    beast::error_code ignored;
    cur_.client = stream_.socket().remote_endpoint(ignored).address().to_string();
    if (int trusted = gw_.config.trusted_proxies; trusted > 0) {
      // Each trusted proxy appended the address it saw: the outermost one's entry is the
      // client's; what precedes it the client may have written itself.
      std::vector<absl::string_view> hops = absl::StrSplit(
          absl::string_view(req["X-Forwarded-For"].data(), req["X-Forwarded-For"].size()), ',',
          absl::SkipWhitespace());
      if (hops.size() >= static_cast<size_t>(trusted)) {
        absl::string_view hop = absl::StripAsciiWhitespace(hops[hops.size() - trusted]);
        if (!hop.empty() && hop.size() <= 64) cur_.client = std::string(hop);
      }
    }
    absl::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    cur_.path = std::string(target.substr(0, q));
    cur_.query = q == target.npos ? "" : std::string(target.substr(q + 1));
    content_type_ = header(http::field::content_type);

    bool has_body = req.has_content_length() || req.chunked();
    size_t limit = gw_.config.max_body_bytes;
    bool multipart = cur_.verb == http::verb::post && cur_.path == "/v1/applications" &&
                     MultipartParser::BoundaryOf(content_type_).has_value();
    if (multipart) limit = gw_.config.max_upload_bytes;
    if (req.has_content_length() && header_parser_->content_length() &&
        *header_parser_->content_length() > limit) {
      cur_.keep_alive = false;  // the body stays unread
      return SendProblem(413, "The request body is larger than allowed.", {});
    }
    if (multipart) return StartUpload();
    if (!has_body) return Dispatch("");
    body_parser_.emplace(std::move(*header_parser_));
    body_parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *body_parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      cur_.keep_alive = false;
      return SendProblem(413, "The request body is larger than allowed.", {});
    }
    if (ec) return Close();
    std::string body = std::move(body_parser_->get().body());
    body_parser_.reset();
    Dispatch(std::move(body));
  }

  // --- routing -----------------------------------------------------------------------------------

  void Dispatch(std::string body) {
    if (cur_.verb == http::verb::options) return Preflight();
    const std::string& path = cur_.path;
    if (cur_.verb == http::verb::get || cur_.verb == http::verb::head) {
      if (path == "/healthz") return Health();
      // Shallow: answered by the I/O loop itself, no upstream asked (the probes' paths).
      if (path == "/livez") return Shallow("/livez", true);
      if (path == "/readyz") return Shallow("/readyz", !gw_.draining.load());
      if (path == "/metrics") return Metrics();
      if (path == "/openapi.json") {
        cur_.route = "/openapi.json";
        auto res = NewResponse(200, "application/json");
        res->body() = gw_.openapi;
        res->set(http::field::cache_control, "no-cache");
        return Send(std::move(res));
      }
    }
    if (path == "/v1/dev/sign-in" && gw_.config.dev_signin) return DevSignIn(body);
    std::string method(http::to_string(cur_.verb));
    bool path_known = false;
    std::optional<Match> match = gw_.router.Find(method, path, &path_known);
    if (match) return Transcode(*match, std::move(body));
    if (path_known) return SendProblem(405, "Method not allowed on this path.", {});
    if ((cur_.verb == http::verb::get || cur_.verb == http::verb::head) &&
        (path == "/" || absl::StartsWith(path, "/portal/"))) {
      return Static();
    }
    return SendProblem(404, "No such route.", {});
  }

  void Transcode(const Match& match, std::string body) {
    const Route& route = *match.route;
    cur_.route = absl::StrCat(route.http_method, " ", route.path_template);
    if (!route.is_public && !absl::StartsWithIgnoreCase(cur_.authorization, "Bearer ")) {
      return SendProblem(401, "This route needs a bearer token.", {});
    }
    if (!route.body.empty() && !body.empty()) {
      absl::string_view type = absl::string_view(content_type_).substr(0, content_type_.find(';'));
      if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(type), "application/json")) {
        return SendProblem(415, "The body must be application/json.",
                           {{"Content-Type", "expected application/json"}});
      }
    }
    // The body and the match wait in the closure while the rate limit is checked.
    auto pending = std::make_shared<std::pair<Match, std::string>>(match, std::move(body));
    Limit(cur_.authorization, cur_.route,
          [this, pending] { Forward(pending->first, std::move(pending->second)); });
  }

  // A transcoded route past its checks and the rate limit: the upstream call.
  void Forward(const Match& match, std::string body) {
    const Route& route = *match.route;
    auto channel_it = gw_.stubs.find(route.upstream);
    if (channel_it == gw_.stubs.end()) {
      return SendProblem(503, absl::StrCat("The ", route.upstream, " service is not configured."),
                         {});
    }
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            route.method->input_type());
    std::unique_ptr<google::protobuf::Message> request(prototype->New());
    if (std::optional<RequestError> e = BuildRequest(match, cur_.query, body, request.get())) {
      return SendProblem(HttpStatusOf(static_cast<int>(e->code)), e->detail, e->violations);
    }
    // If-Match is the request's etag (the top-level field, or the body message's).
    if (!cur_.if_match.empty()) {
      std::string etag(absl::StripSuffix(absl::StripPrefix(cur_.if_match, "W/"), ""));
      etag = std::string(absl::StripSuffix(absl::StripPrefix(etag, "\""), "\""));
      SetStringField(request.get(), "etag", etag, route.body);
    }
    if (!cur_.idempotency_key.empty()) {
      SetStringField(request.get(), "request_id", cur_.idempotency_key, "");
    }
    if (route.download) return StartDownload(route, *channel_it->second, *request);
    auto call = std::make_shared<Call>();
    call->route = &route;
    std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    call->request = grpc::ByteBuffer(&slice, 1);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + gw_.config.deadline));
    AddMetadata(call->context);
    channel_it->second->UnaryCall(
        &call->context, route.grpc_path, grpc::StubOptions(), &call->request, &call->response,
        [self = shared_from_this(), call](grpc::Status status) {
          net::post(self->stream_.get_executor(),
                    [self, call, status] { self->OnUpstream(*call, status); });
        });
  }

  // --- streamed download (a server-streaming route, docs/decisions/0046) -------------------

  // One message of the stream, parsed on gRPC's thread.
  struct Piece {
    bool ok = false;   // false: the stream ended (the status follows in OnDone)
    bool bad = false;  // did not parse
    bool metadata = false;
    std::string bytes;  // the response_body field's content
    std::string file_name, content_type;
  };

  // The generic client stream (a server-streaming RPC is a bidi stream with one request on
  // the wire). Reads one message at a time: the next read starts only after the previous
  // chunk was written to the HTTP client, so at most one chunk is held. A hold keeps OnDone
  // (which deletes the reactor) back until the session lets go (Release).
  class Download final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    Download(std::shared_ptr<Session> session, const Route* route)
        : session_(std::move(session)), route_(route) {}
    grpc::ClientContext context;
    grpc::ByteBuffer request;

    void Begin(grpc::GenericStub& stub) {
      stub.PrepareBidiStreamingCall(&context, route_->grpc_path, grpc::StubOptions(), this);
      AddHold();
      StartWriteLast(&request, grpc::WriteOptions());
      StartRead(&response_);
      StartCall();
    }
    void Next() { StartRead(&response_); }
    void Release() { RemoveHold(); }

    void OnReadDone(bool ok) override {
      Piece piece;
      piece.ok = ok;
      if (ok) Parse(piece);
      net::post(session_->stream_.get_executor(),
                [s = session_, piece = std::move(piece)]() mutable { s->OnPiece(piece); });
    }
    void OnDone(const grpc::Status& status) override {
      net::post(session_->stream_.get_executor(),
                [s = session_, status] { s->OnDownloadDone(status); });
      delete this;
    }

   private:
    void Parse(Piece& piece) {
      std::vector<grpc::Slice> slices;
      std::string bytes;
      if (response_.Dump(&slices).ok()) {
        for (const auto& sl : slices) {
          bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        }
      }
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(
              route_->method->output_type());
      std::unique_ptr<google::protobuf::Message> m(prototype->New());
      if (!m->ParseFromString(bytes)) {
        piece.bad = true;
        return;
      }
      const auto* d = m->GetDescriptor();
      const auto* r = m->GetReflection();
      const auto* content = d->FindFieldByName(route_->response_body);
      if (content->has_presence() ? r->HasField(*m, content) : !r->GetString(*m, content).empty()) {
        piece.bytes = r->GetString(*m, content);
        return;
      }
      // Metadata: the file name and type of a set message field (e.g. Document).
      piece.metadata = true;
      for (int i = 0; i < d->field_count(); ++i) {
        const auto* f = d->field(i);
        if (f->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE || f->is_repeated() ||
            !r->HasField(*m, f)) {
          continue;
        }
        const google::protobuf::Message& meta = r->GetMessage(*m, f);
        auto text = [&](const char* name) -> std::string {
          const auto* tf = meta.GetDescriptor()->FindFieldByName(name);
          if (tf == nullptr || tf->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
              tf->is_repeated()) {
            return "";
          }
          return meta.GetReflection()->GetString(meta, tf);
        };
        piece.file_name = text("file_name");
        piece.content_type = text("detected_type");
        if (piece.content_type.empty()) piece.content_type = text("content_type");
      }
    }

    std::shared_ptr<Session> session_;
    const Route* route_;
    grpc::ByteBuffer response_;
  };

  void StartDownload(const Route& route, grpc::GenericStub& stub,
                     const google::protobuf::Message& request) {
    dl_ = new Download(shared_from_this(), &route);
    dl_route_ = &route;
    dl_aborted_ = false;
    dl_bad_ = false;
    dl_name_.clear();
    dl_type_.clear();
    std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    dl_->request = grpc::ByteBuffer(&slice, 1);
    dl_->context.set_deadline(absl::ToChronoTime(absl::Now() + gw_.config.stream_deadline));
    AddMetadata(dl_->context);
    dl_->Begin(stub);
  }

  void OnPiece(Piece& piece) {
    if (dl_aborted_) return;
    if (!piece.ok) return dl_->Release();  // the end: OnDownloadDone follows
    if (piece.bad) {
      // Not what the descriptors promised: stop the stream; OnDownloadDone answers.
      dl_bad_ = true;
      dl_->context.TryCancel();
      return dl_->Release();
    }
    if (piece.metadata) {
      dl_name_ = std::move(piece.file_name);
      dl_type_ = std::move(piece.content_type);
      return dl_->Next();
    }
    if (!dl_res_) BeginDownloadResponse();
    dl_chunk_ = std::move(piece.bytes);
    auto& body = dl_res_->body();
    body.data = dl_chunk_.data();
    body.size = dl_chunk_.size();
    body.more = true;
    stream_.expires_after(absl::ToChronoSeconds(gw_.config.idle_timeout));
    http::async_write(stream_, *dl_sr_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        // The client went away: cancel the upstream stream, drop the connection.
        self->dl_aborted_ = true;
        self->dl_->context.TryCancel();
        self->dl_->Release();
        return self->stream_.close();
      }
      self->dl_->Next();
    });
  }

  void BeginDownloadResponse() {
    dl_res_ = std::make_unique<http::response<http::buffer_body>>(http::status::ok, cur_.version);
    // The service detects the type from the content (PDF, PNG, JPEG); nothing else is trusted.
    Decorate(*dl_res_, dl_type_.empty() ? "application/octet-stream" : dl_type_);
    dl_res_->set(http::field::content_disposition, ContentDisposition(dl_name_));
    dl_res_->set(http::field::cache_control, "private, no-store");
    dl_res_->set("X-Content-Type-Options", "nosniff");
    dl_res_->set("Content-Security-Policy", "sandbox; default-src 'none'");
    if (cur_.version >= 11) {
      dl_res_->chunked(true);
      dl_res_->keep_alive(cur_.keep_alive);
    } else {
      dl_res_->keep_alive(false);  // HTTP/1.0: the body ends with the connection
    }
    dl_sr_ = std::make_unique<http::response_serializer<http::buffer_body>>(*dl_res_);
  }

  void OnDownloadDone(const grpc::Status& status) {
    dl_ = nullptr;  // deleted itself
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - cur_.start).count();
    if (dl_aborted_) return gw_.Observe(cur_.route, 499, seconds);
    if (!status.ok() || dl_bad_) {
      if (!dl_res_) {
        if (dl_bad_) return SendProblem(502, "The upstream answer did not parse.", {});
        return SendGrpcError(dl_route_->upstream, status);
      }
      // Part of the body is out: only cutting the connection (no last chunk) tells the client
      // that the file is incomplete.
      gw_.Observe(cur_.route, 502, seconds);
      spdlog::warn("download {} cut off: {}", cur_.route, status.error_message());
      return stream_.close();
    }
    if (!dl_res_) BeginDownloadResponse();  // an empty file
    auto& body = dl_res_->body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    stream_.expires_after(absl::ToChronoSeconds(gw_.config.idle_timeout));
    http::async_write(stream_, *dl_sr_,
                      [self = shared_from_this(), seconds](beast::error_code ec, size_t) {
                        self->gw_.Observe(self->cur_.route, ec ? 499 : 200, seconds);
                        bool keep = self->dl_res_->keep_alive();
                        self->dl_sr_.reset();
                        self->dl_res_.reset();
                        self->dl_chunk_.clear();
                        self->dl_chunk_.shrink_to_fit();
                        if (ec || !keep) return self->Close();
                        self->ReadHeader();
                      });
  }

  // RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded (RFC 8187).
  static std::string ContentDisposition(const std::string& name) {
    std::string ascii, encoded;
    for (unsigned char c : name) {
      ascii.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? static_cast<char>(c) : '_');
      if (absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_') {
        encoded.push_back(static_cast<char>(c));
      } else {
        encoded += absl::StrFormat("%%%02X", c);
      }
    }
    if (name.empty()) return "attachment";
    return absl::StrCat("attachment; filename=\"", ascii, "\"; filename*=UTF-8''", encoded);
  }

  struct Call {
    const Route* route = nullptr;
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };

  void AddMetadata(grpc::ClientContext& context) {
    if (!cur_.authorization.empty()) context.AddMetadata("authorization", cur_.authorization);
    context.AddMetadata("x-correlation-id", cur_.correlation_id);
  }

  static void SetStringField(google::protobuf::Message* m, const std::string& name,
                             const std::string& value, const std::string& body_field) {
    const auto* d = m->GetDescriptor();
    const auto* f = d->FindFieldByName(name);
    if (f == nullptr && !body_field.empty() && body_field != "*") {
      const auto* bf = d->FindFieldByName(body_field);
      if (bf != nullptr && bf->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
        m = m->GetReflection()->MutableMessage(m, bf);
        f = m->GetDescriptor()->FindFieldByName(name);
      }
    }
    if (f != nullptr && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !f->is_repeated()) {
      m->GetReflection()->SetString(m, f, value);
    }
  }

  void OnUpstream(Call& call, const grpc::Status& status) {
    const Route& route = *call.route;
    if (!status.ok()) return SendGrpcError(route.upstream, status);
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (call.response.Dump(&slices).ok()) {
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            route.method->output_type());
    std::unique_ptr<google::protobuf::Message> response(prototype->New());
    if (!response->ParseFromString(bytes)) {
      return SendProblem(502, "The upstream answer did not parse.", {});
    }
    std::string body, type = "application/json";
    std::string etag;
    if (const auto* ef = response->GetDescriptor()->FindFieldByName("etag");
        ef != nullptr && ef->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !ef->is_repeated()) {
      etag = response->GetReflection()->GetString(*response, ef);
    }
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    if (!route.response_body.empty()) {
      const auto* f = response->GetDescriptor()->FindFieldByName(route.response_body);
      if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
        (void)google::protobuf::util::MessageToJsonString(
            response->GetReflection()->GetMessage(*response, f), &body, options);
      } else {
        body = response->GetReflection()->GetString(*response, f);
        type = absl::EndsWith(route.path_template, ".jsonld") ? "application/ld+json"
               : absl::EndsWith(route.path_template, ".ics")  ? "text/calendar; charset=utf-8"
                                                              : "text/plain; charset=utf-8";
      }
    } else if (!google::protobuf::util::MessageToJsonString(*response, &body, options).ok()) {
      return SendProblem(500, "The answer could not be written as JSON.", {});
    }
    if (route.http_method == "GET") {
      // The resource's own etag when it has one, else one of the bytes.
      std::string tag = absl::StrCat("\"", etag.empty() ? ShortSha256Hex(body) : etag, "\"");
      if (!cur_.if_none_match.empty() && IfNoneMatchHits(cur_.if_none_match, tag)) {
        auto res = NewResponse(304, "");
        res->set(http::field::etag, tag);
        res->set(http::field::cache_control, route.is_public ? "no-cache" : "private, no-cache");
        return Send(std::move(res));
      }
      auto res = NewResponse(200, type);
      res->set(http::field::etag, tag);
      res->set(http::field::cache_control, route.is_public ? "no-cache" : "private, no-cache");
      res->body() = std::move(body);
      return Send(std::move(res));
    }
    auto res = NewResponse(200, type);
    if (!etag.empty()) res->set(http::field::etag, absl::StrCat("\"", etag, "\""));
    res->set(http::field::cache_control, "no-store");
    res->body() = std::move(body);
    Send(std::move(res));
  }

  static bool IfNoneMatchHits(absl::string_view header, const std::string& tag) {
    for (absl::string_view t : absl::StrSplit(header, ',')) {
      t = absl::StripAsciiWhitespace(t);
      t = absl::StripPrefix(t, "W/");
      if (t == "*" || t == tag) return true;
    }
    return false;
  }

  void SendGrpcError(const std::string& upstream, const grpc::Status& status,
                     std::vector<FieldViolation> extra = {}) {
    int code = static_cast<int>(status.error_code());
    gw_.upstream_errors
        ->Add({{"upstream", upstream}, {"code", rpc::StatusCodeName(status.error_code())}})
        .Increment();
    int http_status = HttpStatusOf(code);
    // A stale If-Match: the precondition of the HTTP request failed (RFC 9110 §13.1.1).
    if (status.error_code() == grpc::StatusCode::ABORTED && !cur_.if_match.empty()) {
      http_status = 412;
    }
    std::vector<FieldViolation> violations = std::move(extra);
    google::rpc::Status rich;
    if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
      for (const auto& any : rich.details()) {
        google::rpc::BadRequest bad;
        if (any.UnpackTo(&bad)) {
          for (const auto& v : bad.field_violations()) {
            violations.push_back({v.field(), v.description()});
          }
        }
      }
    }
    std::string detail = status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      detail = absl::StrCat("The ", upstream, " service is unavailable.");
    }
    SendProblem(http_status, detail, violations, rpc::StatusCodeName(status.error_code()));
  }

  // Runs `next` on this session's strand when the rate limit allows the request, otherwise
  // answers 429. The limiter works off the I/O thread (docs/decisions/0052); nothing else of
  // this connection happens meanwhile (HTTP/1.1: the next request is read after the answer).
  void Limit(const std::string& authorization, const std::string& route, std::function<void()> next,
             bool close_on_refusal = false) {
    if (!gw_.limiter->enabled()) return next();
    gw_.limiter->Check(cur_.client, authorization, route,
                       [self = shared_from_this(), next = std::move(next),
                        close_on_refusal](std::optional<int> retry) {
                         net::post(self->stream_.get_executor(),
                                   [self, next, retry, close_on_refusal] {
                                     if (!retry) return next();
                                     if (close_on_refusal) self->cur_.keep_alive = false;
                                     self->RateLimitedAnswer(*retry);
                                   });
                       });
  }

  void RateLimitedAnswer(int retry_after) {
    auto res = ProblemResponse(429, "Too many requests; retry later.", {}, "RESOURCE_EXHAUSTED");
    res->set(http::field::retry_after, std::to_string(retry_after));
    Send(std::move(res));
  }

  // --- the built-in routes
  // ------------------------------------------------------------------------

  void Preflight() {
    cur_.route = "OPTIONS";
    auto res = NewResponse(204, "");
    res->set(http::field::access_control_allow_methods, "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    res->set(http::field::access_control_allow_headers,
             "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, "
             "X-Correlation-Id");
    res->set(http::field::access_control_max_age, "600");
    Send(std::move(res));
  }

  void DevSignIn(const std::string& body) {
    cur_.route = "POST /v1/dev/sign-in";
    if (cur_.verb != http::verb::post) return SendProblem(405, "Use POST.", {});
    Limit("", cur_.route, [this, body] { SignIn(body); });
  }

  void SignIn(const std::string& body) {
    if (gw_.config.jwt_hs256_secret.size() < 32) {
      return SendProblem(503, "No HS256 secret is configured for the development sign-in.", {});
    }
    nlohmann::json in = nlohmann::json::parse(body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      return SendProblem(400, "The body is not a JSON object.", {{"body", "malformed JSON"}});
    }
    std::vector<FieldViolation> violations;
    auto text = [&](const char* name) -> std::string {
      auto it = in.find(name);
      if (it == in.end() || !it->is_string() || it->get<std::string>().empty()) {
        violations.push_back({name, "required"});
        return "";
      }
      std::string v = it->get<std::string>();
      if (v.size() > 200 ||
          !std::all_of(v.begin(), v.end(), [](unsigned char c) { return c > 0x20 && c != 0x7f; })) {
        violations.push_back({name, "at most 200 printable characters without spaces"});
      }
      return v;
    };
    auth::Claims claims;
    claims.sub = text("sub");
    claims.tenant = text("tenant_id");
    if (!violations.empty()) return SendProblem(400, "Invalid sign-in.", violations);
    claims.roles = {"applicant"};
    nlohmann::json out = {{"access_token", auth::SignHs256(claims, gw_.config.jwt_hs256_secret)},
                          {"token_type", "Bearer"},
                          {"expires_in", 8 * 3600}};
    auto res = NewResponse(200, "application/json");
    res->set(http::field::cache_control, "no-store");
    res->body() = out.dump();
    Send(std::move(res));
  }

  void Health() {
    cur_.route = "/healthz";
    struct State {
      std::mutex mu;
      std::map<std::string, std::string> result;
      int pending = 0;
    };
    auto state = std::make_shared<State>();
    state->pending = static_cast<int>(gw_.channels.size());
    if (state->pending == 0) return HealthAnswer({});
    for (const auto& [name, channel] : gw_.channels) {
      auto stub = grpc::health::v1::Health::NewStub(channel);
      auto ctx = std::make_shared<grpc::ClientContext>();
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      auto req = std::make_shared<grpc::health::v1::HealthCheckRequest>();
      auto resp = std::make_shared<grpc::health::v1::HealthCheckResponse>();
      auto* raw = stub.get();
      raw->async()->Check(
          ctx.get(), req.get(), resp.get(),
          [self = shared_from_this(), state, name = name, ctx, req, resp,
           keep =
               std::shared_ptr<grpc::health::v1::Health::Stub>(std::move(stub))](grpc::Status s) {
            std::map<std::string, std::string> done;
            {
              std::lock_guard lock(state->mu);
              state->result[name] =
                  !s.ok() ? absl::StrCat("DOWN (", rpc::StatusCodeName(s.error_code()), ")")
                  : resp->status() == grpc::health::v1::HealthCheckResponse::SERVING
                      ? "SERVING"
                      : "NOT_SERVING";
              if (--state->pending > 0) return;
              done = state->result;
            }
            net::post(self->stream_.get_executor(), [self, done] { self->HealthAnswer(done); });
          });
    }
  }

  void HealthAnswer(const std::map<std::string, std::string>& result) {
    nlohmann::json upstreams = nlohmann::json::object();
    std::vector<std::string> down;
    for (const std::string& name : kUpstreams) {
      auto it = result.find(name);
      if (it == result.end()) {
        upstreams[name] = "NOT_CONFIGURED";
        continue;
      }
      upstreams[name] = it->second;
      if (it->second != "SERVING") down.push_back(name);
    }
    int code = down.empty() ? 200 : 503;
    nlohmann::json out = {{"status", down.empty() ? "SERVING" : "NOT_SERVING"},
                          {"upstreams", upstreams}};
    if (!down.empty()) out["down"] = down;
    auto res = NewResponse(code, "application/json");
    res->set(http::field::cache_control, "no-store");
    res->body() = out.dump();
    Send(std::move(res));
  }

  void Shallow(const char* route, bool ok) {
    cur_.route = route;
    auto res = NewResponse(ok ? 200 : 503, "application/json");
    res->set(http::field::cache_control, "no-store");
    res->body() = ok ? R"({"status":"ok"})" : R"({"status":"draining"})";
    Send(std::move(res));
  }

  void Metrics() {
    cur_.route = "/metrics";
    prometheus::TextSerializer serializer;
    auto res = NewResponse(200, "text/plain; version=0.0.4");
    res->body() = serializer.Serialize(gw_.registry->Collect());
    Send(std::move(res));
  }

  void Static() {
    cur_.route = "static";
    std::optional<std::string> decoded = PercentDecode(cur_.path, false);
    if (!decoded || decoded->find('\0') != std::string::npos ||
        decoded->find('\\') != std::string::npos) {
      return SendProblem(400, "Bad path.", {});
    }
    std::string rel = *decoded == "/" ? "index.html" : decoded->substr(std::strlen("/portal/"));
    if (rel.empty() || absl::EndsWith(rel, "/")) rel += "index.html";
    for (absl::string_view seg : absl::StrSplit(rel, '/')) {
      if (seg == ".." || seg == "." || (seg.empty() && rel.find("//") != rel.npos)) {
        return SendProblem(404, "No such file.", {});
      }
    }
    std::error_code ec;
    std::filesystem::path file = std::filesystem::weakly_canonical(gw_.portal_root / rel, ec);
    std::string root = gw_.portal_root.string();
    if (ec || file.string().compare(0, root.size(), root) != 0 ||
        !std::filesystem::is_regular_file(file, ec)) {
      return SendProblem(404, "No such file.", {});
    }
    std::ifstream in(file, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string tag = absl::StrCat("\"", ShortSha256Hex(content), "\"");
    auto res = NewResponse(200, ContentTypeOf(file));
    res->set(http::field::etag, tag);
    // Revalidated on every use (the portal has no build step that versions file names).
    res->set(http::field::cache_control, "no-cache");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Content-Security-Policy",
             "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "object-src 'none'; frame-ancestors 'none'; base-uri 'self'");
    res->set("Referrer-Policy", "same-origin");
    if (!cur_.if_none_match.empty() && IfNoneMatchHits(cur_.if_none_match, tag)) {
      res->result(304);
      res->erase(http::field::content_type);
      return Send(std::move(res));
    }
    res->body() = std::move(content);
    Send(std::move(res));
  }

  // --- multipart upload
  // ---------------------------------------------------------------------------

  void StartUpload() {
    cur_.route = "POST /v1/applications (multipart)";
    if (!absl::StartsWithIgnoreCase(cur_.authorization, "Bearer ")) {
      cur_.keep_alive = false;
      return SendProblem(401, "This route needs a bearer token.", {});
    }
    // Refused, the body stays unread: the connection closes after the 429.
    Limit(
        cur_.authorization, "POST /v1/applications", [this] { BeginUpload(); },
        /*close_on_refusal=*/true);
  }

  void BeginUpload() {
    if (gw_.config.upstreams.count("applications") == 0) {
      cur_.keep_alive = false;
      return SendProblem(503, "The applications service is not configured.", {});
    }
    std::multimap<std::string, std::string> metadata = {{"authorization", cur_.authorization},
                                                        {"x-correlation-id", cur_.correlation_id}};
    if (!cur_.idempotency_key.empty()) metadata.emplace("idempotency-key", cur_.idempotency_key);
    upload_stub_ = av1::ApplicationService::NewStub(gw_.channels.at("applications"));
    upload_ = std::make_unique<Upload>(upload_stub_.get(), std::move(metadata), gw_.config.deadline,
                                       gw_.config.upload_chunk_bytes, gw_.config.max_body_bytes);
    multipart_ = std::make_unique<MultipartParser>(*MultipartParser::BoundaryOf(content_type_));
    upload_parser_.emplace(std::move(*header_parser_));
    upload_parser_->body_limit(gw_.config.max_upload_bytes);
    chunk_.resize(gw_.config.upload_chunk_bytes);
    ReadUploadPiece();
  }

  void ReadUploadPiece() {
    auto& body = upload_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    body.more = true;
    stream_.expires_after(absl::ToChronoSeconds(gw_.config.idle_timeout));
    http::async_read(stream_, buffer_, *upload_parser_,
                     beast::bind_front_handler(&Session::OnUploadPiece, shared_from_this()));
  }

  void OnUploadPiece(beast::error_code ec, size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      return FinishUploadWith([this] { upload_->Abort(); }, 413,
                              "The upload is larger than allowed.");
    }
    if (ec) {
      // Cut off mid-stream: cancel the open UploadDocument, submit nothing.
      auto self = shared_from_this();
      gw_.workers->TrySubmit([self] { self->upload_->Abort(); });
      return Close();
    }
    size_t n = chunk_.size() - upload_parser_->get().body().size;
    bool done = upload_parser_->is_done();
    auto self = shared_from_this();
    bool queued = gw_.workers->TrySubmit([self, n, done] {
      absl::Status s =
          self->multipart_->Feed(absl::string_view(self->chunk_.data(), n), *self->upload_);
      int64_t held = static_cast<int64_t>(self->multipart_->buffered());
      int64_t prev = self->gw_.upload_buffered_max.load();
      while (held > prev && !self->gw_.upload_buffered_max.compare_exchange_weak(prev, held)) {
      }
      if (s.ok() && done && !self->multipart_->done()) {
        s = absl::InvalidArgumentError("multipart: the closing boundary is missing");
      }
      av1::Application application;
      grpc::Status submitted;
      if (s.ok() && done) submitted = self->upload_->Submit(&application);
      if (!s.ok()) self->upload_->Abort();
      net::post(self->stream_.get_executor(), [self, s, done, submitted, application] {
        self->OnUploadFed(s, done, submitted, application);
      });
    });
    if (!queued) {
      cur_.keep_alive = false;
      return SendProblem(503, "The gateway is busy; retry later.", {});
    }
  }

  void OnUploadFed(const absl::Status& s, bool done, const grpc::Status& submitted,
                   const av1::Application& application) {
    if (!s.ok()) {
      cur_.keep_alive = false;  // the rest of the body stays unread
      if (!upload_->upstream_status().ok()) {
        return SendGrpcError("applications", upload_->upstream_status());
      }
      std::vector<FieldViolation> v = upload_->violations();
      if (v.empty()) v.push_back({"body", std::string(s.message())});
      return SendProblem(400, "The multipart body is not acceptable.", v);
    }
    if (!done) return ReadUploadPiece();
    if (!submitted.ok()) return SendGrpcError("applications", submitted, upload_->violations());
    std::string body;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(application, &body, options);
    auto res = NewResponse(200, "application/json");
    res->set(http::field::cache_control, "no-store");
    if (!application.etag().empty()) {
      res->set(http::field::etag, absl::StrCat("\"", application.etag(), "\""));
    }
    res->body() = std::move(body);
    Send(std::move(res));
  }

  template <typename F>
  void FinishUploadWith(F abort, int status, std::string detail) {
    cur_.keep_alive = false;
    auto self = shared_from_this();
    gw_.workers->TrySubmit([self, abort] { abort(); });
    SendProblem(status, std::move(detail), {});
  }

  // --- answers -----------------------------------------------------------------------------------

  std::unique_ptr<Response> NewResponse(int status, const std::string& type) {
    auto res = std::make_unique<Response>(static_cast<http::status>(status), cur_.version);
    Decorate(*res, type);
    return res;
  }

  // What every answer carries: server, type, correlation id, CORS for an allowed origin.
  template <class Body>
  void Decorate(http::response<Body>& res, const std::string& type) {
    res.set(http::field::server, "stellenwerk-gateway");
    if (!type.empty()) res.set(http::field::content_type, type);
    res.set("X-Correlation-Id", cur_.correlation_id);
    if (!cur_.origin.empty()) {
      const auto& allowed = gw_.config.cors_origins;
      bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
      if (any || std::find(allowed.begin(), allowed.end(), cur_.origin) != allowed.end()) {
        res.set(http::field::access_control_allow_origin, any ? "*" : cur_.origin);
        res.set(http::field::access_control_expose_headers,
                "ETag, X-Correlation-Id, Retry-After, Content-Disposition");
        if (!any) res.set(http::field::vary, "Origin");
      }
    }
  }

  std::unique_ptr<Response> ProblemResponse(int status, const std::string& detail,
                                            const std::vector<FieldViolation>& violations,
                                            const std::string& code = "") {
    auto res = NewResponse(status, "application/problem+json");
    nlohmann::json p = {
        {"type", "about:blank"},
        {"title", std::string(http::obsolete_reason(static_cast<http::status>(status)))},
        {"status", status},
        {"detail", detail},
        {"instance", cur_.path},
        {"correlation_id", cur_.correlation_id}};
    if (!code.empty()) p["code"] = code;
    if (!violations.empty()) {
      nlohmann::json v = nlohmann::json::array();
      for (const auto& fv : violations) {
        v.push_back({{"field", fv.field}, {"description", fv.description}});
      }
      p["violations"] = v;
    }
    res->set(http::field::cache_control, "no-store");
    res->body() = p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return res;
  }

  void SendProblem(int status, const std::string& detail,
                   const std::vector<FieldViolation>& violations, const std::string& code = "") {
    Send(ProblemResponse(status, detail, violations, code));
  }

  void Send(std::unique_ptr<Response> res) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - cur_.start).count();
    gw_.Observe(cur_.route, res->result_int(), seconds);
    res->keep_alive(cur_.keep_alive);
    bool head = cur_.verb == http::verb::head;
    res->prepare_payload();
    if (head) res->body().clear();
    response_ = std::move(res);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    bool keep = response_->keep_alive();
    response_.reset();
    upload_.reset();
    multipart_.reset();
    upload_parser_.reset();
    if (ec || !keep) return Close();
    ReadHeader();
  }

  // Lingering close: after our answer, read and drop what the client still sends (an
  // unread body) for up to two seconds, so the kernel does not reset the connection and
  // lose the answer (e.g. a 413 sent before the body was read).
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    drain_.resize(16 * 1024);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->stream_.close();
                              self->Drain();
                            });
  }
  std::vector<char> drain_;

  beast::tcp_stream stream_;
  Gateway::Impl& gw_;
  beast::flat_buffer buffer_{16 * 1024};
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  std::optional<http::request_parser<http::buffer_body>> upload_parser_;
  std::unique_ptr<Response> response_;
  Current cur_;
  std::string content_type_;
  std::unique_ptr<av1::ApplicationService::Stub> upload_stub_;
  std::unique_ptr<Upload> upload_;
  std::unique_ptr<MultipartParser> multipart_;
  std::vector<char> chunk_;
  // The download in flight (at most one per connection: HTTP/1.1 answers in order).
  Download* dl_ = nullptr;
  const Route* dl_route_ = nullptr;
  bool dl_aborted_ = false;
  bool dl_bad_ = false;
  std::string dl_name_, dl_type_, dl_chunk_;
  std::unique_ptr<http::response<http::buffer_body>> dl_res_;
  std::unique_ptr<http::response_serializer<http::buffer_body>> dl_sr_;
};

}  // namespace

void Gateway::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    Accept();
  });
}

// --- the gateway
// -------------------------------------------------------------------------------------

Gateway::Gateway(GatewayConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Gateway::~Gateway() { Stop(); }

absl::Status Gateway::Start() {
  Impl& g = *impl_;
  absl::StatusOr<Router> router = Router::Build(LinkedServices(), kPublicMethods);
  if (!router.ok()) return router.status();
  g.router = *std::move(router);
  g.openapi = OpenApiDocument(g.router, kServiceName);
  for (const auto& [name, addr] : g.config.upstreams) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    auto channel = grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
    g.channels[name] = channel;
    g.stubs[name] = std::make_unique<grpc::GenericStub>(channel);
  }
  g.workers = std::make_unique<concurrency::WorkerPool>("gateway-upload", g.config.workers, 256);
  if (!g.config.redis_host.empty() || !g.config.redis_sentinels.empty()) {
    cache::RedisOptions options;
    options.host = g.config.redis_host;
    options.port = g.config.redis_port;
    options.sentinels = g.config.redis_sentinels;
    options.sentinel_master = g.config.redis_sentinel_master;
    options.auth = g.config.redis_auth;
    options.sentinel_auth = g.config.redis_sentinel_auth;
    options.key_prefix = g.config.redis_prefix;
    // A connection for every thread that may count at once (the limiter's, and the I/O
    // threads when its queue is full): a check never waits for a free one.
    options.pool_size = std::max(options.pool_size, g.config.rate_limit_threads + g.config.threads);
    g.redis = std::make_unique<cache::RedisCache>(options);
    // A wrong password in the log at start (ADR 0053); rate limits fail open meanwhile.
    if (absl::Status s = g.redis->Check(); !s.ok()) {
      spdlog::warn("{}; rate limits are off until it is reachable", std::string(s.message()));
    }
  }
  if (!g.config.jwt_jwks_file.empty()) {
    absl::StatusOr<std::shared_ptr<auth::JwksFile>> jwks =
        auth::JwksFile::Open(g.config.jwt_jwks_file);
    if (!jwks.ok()) return jwks.status();
    g.verifier = *std::move(jwks);
  } else if (!g.config.jwt_rs256_public_key_file.empty()) {
    absl::StatusOr<auth::JwtVerifier> v =
        auth::JwtVerifier::Rs256FromPemFile(g.config.jwt_rs256_public_key_file);
    if (!v.ok()) return v.status();
    g.verifier = std::make_shared<auth::JwtVerifier>(*std::move(v));
  } else if (!g.config.jwt_hs256_secret.empty()) {
    absl::StatusOr<auth::JwtVerifier> v = auth::JwtVerifier::Hs256(g.config.jwt_hs256_secret);
    if (v.ok()) g.verifier = std::make_shared<auth::JwtVerifier>(*std::move(v));
  }
  std::error_code ec;
  g.portal_root = std::filesystem::weakly_canonical(g.config.portal_dir, ec);
  if (ec) g.portal_root = g.config.portal_dir;
  g.requests = &prometheus::BuildCounter()
                    .Name("stellenwerk_gateway_requests_total")
                    .Help("HTTP requests by route and status")
                    .Register(*g.registry);
  g.latency = &prometheus::BuildHistogram()
                   .Name("stellenwerk_gateway_request_duration_seconds")
                   .Help("HTTP request latency by route, seconds")
                   .Register(*g.registry);
  g.upstream_errors = &prometheus::BuildCounter()
                           .Name("stellenwerk_gateway_upstream_errors_total")
                           .Help("gRPC calls that did not answer OK, by upstream and code")
                           .Register(*g.registry);
  g.rate_limited = &prometheus::BuildCounter()
                        .Name("stellenwerk_gateway_rate_limited_total")
                        .Help("requests refused with 429, by route")
                        .Register(*g.registry);
  RateLimiter::Options limit;
  limit.per_minute = g.config.rate_limit_per_minute;
  limit.ip_factor = g.config.rate_limit_ip_factor;
  limit.clock = g.config.clock;
  limit.threads = g.config.rate_limit_threads;
  limit.max_queue = g.config.rate_limit_queue;
  g.limiter = std::make_unique<RateLimiter>(limit, g.redis.get(), g.verifier, g.rate_limited);

  beast::error_code bec;
  tcp::endpoint endpoint(net::ip::make_address(g.config.bind, bec),
                         static_cast<unsigned short>(g.config.http_port));
  if (bec) return absl::InvalidArgumentError(absl::StrCat("STELLENWERK_BIND: ", bec.message()));
  g.acceptor.open(endpoint.protocol(), bec);
  if (!bec) g.acceptor.set_option(net::socket_base::reuse_address(true), bec);
  if (!bec) g.acceptor.bind(endpoint, bec);
  if (!bec) g.acceptor.listen(net::socket_base::max_listen_connections, bec);
  if (bec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", g.config.bind, ":",
                                               g.config.http_port, ": ", bec.message()));
  }
  g.Accept();
  for (int i = 0; i < g.config.threads; ++i) g.threads.emplace_back([&g] { g.ioc.run(); });
  spdlog::info("gateway listening on {}:{} ({} routes, upstreams: {})", g.config.bind, port(),
               g.router.routes().size(), g.config.upstreams.size());
  return absl::OkStatus();
}

void Gateway::Stop() {
  Impl& g = *impl_;
  if (g.stopped.exchange(true)) return;
  beast::error_code ec;
  g.acceptor.close(ec);
  g.ioc.stop();
  for (auto& t : g.threads) t.join();
  g.threads.clear();
  if (g.workers) g.workers->Stop();
  if (g.limiter) g.limiter->Stop();
}

void Gateway::Drain() { impl_->draining = true; }

void Gateway::WaitForTermination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: stopping", sig);
  Drain();
  if (impl_->config.drain > absl::ZeroDuration()) absl::SleepFor(impl_->config.drain);
  Stop();
}

}  // namespace stellenwerk::gateway
