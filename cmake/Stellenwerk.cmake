# Build helpers shared by every part of the tree.

set(STELLENWERK_PROTO_ROOT ${CMAKE_SOURCE_DIR}/proto)
set(STELLENWERK_PROTO_OUT ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${STELLENWERK_PROTO_OUT})
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# stellenwerk_proto_library(<target> PROTOS a.proto b.proto [GRPC] [DEPS targets...])
# Paths in PROTOS are relative to proto/. Generated code stays in the build tree. Makes two
# libraries: <target>_messages (the messages only, linking protobuf: what domain code may use)
# and <target> (with the gRPC stubs for GRPC packages, linking gRPC).
function(stellenwerk_proto_library NAME)
  cmake_parse_arguments(P "GRPC" "" "PROTOS;DEPS" ${ARGN})
  set(message_outs)
  set(grpc_outs)
  foreach(proto ${P_PROTOS})
    get_filename_component(dir ${proto} DIRECTORY)
    get_filename_component(stem ${proto} NAME_WE)
    set(base ${STELLENWERK_PROTO_OUT}/${dir}/${stem})
    set(file_outs ${base}.pb.cc ${base}.pb.h)
    list(APPEND message_outs ${base}.pb.cc ${base}.pb.h)
    set(args --proto_path=${STELLENWERK_PROTO_ROOT} --cpp_out=${STELLENWERK_PROTO_OUT})
    if(P_GRPC)
      list(APPEND file_outs ${base}.grpc.pb.cc ${base}.grpc.pb.h)
      list(APPEND grpc_outs ${base}.grpc.pb.cc ${base}.grpc.pb.h)
      list(APPEND args --grpc_out=${STELLENWERK_PROTO_OUT} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${file_outs}
      COMMAND protobuf::protoc ${args} ${STELLENWERK_PROTO_ROOT}/${proto}
      DEPENDS ${STELLENWERK_PROTO_ROOT}/${proto}
      COMMENT "protoc ${proto}")
  endforeach()
  set(message_deps)
  foreach(dep ${P_DEPS})
    list(APPEND message_deps ${dep}_messages)
  endforeach()
  add_library(${NAME}_messages STATIC ${message_outs})
  target_include_directories(${NAME}_messages PUBLIC ${STELLENWERK_PROTO_OUT})
  target_link_libraries(${NAME}_messages PUBLIC protobuf::libprotobuf ${message_deps})
  if(P_GRPC)
    add_library(${NAME} STATIC ${grpc_outs})
    target_link_libraries(${NAME} PUBLIC ${NAME}_messages gRPC::grpc++ ${P_DEPS})
  else()
    add_library(${NAME} INTERFACE)
    target_link_libraries(${NAME} INTERFACE ${NAME}_messages ${P_DEPS})
  endif()
endfunction()

# stellenwerk_domain_library(<target> DIR <domain dir> LIBS ...): the pure domain of a service
# (STYLE.md 1): its sources may include no pqxx, hiredis, rabbitmq-c or gRPC header and no
# common/ mechanism built on them — refused here, at configure time — and it links only
# stellenwerk_core and message-only protos, so a slip cannot link either.
function(stellenwerk_domain_library NAME)
  cmake_parse_arguments(D "" "DIR" "LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${D_DIR}/*.cc)
  file(GLOB hdrs CONFIGURE_DEPENDS ${D_DIR}/*.h)
  set(forbidden "#include [<\"](pqxx|hiredis|amqp|rabbitmq|grpc|grpcpp|prometheus)|#include \"common/(pg|amqp|outbox|idempotency|runtime|grpc|timers|metrics|concurrency|config|logging)/|#include \"common/cache/redis|#include \"common/errors/grpc_status|\\.grpc\\.pb\\.h")
  foreach(f ${srcs} ${hdrs})
    file(STRINGS ${f} bad REGEX "${forbidden}")
    if(bad)
      message(FATAL_ERROR "${f}: domain code includes infrastructure: ${bad}")
    endif()
  endforeach()
  add_library(${NAME} STATIC ${srcs})
  target_link_libraries(${NAME} PUBLIC stellenwerk_core ${D_LIBS})
endfunction()

# stellenwerk_embed_sql(<target> <component> <dir>)
# Compiles every NNNN_*.sql of <dir> into <target> as an ordered migration list, so a binary
# (and its container image) carries its own schema and needs no files at run time.
function(stellenwerk_embed_sql TARGET COMPONENT DIR)
  file(GLOB sql CONFIGURE_DEPENDS ${DIR}/*.sql)
  list(SORT sql)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${COMPONENT}_migrations.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DCOMPONENT=${COMPONENT} -DDIR=${DIR}
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedSql.cmake
    DEPENDS ${sql} ${CMAKE_SOURCE_DIR}/cmake/EmbedSql.cmake
    COMMENT "embedding ${COMPONENT} migrations")
  target_sources(${TARGET} PRIVATE ${out})
endfunction()

# stellenwerk_tests(<dir> LIBS ...): every *_test.cpp is a unit test, every *_pgtest.cpp needs
# the test infrastructure (PostgreSQL, RabbitMQ, Redis), every *_e2e_test.cpp runs services.
function(stellenwerk_tests DIR)
  cmake_parse_arguments(T "" "PREFIX" "LIBS;UNIT_LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${DIR}/*_test.cpp ${DIR}/*_pgtest.cpp)
  foreach(src ${srcs})
    get_filename_component(stem ${src} NAME_WE)
    set(name ${T_PREFIX}${stem})
    add_executable(${name} ${src})
    if(T_UNIT_LIBS AND NOT stem MATCHES "_(e2e_test|pgtest)$")
      # Unit tests of the domain link the domain alone: no database, broker or server.
      target_link_libraries(${name} PRIVATE ${T_UNIT_LIBS} GTest::gtest_main GTest::gmock)
    else()
      target_link_libraries(${name} PRIVATE ${T_LIBS} stellenwerk_testing GTest::gtest_main GTest::gmock)
    endif()
    if(stem MATCHES "_e2e_test$")
      set(label e2e)
    elseif(stem MATCHES "_pgtest$")
      set(label integration)
    else()
      set(label unit)
    endif()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS ${label} TIMEOUT 600)
  endforeach()
endfunction()
