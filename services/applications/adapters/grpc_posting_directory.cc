#include "services/applications/adapters/grpc_posting_directory.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"

namespace stellenwerk::applications {

GrpcPostingDirectory::GrpcPostingDirectory(const std::string& target, absl::Duration timeout)
    : stub_(postings::v1::PostingService::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      timeout_(timeout) {}

FetchedPosting GrpcPostingDirectory::FromPosting(const postings::v1::Posting& p) {
  FetchedPosting out;
  PostingSnapshot& s = out.snapshot;
  s.posting_id = p.id();
  s.tenant_id = p.tenant_id();
  s.kennziffer = p.kennziffer();
  s.title = p.title();
  s.status = postings::v1::PostingStatus_Name(p.status());
  if (p.has_deadline_time()) {
    s.deadline = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(p.deadline_time()));
  }
  s.anonymised = p.anonymised();
  s.coordination_required = p.coordination_required();
  s.women_preferred = p.women_preferred_if_underrepresented();
  s.role_category = p.role_category();
  s.regional_office = p.regional_office();
  s.district_tenant_id = p.coordination_district_tenant_id();
  (void)absl::SimpleAtoi(p.etag(), &out.version);
  return out;
}

absl::StatusOr<std::optional<FetchedPosting>> GrpcPostingDirectory::Fetch(
    const std::string& posting_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  postings::v1::GetPostingRequest request;
  request.set_id(posting_id);
  postings::v1::Posting posting;
  const grpc::Status s = stub_->GetPosting(&ctx, request, &posting);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
      s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return std::optional<FetchedPosting>();
  }
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the postings service could not be asked about this posting (",
                     s.error_message(), "); retry with backoff"));
  }
  return std::optional<FetchedPosting>(FromPosting(posting));
}

}  // namespace stellenwerk::applications
