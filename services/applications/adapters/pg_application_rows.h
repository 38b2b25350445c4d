#pragma once
// Row mapping shared by the files of PgApplicationStore (one class, a file per capability).

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/aggregate_store.h"
#include "google/protobuf/util/time_util.h"
#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications::rows {

// A document's metadata: these columns, in this order, read by DocumentOf.
inline constexpr char kDocumentColumns[] =
    "id::text, kind, file_name, detected_type, sha256, size_bytes, micros(created_at)";

inline v1::Document DocumentOf(const pqxx::row& r) {
  v1::Document d;
  d.set_id(r[0].as<std::string>());
  d.set_kind(static_cast<v1::DocumentKind>(r[1].as<int>()));
  d.set_file_name(r[2].as<std::string>());
  d.set_detected_type(r[3].as<std::string>());
  d.set_sha256(r[4].as<std::string>());
  d.set_size_bytes(r[5].as<int64_t>());
  *d.mutable_upload_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(r[6].as<int64_t>());
  return d;
}

inline v1::Application Parse(const pqxx::row& row) {  // data, version
  return pg::ParseAggregate<v1::Application>(row);
}

inline std::string UuidArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) absl::StrAppend(&out, out.size() > 1 ? "," : "", id);
  return out + "}";
}

inline google::protobuf::Timestamp TsOf(const pqxx::field& micros) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros.as<int64_t>());
}

}  // namespace stellenwerk::applications::rows
