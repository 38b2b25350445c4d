#include "services/gateway/transcode/routes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace stellenwerk::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

const FieldDescriptor* FieldByName(const Descriptor* d, absl::string_view name) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->name() == name || f->json_name() == name) return f;
  }
  return nullptr;
}

// "posting.id" -> the field path; empty if any part is unknown or a non-message is traversed.
std::vector<const FieldDescriptor*> FieldPath(const Descriptor* d, absl::string_view dotted) {
  std::vector<const FieldDescriptor*> path;
  for (absl::string_view part : absl::StrSplit(dotted, '.')) {
    if (d == nullptr) return {};
    const FieldDescriptor* f = FieldByName(d, part);
    if (f == nullptr) return {};
    path.push_back(f);
    d = f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated() ? f->message_type()
                                                                        : nullptr;
  }
  return path;
}

bool IsWellKnownString(const Descriptor* d) {
  const std::string& n = d->full_name();
  return n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" ||
         n == "google.protobuf.FieldMask";
}

absl::StatusOr<Route> ParseRule(const MethodDescriptor* m, const google::api::HttpRule& rule,
                                const std::vector<std::string>& public_methods) {
  Route r;
  r.method = m;
  r.upstream = UpstreamOf(m->service());
  r.grpc_path = absl::StrCat("/", m->service()->full_name(), "/", m->name());
  r.is_public = std::find(public_methods.begin(), public_methods.end(), m->full_name()) !=
                public_methods.end();
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      r.http_method = "GET", r.path_template = rule.get();
      break;
    case google::api::HttpRule::kPost:
      r.http_method = "POST", r.path_template = rule.post();
      break;
    case google::api::HttpRule::kPut:
      r.http_method = "PUT", r.path_template = rule.put();
      break;
    case google::api::HttpRule::kPatch:
      r.http_method = "PATCH", r.path_template = rule.patch();
      break;
    case google::api::HttpRule::kDelete:
      r.http_method = "DELETE", r.path_template = rule.delete_();
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(m->full_name(), ": unsupported pattern"));
  }
  absl::string_view t = r.path_template;
  if (t.empty() || t[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(m->full_name(), ": path must start with /"));
  }
  // The verb: after the last ':' that follows the last '/' and is outside braces.
  size_t last_slash = t.rfind('/');
  size_t colon = t.rfind(':');
  if (colon != absl::string_view::npos && colon > last_slash && t.find('}', colon) == t.npos) {
    r.verb = std::string(t.substr(colon + 1));
    t = t.substr(0, colon);
  }
  for (absl::string_view part : absl::StrSplit(t.substr(1), '/')) {
    Segment s;
    if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
      absl::string_view var = part.substr(1, part.size() - 2);
      if (size_t eq = var.find('='); eq != var.npos) var = var.substr(0, eq);  // {x=*}
      s.variable = std::string(var);
      s.field = FieldPath(m->input_type(), var);
      if (s.field.empty() || !IsQueryable(s.field.back()) || s.field.back()->is_repeated()) {
        return absl::InvalidArgumentError(
            absl::StrCat(m->full_name(), ": path variable ", var, " names no scalar field"));
      }
    } else {
      s.literal = std::string(part);
    }
    r.segments.push_back(std::move(s));
  }
  r.body = rule.body();
  if (!r.body.empty() && r.body != "*" && FieldByName(m->input_type(), r.body) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(m->full_name(), ": body ", r.body, " unknown"));
  }
  r.response_body = rule.response_body();
  if (!r.response_body.empty() && FieldByName(m->output_type(), r.response_body) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(m->full_name(), ": response_body ", r.response_body, " unknown"));
  }
  return r;
}

int LiteralCount(const Route& r) {
  return static_cast<int>(std::count_if(r.segments.begin(), r.segments.end(),
                                        [](const Segment& s) { return !s.literal.empty(); }));
}

// Sets `value` at the field path in the JSON tree `root` (objects created on the way).
nlohmann::json& Slot(nlohmann::json& root, const std::vector<const FieldDescriptor*>& path) {
  nlohmann::json* node = &root;
  for (const FieldDescriptor* f : path) {
    if (!node->is_object()) *node = nlohmann::json::object();
    node = &(*node)[f->json_name()];
  }
  return *node;
}

