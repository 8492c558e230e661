// The "readable by other users; chmod 600 it" warning fires only when this
// process could act on it: not for a read-only mount (a container's
// /run/secrets), and for a file another user owns it names that owner.
// Ownership by another uid needs root (chown); the read-only mount needs a
// private mount namespace (unshare -m). Without them those tests skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/daemon.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kNobody = 65534;

// A secret file in a directory of its own, and a config naming it by its
// absolute path.
struct SecretSetup {
  TempDir secrets;
  TempDir dir;
  std::filesystem::path secret;
  std::filesystem::path config;

  explicit SecretSetup(mode_t mode) {
    secret = secrets.write_file("main.secret", std::string(kMainSecret) + "\n");
    ::chmod(secret.c_str(), mode);
    ::chmod(secrets.path().c_str(), 0755);
    write_self_signed_cert(dir.path());
    ConfigOptions options;
    options.webhooks[0].secret_toml = "secret_file = \"" + secret.string() + "\"";
    config = dir.write_file("chronohook.toml", make_config(options));
  }
};

TEST(SecretFileWarning, AFileThisProcessOwnsIsToldToChmod600) {
  SecretSetup s(0644);
  const CommandResult r = run_chronohook({"check-config", "--config", s.config.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("the secret file is readable by other users (mode 0644); chmod 600 it"));
}

TEST(SecretFileWarning, AFileAnotherUserOwnsNamesThatOwnerInsteadOfSayingChmod) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another uid";
  SecretSetup s(0644);
  ASSERT_EQ(::chown(s.secret.c_str(), kNobody, kNobody), 0);
  const CommandResult r = run_chronohook({"check-config", "--config", s.config.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("the secret file is readable by every user (mode 0644) and belongs to uid 65534, not to "
                               "this process (uid 0), which cannot change that"));
  EXPECT_THAT(r.out, Not(HasSubstr("chmod 600 it")));
  EXPECT_THAT(r.out, Not(HasSubstr(s.secret.string())));

  // Shared with a group only, as root:chronohook 0640 is: nothing to say.
  ::chmod(s.secret.c_str(), 0640);
  const CommandResult quiet = run_chronohook({"check-config", "--config", s.config.string()});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_THAT(quiet.out, Not(HasSubstr("warning")));
}

TEST(SecretFileWarning, IsNotGivenForAReadOnlyMountLikeAContainersSecrets) {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/unshare")) {
    GTEST_SKIP() << "needs root and unshare for a private read-only bind mount";
  }
  SecretSetup s(0444);  // what podman and Docker give a secret by default
  ASSERT_EQ(::chown(s.secret.c_str(), kNobody, kNobody), 0);
  // In a private mount namespace: bind the secrets directory onto itself
  // read-only, then run check-config there. Nothing leaks to the host's mounts.
  const std::string script =
      "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" || { echo 'bb-mount-failed' >&2; exit 97; }; "
      "touch \"$1/probe\" 2>/dev/null && { echo 'bb-mount-failed: still writable' >&2; exit 97; }; "
      "exec \"$2\" check-config --config \"$3\"";
  const CommandResult r = run_command({"/usr/bin/unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                                       s.secrets.path().string(), chronohook_binary().string(), s.config.string()},
                                      {}, std::chrono::seconds(20));
  ASSERT_FALSE(r.timed_out);
  if (r.exit_code == 97 || r.err.find("unshare:") != std::string::npos) {
    GTEST_SKIP() << "no private read-only mount here: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(": OK"));
  EXPECT_THAT(r.out, Not(HasSubstr("warning")));

  // The same file outside the read-only mount does draw the warning.
  const CommandResult writable = run_chronohook({"check-config", "--config", s.config.string()});
  EXPECT_THAT(writable.out, HasSubstr("the secret file is readable by every user (mode 0444)"));
}

}  // namespace
}  // namespace chronohook::testing
