#pragma once
// The fallback way to learn of a posting (docs/decisions/0015-posting-fallback.md): what
// applications knows of postings normally arrives by event (posting_snapshots); when a
// submission names a posting whose snapshot has not arrived — an event still in flight, or a
// service deployed after the posting was published — the postings service is asked.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/applications/domain/application_store.h"

namespace stellenwerk::applications {

struct FetchedPosting {
  PostingSnapshot snapshot;
  int64_t version = 0;  // the posting's etag, ordered with the events' versions
};

class PostingDirectory {
 public:
  virtual ~PostingDirectory() = default;
  // The posting as the public sees it now; nullopt when there is none (or it is not public);
  // UNAVAILABLE when the postings service cannot be asked.
  virtual absl::StatusOr<std::optional<FetchedPosting>> Fetch(const std::string& posting_id) = 0;
};

}  // namespace stellenwerk::applications
