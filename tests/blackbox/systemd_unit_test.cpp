// systemd/chronohook.service and config/chronohook.toml work together: with
// the unit's credentials laid out as systemd lays them out and its
// Environment= lines set, the unit's own ExecStartPre line passes, reads the
// config from the credentials (whatever its mode on the host), and shows
// every value the Environment= lines override.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/daemon.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::filesystem::path kSource = CHRONOHOOK_SOURCE_DIR;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The values of every `Key=` line of the unit, in order.
std::vector<std::string> unit_values(std::string_view key) {
  std::vector<std::string> values;
  std::istringstream in(read_text(kSource / "systemd" / "chronohook.service"));
  const std::string prefix = std::string(key) + "=";
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) values.push_back(line.substr(prefix.size()));
  }
  return values;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(SystemdUnit, ItsExecStartPreShowsTheValuesItsEnvironmentLinesOverride) {
  TempDir credentials;  // what systemd makes of the LoadCredential= lines
  const CertFiles cert = write_self_signed_cert(credentials.path());
  for (const std::string& line : unit_values("LoadCredential")) {
    const std::string id = line.substr(0, line.find(':'));
    const std::string from = line.substr(line.find(':') + 1);
    EXPECT_TRUE(from.starts_with("/etc/chronohook/")) << line;
    if (id == "chronohook.toml") {
      credentials.write_file(id, read_text(kSource / "config" / "chronohook.toml"));
    } else if (id == "secret") {
      credentials.write_file(id, std::string(kMainSecret) + "\n");
    } else if (id == "fullchain.pem") {
      std::filesystem::copy_file(cert.cert, credentials.path() / id);
    } else if (id == "privkey.pem") {
      std::filesystem::copy_file(cert.key, credentials.path() / id);
    } else {
      ADD_FAILURE() << "a credential this test does not know: " << line;
    }
  }
  std::map<std::string, std::string> env{{"CREDENTIALS_DIRECTORY", credentials.path().string()}};
  for (const std::string& line : unit_values("Environment")) {
    const std::string assignment = replace_all(line, "%d", credentials.path().string());
    env[assignment.substr(0, assignment.find('='))] = assignment.substr(assignment.find('=') + 1);
  }
  ASSERT_FALSE(env.size() == 1) << "the unit sets no Environment=";

  const std::vector<std::string> pre = unit_values("ExecStartPre");
  ASSERT_EQ(pre.size(), 1u);
  std::vector<std::string> argv;
  std::istringstream words(replace_all(pre[0], "%d", credentials.path().string()));
  for (std::string word; words >> word;) argv.push_back(word);
  ASSERT_EQ(argv.at(0), "/usr/local/bin/chronohook");
  argv[0] = chronohook_binary().string();

  const CommandResult r = run_command(argv, env, std::chrono::seconds(20));
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr((credentials.path() / "chronohook.toml").string() + ": OK"));
  for (const auto& [variable, value] : env) {
    if (variable == "CREDENTIALS_DIRECTORY") continue;
    EXPECT_THAT(r.out, HasSubstr(" " + value + " (from " + variable + ", overrides the file's \"")) << variable;
  }
  EXPECT_THAT(r.out, HasSubstr("found in $CREDENTIALS_DIRECTORY"));
  EXPECT_THAT(r.out, Not(HasSubstr("warning")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kMainSecret))));
}

}  // namespace
}  // namespace chronohook::testing
