// [storage] file_mode = "0640" lets a consumer account in the file's group
// read the database: the daemon sets the database and its -wal/-shm to that
// mode, says so when it changes an existing file, and points out a
// directory the group cannot enter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;

unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 01000;  // missing: matches no mode
  return st.st_mode & 0777;
}

TEST(FileMode, GroupReadableModeAppliesToTheDatabaseAndItsWalAndTheChangeIsLogged) {
  ConfigOptions options;
  options.extra_storage_toml = "file_mode = \"0640\"\n";
  Launch launch;
  launch.files = {{"events.db", ""}};  // an existing database file, 0600 like any before this key
  Daemon daemon(make_config(options), launch);
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);

  EXPECT_EQ(mode_of(daemon.db_path()), 0640u) << std::oct << mode_of(daemon.db_path());
  const std::filesystem::path wal = daemon.db_path().string() + "-wal";
  EXPECT_EQ(mode_of(wal), 0640u) << std::oct << mode_of(wal);
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("store: mode of " + daemon.db_path().string() + " changed from 0600 to 0640"));
  // The test directory is 0700: the group could not get in, and is told so.
  EXPECT_THAT(log, HasSubstr("its group cannot reach the database; make it 0750"));

  ASSERT_EQ(daemon.stop(), 0);
  // Still there for a reader that cannot create them.
  EXPECT_EQ(mode_of(wal), 0640u);
  EXPECT_EQ(mode_of(daemon.db_path().string() + "-shm"), 0640u);
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

TEST(FileMode, AWorldReadableModeIsRefusedAtStart) {
  TempDir dir;
  const auto config = dir.write_file("chronohook.toml", make_config([] {
                                       ConfigOptions o;
                                       o.extra_storage_toml = "file_mode = \"0644\"\n";
                                       return o;
                                     }()));
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("file_mode"));
  EXPECT_THAT(r.err, HasSubstr("never readable by others"));
}

}  // namespace
}  // namespace chronohook::testing
