#include "services/gateway/transcode/openapi.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace stellenwerk::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

std::string Ref(const Descriptor* d) {
  return absl::StrCat("#/components/schemas/", d->full_name());
}

class Schemas {
 public:
  // The schema of one value of field `f` (not the repetition).
  json ValueSchema(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_STRING:
        return {{"type", "string"}};
      case FieldDescriptor::TYPE_BYTES:
        return {{"type", "string"}, {"contentEncoding", "base64"}};
      case FieldDescriptor::TYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return {{"type", "integer"}, {"format", "int32"}};
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        // The JSON mapping writes 64-bit integers as decimal strings (and reads either).
        return {{"type", json::array({"string", "integer"})}, {"format", "int64"}};
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FLOAT:
        return {{"type", "number"}};
      case FieldDescriptor::TYPE_ENUM: {
        json values = json::array();
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          values.push_back(f->enum_type()->value(i)->name());
        }
        return {{"type", "string"}, {"enum", values}};
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageRef(f->message_type());
    }
    return json::object();
  }

  json FieldSchema(const FieldDescriptor* f) {
    if (f->is_map()) {
      return {{"type", "object"},
              {"additionalProperties", ValueSchema(f->message_type()->map_value())}};
    }
    if (f->is_repeated()) return {{"type", "array"}, {"items", ValueSchema(f)}};
    return ValueSchema(f);
  }

  json MessageRef(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") return {{"type", "string"}, {"format", "date-time"}};
    if (n == "google.protobuf.Duration") return {{"type", "string"}, {"pattern", "^-?[0-9.]+s$"}};
    if (n == "google.protobuf.FieldMask") return {{"type", "string"}};
    Add(d);
    return {{"$ref", Ref(d)}};
  }

  void Add(const Descriptor* d) {
    if (!seen_.insert(d->full_name()).second) return;
    json props = json::object();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      props[f->json_name()] = FieldSchema(f);
    }
    // Filled after the recursion (a message may refer to itself).
    schemas_[d->full_name()] = {
        {"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  }

  json& all() { return schemas_; }

 private:
  std::set<std::string> seen_;
  json schemas_ = json::object();
};

json Problem() {
  return {{"type", "object"},
          {"required", json::array({"type", "title", "status"})},
          {"properties",
           {{"type", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"status", {{"type", "integer"}}},
            {"detail", {{"type", "string"}}},
            {"instance", {{"type", "string"}}},
            {"code", {{"type", "string"}}},
            {"correlation_id", {{"type", "string"}}},
            {"violations",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"field", {{"type", "string"}}}, {"description", {{"type", "string"}}}}}}}}}}}};
}

