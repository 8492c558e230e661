// [storage] file_mode: the owner only by default, group-readable for a
// consumer account on request, and nothing looser, ever: the database holds
// patient data.
#include <gtest/gtest.h>

#include <string>

#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

TEST(ConfigFileMode, DefaultsToOwnerOnly) {
  auto c = load(hook());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->storage.file_mode, 0600u);
}

TEST(ConfigFileMode, AcceptsGroupReadForAConsumerAccount) {
  for (const char* text : {"0640", "640"}) {
    auto c = load("[storage]\nfile_mode = \"" + std::string(text) + "\"\n" + hook());
    ASSERT_TRUE(c.ok()) << text << ": " << c.error().message;
    EXPECT_EQ(c->storage.file_mode, 0640u) << text;
  }
  auto owner = load("[storage]\nfile_mode = \"0600\"\n" + hook());
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->storage.file_mode, 0600u);
}

TEST(ConfigFileMode, TheEnvironmentCanSetIt) {
  auto c = load("[storage]\nfile_mode = \"0600\"\n" + hook(), env_of({{"CHRONOHOOK_STORAGE_FILE_MODE", "0640"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->storage.file_mode, 0640u);
  EXPECT_EQ(c->env_settings.count("storage.file_mode"), 1u);
}

TEST(ConfigFileMode, RefusesWorldAccessGroupWriteAndAnythingElseSayingWhatIsAllowed) {
  for (const char* text : {"0644", "0604", "0666", "0660", "0620", "0700", "0400", "0440", "0", "rw-r-----", ""}) {
    const std::string message = error_of(load("[storage]\nfile_mode = \"" + std::string(text) + "\"\n" + hook()));
    EXPECT_TRUE(Has(message, "[storage] file_mode (line 2)")) << text << ": " << message;
    EXPECT_TRUE(Has(message, "use \"0600\"")) << message;
    EXPECT_TRUE(Has(message, "\"0640\"")) << message;
    EXPECT_TRUE(Has(message, "never readable by others")) << message;
  }
  const std::string from_env = error_of(load(hook(), env_of({{"CHRONOHOOK_STORAGE_FILE_MODE", "0644"}})));
  EXPECT_TRUE(Has(from_env, "CHRONOHOOK_STORAGE_FILE_MODE")) << from_env;
}

TEST(ConfigFileMode, AnOctalNumberIsRefusedAsNotAString) {
  // TOML's 0o640 is an integer; the key takes the string chmod would take.
  const std::string message = error_of(load("[storage]\nfile_mode = 0o640\n" + hook()));
  EXPECT_TRUE(Has(message, "file_mode")) << message;
  EXPECT_TRUE(Has(message, "string")) << message;
}

}  // namespace
}  // namespace chronohook::config_test
