# Generates a C++ source holding every migrations/NNNN_name.sql file as bytes,
# so the binary carries its schema and an edited file shows as a new checksum.
# Run in script mode: cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P EmbedMigrations.cmake
file(GLOB sql_files "${MIGRATIONS_DIR}/*.sql")
list(SORT sql_files)
set(entries "")
foreach(file IN LISTS sql_files)
  get_filename_component(name "${file}" NAME)
  if(NOT name MATCHES "^([0-9]+)_[A-Za-z0-9_]+\\.sql$")
    message(FATAL_ERROR "migration file name must look like 0001_what.sql: ${name}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND entries "    {${version}, \"${name}\", std::string({${bytes}})},\n")
endforeach()
set(content "// Generated from migrations/ by cmake/EmbedMigrations.cmake. Do not edit.
#include \"chronohook/migrations.hpp\"

namespace chronohook {

const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> migrations = {
${entries}  };
  return migrations;
}

}  // namespace chronohook
")
# Only touch the output when it changes, so builds stay incremental.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
