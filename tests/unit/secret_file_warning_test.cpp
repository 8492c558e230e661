// When a secret file's permissions deserve a warning: only when someone
// other than its owner can read it and this process can do something about
// it, or can name who can.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>
#include <string>

#include "config/secret_file.hpp"

namespace chronohook::config_detail {
namespace {

constexpr std::string_view kWhere = "[[webhook]] \"main\" secret_file (line 7)";
constexpr uid_t kSelf = 10001;

std::optional<std::string> warning(mode_t mode, uid_t owner, bool read_only) {
  return secret_file_warning(kWhere, SecretFileFacts{S_IFREG | mode, owner, read_only}, kSelf);
}

TEST(SecretFileWarning, IsNotGivenWhenOnlyTheOwnerCanRead) {
  EXPECT_FALSE(warning(0600, kSelf, false));
  EXPECT_FALSE(warning(0400, kSelf, false));
  EXPECT_FALSE(warning(0400, 0, false));
  EXPECT_FALSE(warning(0600, 0, true));
}

TEST(SecretFileWarning, TellsAnOwningProcessToChmodIt) {
  EXPECT_EQ(warning(0644, kSelf, false).value_or(""),
            std::string(kWhere) + ": the secret file is readable by other users (mode 0644); chmod 600 it");
  EXPECT_EQ(warning(0640, kSelf, false).value_or(""),
            std::string(kWhere) + ": the secret file is readable by other users (mode 0640); chmod 600 it");
}

TEST(SecretFileWarning, IsNotGivenOnAReadOnlyFileSystemWhoeverOwnsTheFile) {
  // A container's /run/secrets: the mode was chosen where it was mounted.
  EXPECT_FALSE(warning(0444, 0, true));
  EXPECT_FALSE(warning(0644, kSelf, true));
  EXPECT_FALSE(warning(0640, 0, true));
}

TEST(SecretFileWarning, NamesTheOwnerWhenAnotherUserOwnsAWorldReadableFile) {
  const std::string text = warning(0644, 65534, false).value_or("");
  EXPECT_EQ(text, std::string(kWhere) +
                      ": the secret file is readable by every user (mode 0644) and belongs to uid 65534, not to this "
                      "process (uid 10001), which cannot change that: have its owner restrict it, e.g. chown 10001 and "
                      "chmod 400 it (a podman or Docker secret: mount it with uid=10001,mode=0400)");
  EXPECT_EQ(text.find("chmod 600 it"), std::string::npos);
}

TEST(SecretFileWarning, IsNotGivenWhenAnotherOwnerSharesItThroughTheGroupOnly) {
  // root:chronohook 0640 is how a root-owned file is shared with one service.
  EXPECT_FALSE(warning(0640, 0, false));
}

}  // namespace
}  // namespace chronohook::config_detail
