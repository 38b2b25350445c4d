#pragma once
// Wiring of the postings service, shared by main.cpp and in-process tests.

#include <memory>

#include "common/runtime/runtime.h"
#include "services/postings/adapters/pg_posting_store.h"
#include "services/postings/adapters/search_replica.h"
#include "services/postings/api/posting_grpc_service.h"
#include "services/postings/domain/posting_service.h"

namespace stellenwerk::postings {

inline constexpr char kServiceName[] = "postings";
inline constexpr int kDefaultGrpcPort = 50051;
inline constexpr int kDefaultMetricsPort = 9101;

class PostingsApp {
 public:
  explicit PostingsApp(config::RuntimeConfig config);
  // Migrates and wires everything; then runtime().Start() or Run().
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  PostingService& service() { return *service_; }
  PgPostingStore& store() { return *store_; }
  SearchReplica* search_replica() { return search_.get(); }  // null when turned off

 private:
  Runtime runtime_;
  std::unique_ptr<PgPostingStore> store_;
  std::unique_ptr<SearchReplica> search_;  // before service_, which points to it
  std::unique_ptr<PostingService> service_;
  std::unique_ptr<PostingGrpcService> grpc_;
};

}  // namespace stellenwerk::postings
