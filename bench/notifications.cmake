# Notifications (issue 13): event-to-SMTP latency at 100 events/s, burst rate vs bare libcurl.
add_executable(notifications_bench notifications_bench.cpp)
target_link_libraries(notifications_bench PRIVATE bench_load notifications_lib)
