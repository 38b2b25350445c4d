#include "services/applications/api/application_grpc_service.h"

#include <algorithm>

#include "common/errors/errors.h"
#include "common/errors/grpc_status.h"
#include "common/logging/log.h"
#include "services/applications/domain/application_rules.h"

namespace stellenwerk::applications {
namespace {

// Client-streaming upload: the first message is metadata, then chunks. The size limit is
// enforced while reading, so an oversized upload is refused before it is all in memory.
class UploadReactor final : public grpc::ServerReadReactor<v1::UploadDocumentRequest> {
 public:
  UploadReactor(grpc::CallbackServerContext* ctx, Runtime& runtime, ApplicationService& service,
                v1::Document* response)
      : ctx_(ctx), runtime_(runtime), service_(service), response_(response) {
    auto who = runtime_.authn().Authenticate(ctx->client_metadata());
    if (!who.ok()) {
      Finish(errors::ToGrpc(who.status()));
      return;
    }
    who_ = *who;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client finished sending
      Complete();
      return;
    }
    if (first_) {
      first_ = false;
      if (request_.part_case() != v1::UploadDocumentRequest::kMetadata) {
        Finish(
            errors::ToGrpc(errors::InvalidField("metadata", "the first message must be metadata")));
        return;
      }
      metadata_ = request_.metadata();
    } else if (request_.part_case() != v1::UploadDocumentRequest::kChunk) {
      Finish(errors::ToGrpc(errors::InvalidField("chunk", "metadata may be sent only once")));
      return;
    } else {
      if (static_cast<int64_t>(content_.size() + request_.chunk().size()) > kMaxDocumentBytes) {
        Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "a document may have at most 20 MB"));
        return;
      }
      content_ += request_.chunk();
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Complete() {
    if (ctx_->IsCancelled()) {  // the client gave up: a partial document is never stored
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the upload was cancelled"));
      return;
    }
    if (first_) {
      Finish(errors::ToGrpc(errors::InvalidField("metadata", "no metadata was sent")));
      return;
    }
    const bool queued = runtime_.workers().TrySubmit([this] {
      logging::ScopedLogContext log_context("", who_.tenant);
      auto doc = service_.Upload(who_, metadata_, content_);
      if (doc.ok()) *response_ = *std::move(doc);
      Finish(errors::ToGrpc(doc.status()));
    });
    if (!queued) Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server overloaded"));
  }

  grpc::CallbackServerContext* ctx_;
  Runtime& runtime_;
  ApplicationService& service_;
  v1::Document* response_;
  auth::Principal who_;
  v1::UploadDocumentRequest request_;
  v1::DocumentMetadata metadata_;
  std::string content_;
  bool first_ = true;
};

// Server-streaming download: checked and read on the worker pool, then written as metadata and
// 64 KiB chunks, the next write started when the previous one completed (gRPC allows one write
// in flight).
class DownloadReactor final : public grpc::ServerWriteReactor<v1::DownloadDocumentResponse> {
 public:
  static constexpr size_t kChunk = 64 * 1024;

