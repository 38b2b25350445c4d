#pragma once
// PostingDirectory over the postings service's public GetPosting (no token: exactly what the
// public may see, which is what an applicant may apply to).

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/applications/domain/posting_directory.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::applications {

class GrpcPostingDirectory final : public PostingDirectory {
 public:
  // `target`: host:port of the postings service.
  explicit GrpcPostingDirectory(const std::string& target,
                                absl::Duration timeout = absl::Seconds(3));
  absl::StatusOr<std::optional<FetchedPosting>> Fetch(const std::string& posting_id) override;

  // The snapshot applications keeps of a posting, from the postings API (the same fields the
  // postings events carry).
  static FetchedPosting FromPosting(const postings::v1::Posting& p);

 private:
  std::unique_ptr<postings::v1::PostingService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace stellenwerk::applications