// The JSON value of a text form for field `f` (numbers and well-known types as strings, which
// the protobuf JSON parser accepts; bools must be true/false).
std::optional<nlohmann::json> JsonValue(const FieldDescriptor* f, const std::string& text) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return std::nullopt;
    case FieldDescriptor::CPPTYPE_ENUM:
      if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
        return std::stoi(text);
      }
      if (f->enum_type()->FindValueByName(text) == nullptr) return std::nullopt;
      return text;
    default:
      return text;
  }
}

}  // namespace

bool IsQueryable(const FieldDescriptor* f) {
  if (f->is_map()) return false;
  if (f->type() == FieldDescriptor::TYPE_MESSAGE) return IsWellKnownString(f->message_type());
  return true;
}

std::string UpstreamOf(const ServiceDescriptor* service) {
  std::vector<std::string> parts = absl::StrSplit(service->file()->package(), '.');
  return parts.size() >= 2 ? parts[1] : service->file()->package();
}

std::vector<std::string> Route::Variables() const {
  std::vector<std::string> out;
  for (const Segment& s : segments) {
    if (s.literal.empty()) out.push_back(s.variable);
  }
  return out;
}

std::vector<std::pair<std::string, const FieldDescriptor*>> Route::QueryFields() const {
  std::vector<std::pair<std::string, const FieldDescriptor*>> out;
  if (body == "*") return out;
  const Descriptor* d = method->input_type();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->name() == body || !IsQueryable(f)) continue;
    bool bound = std::any_of(segments.begin(), segments.end(), [&](const Segment& s) {
      return !s.field.empty() && s.field.front() == f;
    });
    if (!bound) out.emplace_back(f->json_name(), f);
  }
  return out;
}

absl::StatusOr<Router> Router::Build(const std::vector<const ServiceDescriptor*>& services,
                                     const std::vector<std::string>& public_methods) {
  Router router;
  for (const ServiceDescriptor* s : services) {
    for (int i = 0; i < s->method_count(); ++i) {
      const MethodDescriptor* m = s->method(i);
      if (!m->options().HasExtension(google::api::http)) continue;
      if (m->client_streaming()) continue;
      const google::api::HttpRule& rule = m->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules{&rule};
      for (const auto& extra : rule.additional_bindings()) rules.push_back(&extra);
      for (const google::api::HttpRule* one : rules) {
        absl::StatusOr<Route> r = ParseRule(m, *one, public_methods);
        if (!r.ok()) return r.status();
        if (m->server_streaming()) {
          const FieldDescriptor* f =
              r->response_body.empty() ? nullptr : FieldByName(m->output_type(), r->response_body);
          if (f == nullptr || f->type() != FieldDescriptor::TYPE_BYTES || f->is_repeated() ||
              r->http_method != "GET") {
            return absl::InvalidArgumentError(
                absl::StrCat(m->full_name(),
                             ": a server-streaming route is a GET whose "
                             "response_body names a bytes field"));
          }
          r->download = true;
        }
        router.routes_.push_back(*std::move(r));
      }
    }
  }
  // Most specific first: a verb, then more literal segments.
  std::stable_sort(router.routes_.begin(), router.routes_.end(),
                   [](const Route& a, const Route& b) {
                     if (a.verb.empty() != b.verb.empty()) return !a.verb.empty();
                     return LiteralCount(a) > LiteralCount(b);
                   });
  return router;
}

