# Gateway (issue 15): GET /v1/postings/{id} via the gateway vs gRPC direct and vs a bare Beast
# server answering the same bytes; the rate limit's cost; the gateway's RSS.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS headers)
add_executable(gateway_bench gateway_bench.cpp)
target_link_libraries(gateway_bench PRIVATE bench_load stellenwerk_proto_postings Boost::headers)