  DownloadReactor(grpc::CallbackServerContext* ctx, Runtime& runtime, ApplicationService& service,
                  const v1::DownloadDocumentRequest* request) {
    auto who = runtime.authn().Authenticate(ctx->client_metadata());
    if (!who.ok()) {
      Finish(errors::ToGrpc(who.status()));
      return;
    }
    const std::string correlation_id = rpc::CorrelationIdOf(ctx);
    const bool queued =
        runtime.workers().TrySubmit([this, &service, who = *who, correlation_id, request] {
          logging::ScopedLogContext log_context(correlation_id, who.tenant);
          auto doc = service.ReadDocument(who, correlation_id, request->application_id(),
                                          request->document_id());
          if (!doc.ok()) {
            Finish(errors::ToGrpc(doc.status()));
            return;
          }
          content_ = std::move(doc->content);
          *response_.mutable_metadata() = std::move(doc->metadata);
          StartWrite(&response_);
        });
    if (!queued) Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server overloaded"));
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    if (offset_ >= content_.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    const size_t n = std::min(kChunk, content_.size() - offset_);
    response_.set_chunk(content_.substr(offset_, n));
    offset_ += n;
    StartWrite(&response_);
  }

  void OnDone() override { delete this; }

 private:
  v1::DownloadDocumentResponse response_;
  std::string content_;
  size_t offset_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<v1::DownloadDocumentResponse>* ApplicationGrpcService::DownloadDocument(
    grpc::CallbackServerContext* ctx, const v1::DownloadDocumentRequest* request) {
  return new DownloadReactor(ctx, runtime_, service_, request);
}

grpc::ServerReadReactor<v1::UploadDocumentRequest>* ApplicationGrpcService::UploadDocument(
    grpc::CallbackServerContext* ctx, v1::Document* response) {
  return new UploadReactor(ctx, runtime_, service_, response);
}

template <typename Response, typename Fn>
grpc::ServerUnaryReactor* ApplicationGrpcService::WithPrincipal(grpc::CallbackServerContext* ctx,
                                                                Response* response, Fn fn) {
  return runtime_.Unary(ctx, [fn = std::move(fn), response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    logging::ScopedLogContext log_context("", who->tenant);
    absl::StatusOr<Response> result = fn(*who, call.correlation_id());
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::SubmitApplication(
    grpc::CallbackServerContext* ctx, const v1::SubmitApplicationRequest* request,
    v1::Application* response) {
  return WithPrincipal(ctx, response,
                       [this, request](const auth::Principal& who, const std::string& cid) {
                         return service_.Submit(who, cid, *request);
                       });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::GetApplication(
    grpc::CallbackServerContext* ctx, const v1::GetApplicationRequest* request,
    v1::Application* response) {
  return WithPrincipal(ctx, response,
                       [this, request](const auth::Principal& who, const std::string&) {
                         return service_.Get(who, request->id());
                       });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::WithdrawApplication(
    grpc::CallbackServerContext* ctx, const v1::WithdrawApplicationRequest* request,
    v1::Application* response) {
  return WithPrincipal(ctx, response,
                       [this, request](const auth::Principal& who, const std::string& cid) {
                         return service_.Withdraw(who, cid, *request);
                       });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ChangeStatus(
    grpc::CallbackServerContext* ctx, const v1::ChangeStatusRequest* request,
    v1::Application* response) {
  return WithPrincipal(ctx, response,
                       [this, request](const auth::Principal& who, const std::string& cid) {
                         return service_.ChangeStatus(who, cid, *request);
                       });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ListApplications(
    grpc::CallbackServerContext* ctx, const v1::ListApplicationsRequest* request,
    v1::ListApplicationsResponse* response) {
  return runtime_.Unary(ctx, [this, request, response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    auto page = service_.List(*who, *request);
    if (!page.ok()) return page.status();
    for (auto& a : page->applications) *response->add_applications() = std::move(a);
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::RateApplication(
    grpc::CallbackServerContext* ctx, const v1::RateApplicationRequest* request,
    v1::Rating* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.Rate(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::GetRanking(grpc::CallbackServerContext* ctx,
                                                             const v1::GetRankingRequest* request,
                                                             v1::Ranking* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.GetRanking(who, request->posting_id());
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::RecordParticipation(
    grpc::CallbackServerContext* ctx, const v1::RecordParticipationRequest* request,
    v1::ParticipationVerdict* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.RecordParticipation(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ProposeHiring(
    grpc::CallbackServerContext* ctx, const v1::ProposeHiringRequest* request,
    v1::Application* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.ProposeHiring(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::FinalizeHiring(
    grpc::CallbackServerContext* ctx, const v1::FinalizeHiringRequest* request,
    v1::Application* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.FinalizeHiring(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::RecordRepresentativeStatement(
    grpc::CallbackServerContext* ctx, const v1::RecordRepresentativeStatementRequest* request,
    v1::Application* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.RecordRepresentativeStatement(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::RevealIdentity(
    grpc::CallbackServerContext* ctx, const v1::RevealIdentityRequest* request,
    v1::Application* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.RevealIdentity(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ExportApplicantData(
    grpc::CallbackServerContext* ctx, const v1::ExportApplicantDataRequest* request,
    v1::ApplicantDataExport* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.ExportApplicantData(who, cid, request->applicant_sub());
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::EraseApplicant(
    grpc::CallbackServerContext* ctx, const v1::EraseApplicantRequest* request,
    v1::EraseApplicantResponse* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.EraseApplicant(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::SetRatingCriteria(
    grpc::CallbackServerContext* ctx, const v1::SetRatingCriteriaRequest* request,
    v1::RatingCriteria* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.SetRatingCriteria(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ListParticipation(
    grpc::CallbackServerContext* ctx, const v1::ListParticipationRequest* request,
    v1::ParticipationStatus* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.ListParticipation(who, request->posting_id());
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ListAuditEntries(
    grpc::CallbackServerContext* ctx, const v1::ListAuditEntriesRequest* request,
    v1::ListAuditEntriesResponse* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.ListAuditEntries(who, request->application_id());
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::GetPersonnelStatistics(
    grpc::CallbackServerContext* ctx, const v1::GetPersonnelStatisticsRequest* request,
    v1::PersonnelStatistics* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.GetPersonnelStatistics(who, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::SetRetentionPolicy(
    grpc::CallbackServerContext* ctx, const v1::SetRetentionPolicyRequest* request,
    v1::RetentionPolicy* response) {
  return WithPrincipal(
      ctx, response,
      [this, request](const auth::Principal& who, [[maybe_unused]] const std::string& cid) {
        return service_.SetRetentionPolicy(who, cid, *request);
      });
}

grpc::ServerUnaryReactor* ApplicationGrpcService::ConcludeProcedure(
    grpc::CallbackServerContext* ctx, const v1::ConcludeProcedureRequest* request,
    v1::ConcludeProcedureResponse* response) {
  return WithPrincipal(ctx, response,
                       [this, request](const auth::Principal& who, const std::string& cid) {
                         return service_.ConcludeProcedure(who, cid, *request);
                       });
}

}  // namespace stellenwerk::applications