std::optional<Match> Router::Find(absl::string_view http_method, absl::string_view path,
                                  bool* path_known) const {
  if (path_known) *path_known = false;
  if (path.empty() || path[0] != '/') return std::nullopt;
  for (const Route& r : routes_) {
    absl::string_view p = path.substr(1);
    if (!r.verb.empty()) {
      std::string suffix = absl::StrCat(":", r.verb);
      if (p.size() <= suffix.size() || p.substr(p.size() - suffix.size()) != suffix) continue;
      p = p.substr(0, p.size() - suffix.size());
    }
    std::vector<absl::string_view> parts = absl::StrSplit(p, '/');
    if (parts.size() != r.segments.size()) continue;
    Match m;
    m.route = &r;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const Segment& s = r.segments[i];
      if (!s.literal.empty()) {
        ok = parts[i] == s.literal;
      } else {
        std::optional<std::string> v = PercentDecode(parts[i], false);
        ok = v.has_value() && !v->empty();
        if (ok) m.variables[s.variable] = *std::move(v);
      }
    }
    if (!ok) continue;
    if (r.http_method != http_method) {
      if (path_known) *path_known = true;
      continue;
    }
    return m;
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(absl::string_view in, bool form) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && form) {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<RequestError> BuildRequest(const Match& match, absl::string_view query,
                                         absl::string_view body, google::protobuf::Message* out) {
  const Route& r = *match.route;
  const Descriptor* d = r.method->input_type();
  nlohmann::json root = nlohmann::json::object();
  if (!r.body.empty()) {
    nlohmann::json parsed;
    if (body.empty()) {
      parsed = nlohmann::json::object();
    } else {
      parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            "The body is not valid JSON.",
                            {{"body", "malformed JSON"}}};
      }
    }
    if (r.body == "*") {
      if (!parsed.is_object()) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            "The body must be a JSON object.",
                            {{"body", "not an object"}}};
      }
      root = std::move(parsed);
    } else {
      root[FieldByName(d, r.body)->json_name()] = std::move(parsed);
    }
  } else if (!body.empty()) {
    return RequestError{absl::StatusCode::kInvalidArgument,
                        "This route takes no body.",
                        {{"body", "not expected"}}};
  }
  if (!query.empty()) {
    for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
      size_t eq = pair.find('=');
      std::optional<std::string> key = PercentDecode(pair.substr(0, eq), true);
      std::optional<std::string> value =
          PercentDecode(eq == pair.npos ? absl::string_view() : pair.substr(eq + 1), true);
      if (!key || !value) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            "Bad percent-encoding.",
                            {{key.value_or("query"), "bad percent-encoding"}}};
      }
      std::vector<const FieldDescriptor*> path = FieldPath(d, *key);
      bool bound_elsewhere =
          !path.empty() && (r.body == "*" || (!r.body.empty() && path.front()->name() == r.body));
      if (path.empty() || !IsQueryable(path.back()) || bound_elsewhere) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            absl::StrCat("Unknown query parameter \"", *key, "\"."),
                            {{*key, "unknown query parameter"}}};
      }
      std::optional<nlohmann::json> v = JsonValue(path.back(), *value);
      if (!v) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            absl::StrCat("Invalid value for \"", *key, "\"."),
                            {{*key, "invalid value"}}};
      }
      nlohmann::json& slot = Slot(root, path);
      if (path.back()->is_repeated()) {
        if (!slot.is_array()) slot = nlohmann::json::array();
        slot.push_back(*std::move(v));
      } else {
        slot = *std::move(v);
      }
    }
  }
  for (const Segment& s : r.segments) {
    if (s.literal.empty()) {
      std::optional<nlohmann::json> v = JsonValue(s.field.back(), match.variables.at(s.variable));
      if (!v) {
        return RequestError{absl::StatusCode::kInvalidArgument,
                            absl::StrCat("Invalid path value for \"", s.variable, "\"."),
                            {{s.variable, "invalid value"}}};
      }
      Slot(root, s.field) = *std::move(v);
    }
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(root.dump(), out, options);
  if (!status.ok()) {
    return RequestError{absl::StatusCode::kInvalidArgument,
                        "The request does not match the message.",
                        {{"body", std::string(status.message())}}};
  }
  return std::nullopt;
}

int HttpStatusOf(int grpc_code) {
  switch (grpc_code) {
    case 0:
      return 200;  // OK
    case 1:
      return 499;  // CANCELLED
    case 2:
      return 500;  // UNKNOWN
    case 3:
      return 400;  // INVALID_ARGUMENT
    case 4:
      return 504;  // DEADLINE_EXCEEDED
    case 5:
      return 404;  // NOT_FOUND
    case 6:
      return 409;  // ALREADY_EXISTS
    case 7:
      return 403;  // PERMISSION_DENIED
    case 8:
      return 429;  // RESOURCE_EXHAUSTED
    case 9:
      return 400;  // FAILED_PRECONDITION
    case 10:
      return 409;  // ABORTED
    case 11:
      return 400;  // OUT_OF_RANGE
    case 12:
      return 501;  // UNIMPLEMENTED
    case 13:
      return 500;  // INTERNAL
    case 14:
      return 503;  // UNAVAILABLE
    case 15:
      return 500;  // DATA_LOSS
    case 16:
      return 401;  // UNAUTHENTICATED
    default:
      return 500;
  }
}

}  // namespace stellenwerk::gateway
