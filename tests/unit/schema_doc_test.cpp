// The example queries in docs/schema.md are what consumers copy: each one
// must run against the schema the migrations build.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chronohook/migrations.hpp"
#include "unit/temp_dir.hpp"

namespace chronohook {
namespace {

std::vector<std::string> sql_examples() {
  std::ifstream in(std::filesystem::path(CHRONOHOOK_SOURCE_DIR) / "docs" / "schema.md");
  std::vector<std::string> statements;
  std::string line;
  std::string current;
  bool in_sql = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      in_sql = !in_sql && line == "```sql";
      continue;
    }
    if (!in_sql || line.rfind("--", 0) == 0) continue;
    current += line + "\n";
    if (!line.empty() && line.back() == ';') {
      statements.push_back(current);
      current.clear();
    }
  }
  return statements;
}

TEST(SchemaDoc, EveryExampleQueryRunsOnTheMigratedSchema) {
  unit::TempDir dir;
  auto db = sqlite::Database::open(dir / "events.db", sqlite::Database::Mode::kReadWriteCreate);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(migrate(*db, embedded_migrations()).ok());
  ASSERT_TRUE(db->exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                       "payload_sha256, patient_id) VALUES ('main', 'd1', 'PING', 't', '{}', 't', zeroblob(32), "
                       "'4242')")
                  .ok());
  const auto examples = sql_examples();
  ASSERT_GE(examples.size(), 4u) << "no ```sql block found in docs/schema.md";
  for (const std::string& sql : examples) {
    auto stmt = db->prepare(sql);
    ASSERT_TRUE(stmt.ok()) << sql << stmt.error().message;
    EXPECT_TRUE(stmt->step().ok()) << sql;
  }
}

}  // namespace
}  // namespace chronohook