json ProblemResponse(const std::string& description) {
  return {
      {"description", description},
      {"content",
       {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

}  // namespace

std::string OpenApiDocument(const Router& router, const std::string& title) {
  Schemas schemas;
  json paths = json::object();
  std::map<std::string, int> operation_ids;
  for (const Route& r : router.routes()) {
    const Descriptor* in = r.method->input_type();
    const Descriptor* out = r.method->output_type();
    json op;
    std::string id = r.method->name();
    if (int n = operation_ids[id]++; n > 0) id = absl::StrCat(id, "_", n + 1);
    op["operationId"] = id;
    op["tags"] = json::array({r.method->service()->name()});
    op["summary"] = r.method->full_name();
    json params = json::array();
    for (const Segment& s : r.segments) {
      if (!s.literal.empty()) continue;
      params.push_back({{"name", s.variable},
                        {"in", "path"},
                        {"required", true},
                        {"schema", schemas.ValueSchema(s.field.back())}});
    }
    for (const auto& [name, f] : r.QueryFields()) {
      json p = {{"name", name}, {"in", "query"}, {"schema", schemas.FieldSchema(f)}};
      if (f->is_repeated()) {
        p["style"] = "form";
        p["explode"] = true;
      }
      params.push_back(p);
    }
    if (r.method->input_type()->FindFieldByName("etag") != nullptr) {
      params.push_back({{"name", "If-Match"},
                        {"in", "header"},
                        {"description", "the etag the change is based on; stale: 412"},
                        {"schema", {{"type", "string"}}}});
    }
    if (r.http_method == "GET") {
      params.push_back(
          {{"name", "If-None-Match"}, {"in", "header"}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.body.empty()) {
      json schema =
          r.body == "*" ? schemas.MessageRef(in) : schemas.FieldSchema(in->FindFieldByName(r.body));
      json content = {{"application/json", {{"schema", schema}}}};
      if (r.grpc_path == "/stellenwerk.applications.v1.ApplicationService/SubmitApplication") {
        // Streamed into UploadDocument part by part, then submitted (README "Gateway").
        content["multipart/form-data"] = {
            {"schema",
             {{"type", "object"},
              {"required", json::array({"application"})},
              {"properties",
               {{"application", schemas.MessageRef(in)},
                {"cv", {{"type", "string"}, {"contentMediaType", "application/pdf"}}},
                {"cover_letter", {{"type", "string"}}},
                {"certificate", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"document", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}}};
      }
      op["requestBody"] = {{"required", true}, {"content", content}};
    }
    json ok_schema = schemas.MessageRef(out);
    std::string media = "application/json";
    if (!r.response_body.empty()) {
      const FieldDescriptor* f = out->FindFieldByName(r.response_body);
      ok_schema = schemas.FieldSchema(f);
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        media = absl::EndsWith(r.path_template, ".jsonld") ? "application/ld+json"
                : absl::EndsWith(r.path_template, ".ics")  ? "text/calendar"
                                                           : "text/plain";
        ok_schema = {{"type", "object"}};
        if (media != "application/ld+json") ok_schema = {{"type", "string"}};
      }
    }
    json responses = {
        {"200", {{"description", "OK"}, {"content", {{media, {{"schema", ok_schema}}}}}}},
        {"default", ProblemResponse("an error (RFC 9457)")}};
    if (r.download) {
      // The bytes themselves, streamed (chunked); their type is the upstream's metadata's.
      responses["200"] = {
          {"description", "the content, streamed; Content-Type as detected by the service"},
          {"headers",
           {{"Content-Disposition",
             {{"description", "attachment with the file name (RFC 6266)"},
              {"schema", {{"type", "string"}}}}}}},
          {"content", {{"*/*", json::object()}}}};  // no schema: binary (OpenAPI 3.1 §4.8.14)
    }
    if (r.http_method == "GET") responses["304"] = {{"description", "Not modified"}};
    op["responses"] = responses;
    if (r.is_public) {
      op["security"] = json::array({json::object(), {{"bearer", json::array()}}});
    } else {
      op["security"] = json::array({{{"bearer", json::array()}}});
    }
    std::string lower = r.http_method;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    paths[r.path_template][lower] = op;
  }
  json plain = {{"200", {{"description", "OK"}}}};
  paths["/healthz"]["get"] = {
      {"operationId", "Health"},
      {"responses",
       {{"200", {{"description", "every upstream SERVING"}}},
        {"503", {{"description", "an upstream is down (named in the body)"}}}}}};
  paths["/metrics"]["get"] = {{"operationId", "Metrics"}, {"responses", plain}};
  paths["/livez"]["get"] = {
      {"operationId", "Live"},
      {"description", "the process and its HTTP loop answer (no upstream asked)"},
      {"responses", plain}};
  paths["/readyz"]["get"] = {
      {"operationId", "Ready"},
      {"description", "accepting traffic (no upstream asked); 503 while draining after SIGTERM"},
      {"responses", {{"200", {{"description", "ready"}}}, {"503", {{"description", "draining"}}}}}};
  paths["/openapi.json"]["get"] = {{"operationId", "OpenApi"}, {"responses", plain}};

  json components = {
      {"schemas", schemas.all()},
      {"securitySchemes",
       {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}};
  components["schemas"]["Problem"] = Problem();
  json doc = {{"openapi", "3.1.0"},
              {"info",
               {{"title", absl::StrCat("Stellenwerk ", title)},
                {"version", "v1"},
                {"description",
                 "REST/JSON transcoded from the google.api.http options of the Stellenwerk "
                 "gRPC services (protobuf JSON mapping)."}}},
              {"paths", paths},
              {"components", components}};
  return doc.dump(1);
}

}  // namespace stellenwerk::gateway
