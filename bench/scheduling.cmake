# Scheduling (issue 14): BookSlot under contention, and uncontended against the same SQL.
add_executable(scheduling_bench scheduling_bench.cpp)
target_link_libraries(scheduling_bench PRIVATE bench_load scheduling_lib)
