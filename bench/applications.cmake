# Applications (issue 5): SubmitApplication vs a raw libpqxx insert+commit baseline, and the
# durability run across a RabbitMQ restart (scripts/lib/bench/applications.sh).
add_executable(applications_bench ${CMAKE_CURRENT_SOURCE_DIR}/applications_bench.cpp)
target_link_libraries(applications_bench PRIVATE bench_load applications_lib)
