# Coordination (issue 6): 100,000 objection windows falling due within a minute, two replicas.
add_executable(coordination_bench coordination_bench.cpp)
target_link_libraries(coordination_bench PRIVATE bench_load coordination_lib)
