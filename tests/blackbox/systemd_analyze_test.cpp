// systemd's own checks of the shipped units, with the real systemd-analyze
// (Debian package systemd), which needs no running systemd:
// - `security --offline=true`: the service's exposure stays at 1.2 or lower;
// - `verify`: the service and both sockets load without a complaint. verify
//   insists that ExecStart='s binary exists, so it reads copies of the units
//   whose /usr/local/bin/chronohook is this build's binary; nothing else in
//   them changes.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/daemon.hpp"

namespace chronohook::testing {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kUnits = std::filesystem::path(CHRONOHOOK_SOURCE_DIR) / "systemd";
const char* const kUnitFiles[] = {"chronohook.service", "chronohook.socket", "chronohook-admin.socket"};

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path systemd_analyze() {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / "systemd-analyze";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

#define REQUIRE_SYSTEMD_ANALYZE(tool)                                                                         \
  const std::filesystem::path tool = systemd_analyze();                                                       \
  if ((tool).empty()) {                                                                                       \
    GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd; scripts/install-deps.sh test " \
                    "installs it)";                                                                           \
  }

TEST(SystemdAnalyze, RatesTheServiceExposureAtOnePointTwoOrLower) {
  REQUIRE_SYSTEMD_ANALYZE(tool);
  // --threshold is on systemd's 0..100 scale: 12 is an exposure of 1.2.
  const CommandResult r = run_command({tool.string(), "security", "--offline=true", "--no-pager", "--threshold=12",
                                       (kUnits / "chronohook.service").string()},
                                      {}, 60s);
  ASSERT_FALSE(r.timed_out);
  const std::string marker = "Overall exposure level for chronohook.service: ";
  const std::size_t at = r.out.find(marker);
  ASSERT_NE(at, std::string::npos) << r.out << r.err;
  const double exposure = std::stod(r.out.substr(at + marker.size()));
  EXPECT_LE(exposure, 1.2) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(SystemdAnalyze, VerifiesTheServiceAndBothSocketsWithoutAComplaint) {
  REQUIRE_SYSTEMD_ANALYZE(tool);
  TempDir dir;
  std::vector<std::string> argv{tool.string(), "verify", "--man=no"};
  for (const char* name : kUnitFiles) {
    std::string text = read_text(kUnits / name);
    ASSERT_FALSE(text.empty()) << name;
    const std::string installed = "/usr/local/bin/chronohook";
    for (std::size_t p = text.find(installed); p != std::string::npos; p = text.find(installed, p)) {
      text.replace(p, installed.size(), chronohook_binary().string());
      p += chronohook_binary().string().size();
    }
    argv.push_back(dir.write_file(name, text, 0644).string());
  }
  const CommandResult r = run_command(argv, {}, 60s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

}  // namespace
}  // namespace chronohook::testing
