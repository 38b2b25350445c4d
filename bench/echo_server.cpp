// bench_echo_server PORT — the baseline: a bare gRPC callback server, no auth, no worker pool.
// It answers on gRPC's thread with the request's payload, or with response_payload_bytes
// bytes when the request asks for them (the client sizes them to the compared response).
#include <cstdlib>
#include <iostream>

#include "grpcpp/grpcpp.h"
#include "stellenwerk/bench/v1/echo.grpc.pb.h"

namespace {

class EchoService final : public stellenwerk::bench::v1::Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const stellenwerk::bench::v1::EchoMessage* request,
                                 stellenwerk::bench::v1::EchoMessage* response) override {
    if (request->response_payload_bytes() > 0) {
      // A copy per call, as the service copies its cached posting into the response.
      response->set_payload(std::string(request->response_payload_bytes(), 'x'));
    } else {
      response->set_payload(request->payload());
    }
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "0";
  EchoService service;
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort("127.0.0.1:" + port, grpc::InsecureServerCredentials(), &selected);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  std::cout << selected << std::endl;
  server->Wait();
}
