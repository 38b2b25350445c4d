#pragma once
// gRPC transcoding from the descriptors (docs/decisions/0027): every RPC carrying a
// `google.api.http` option becomes a route — method, path template with variables bound to
// request fields, query parameters for the fields neither the path nor the body binds, the
// body ("*" or one field), and optionally one response field as the whole response body.
// Nothing here knows a particular service; the table is built once at start-up.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace stellenwerk::gateway {

// One segment of a path template: a literal, or a variable bound to a (dotted) field path.
struct Segment {
  std::string literal;                                          // empty for a variable
  std::vector<const google::protobuf::FieldDescriptor*> field;  // the variable's field path
  std::string variable;                                         // "posting.id"
};

struct Route {
  std::string http_method;    // GET, POST, PUT, PATCH, DELETE
  std::string path_template;  // as declared, e.g. "/v1/postings/{id}:publish"
  std::vector<Segment> segments;
  std::string verb;           // after ':' in the last segment, e.g. "publish"
  std::string body;           // "", "*" or a top-level field name
  std::string response_body;  // "" or a top-level field of the response
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string upstream;    // the service's short name: "postings", "applications", ...
  std::string grpc_path;   // "/stellenwerk.postings.v1.PostingService/GetPosting"
  bool is_public = false;  // callable without a bearer token
  // A server-streaming RPC whose response_body is a bytes field: a download. Each message's
  // bytes are written to the HTTP body as they arrive; a message without them is metadata
  // (docs/decisions/0046).
  bool download = false;

  // The path parameters' names in template order (OpenAPI).
  std::vector<std::string> Variables() const;
  // Fields the query string may set: every scalar/enum/repeated-scalar field path of the
  // request not bound by path or body (nested messages flattened with dots), as JSON names.
  std::vector<std::pair<std::string, const google::protobuf::FieldDescriptor*>> QueryFields() const;
};

struct Match {
  const Route* route = nullptr;
  std::map<std::string, std::string> variables;  // variable -> decoded value
};

// The upstream a proto package belongs to: "stellenwerk.postings.v1" -> "postings".
std::string UpstreamOf(const google::protobuf::ServiceDescriptor* service);

class Router {
 public:
  // Routes of every method of `services` with a google.api.http option (and its
  // additional_bindings). Client-streaming methods are skipped; a server-streaming one must
  // name a bytes response_body (a download). Errors on a malformed template or a path/body
  // that names no field.
  static absl::StatusOr<Router> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services,
      const std::vector<std::string>& public_methods);

  // The route for (method, path); `path` is the raw request path without the query.
  // nullopt when nothing matches; *path_known is set when the path matched another method.
  std::optional<Match> Find(absl::string_view http_method, absl::string_view path,
                            bool* path_known = nullptr) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// A field violation in the vocabulary of google.rpc.BadRequest.
struct FieldViolation {
  std::string field;
  std::string description;
};

// An HTTP-side error raised before any upstream call (the gRPC code decides the HTTP status).
struct RequestError {
  absl::StatusCode code;
  std::string detail;
  std::vector<FieldViolation> violations;
};

// Builds the request message of `match` from the path variables, the query string (raw,
// without '?') and the body (JSON per the protobuf JSON mapping). Unknown query parameters,
// a value that does not parse and malformed JSON are a RequestError naming the field.
std::optional<RequestError> BuildRequest(const Match& match, absl::string_view query,
                                         absl::string_view body, google::protobuf::Message* out);

// Percent-decoding (with '+' as space when `form`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(absl::string_view in, bool form);

// A field a query parameter or path variable may set: scalars, enums, repeated scalars and
// the well-known types written as JSON strings (Timestamp, Duration, FieldMask).
bool IsQueryable(const google::protobuf::FieldDescriptor* f);

// The HTTP status of a gRPC status code (CONTRACT.md "REST").
int HttpStatusOf(int grpc_code);

}  // namespace stellenwerk::gateway
