#pragma once
// schema.org JobPosting as JSON-LD, the way Google for Jobs reads it: required title,
// description (HTML), datePosted, hiringOrganization, jobLocation, validThrough; recommended
// identifier (the Kennziffer), employmentType, baseSalary (MonetaryAmount, EUR per MONTH),
// directApply.

#include <string>

#include "absl/status/statusor.h"
#include "stellenwerk/postings/v1/postings.pb.h"

namespace stellenwerk::postings {

// FAILED_PRECONDITION unless the posting is PUBLISHED (search engines must not list closed
// or withdrawn vacancies).
absl::StatusOr<std::string> JobPostingJsonLd(const v1::Posting& posting);

}  // namespace stellenwerk::postings
