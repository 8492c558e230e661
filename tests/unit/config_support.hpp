// Helpers shared by the configuration unit tests: synthetic secrets, a
// webhook table, loading from text, and leak checks on messages.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "chronohook/config.hpp"

namespace chronohook::config_test {

namespace fs = std::filesystem;

// Synthetic secrets, made of character runs unlikely to turn up in any
// message by chance, so finding a piece of one in a message means a leak.
inline constexpr std::string_view kSecret = "Zq7Xw9Kp3Vt6Yr2Mb8Nc4Ld1";
inline constexpr std::string_view kOtherSecret = "Hj5Gf8Ds2Aq4We6Rt9Yu3Io7";
inline constexpr std::string_view kShortSecret = "Qx4Vb7Nm2Kl";  // 11 bytes

inline const fs::path kConfigFile = "/etc/chronohook/chronohook.toml";

inline std::string hook(std::string_view name = "main", std::string_view path = "/webhook",
                        std::string_view secret_line = "") {
  std::string out = "[[webhook]]\nname = \"" + std::string(name) + "\"\npath = \"" + std::string(path) + "\"\n";
  out += secret_line.empty() ? "secret = \"" + std::string(kSecret) + "\"\n" : std::string(secret_line) + "\n";
  return out;
}

inline ConfigEnvironment env_of(std::initializer_list<std::pair<const std::string, std::string>> variables) {
  ConfigEnvironment env;
  env.variables = variables;
  return env;
}

inline Result<Config> load(const std::string& toml, const ConfigEnvironment& env = {}) {
  return load_config_text(toml, kConfigFile, env);
}

inline bool leaks(std::string_view message, std::string_view secret) {
  // Any five consecutive bytes of the secret count as a leak.
  for (std::size_t i = 0; i + 5 <= secret.size(); ++i) {
    if (message.find(secret.substr(i, 5)) != std::string_view::npos) return true;
  }
  return false;
}

// The error of a load that must fail; every error starts with "config: ".
inline std::string error_of(const Result<Config>& result) {
  if (result.ok()) return "<loaded without error>";
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("config: ", 0), 0u) << message;
  EXPECT_FALSE(leaks(message, kSecret)) << message;
  EXPECT_FALSE(leaks(message, kOtherSecret)) << message;
  EXPECT_FALSE(leaks(message, kShortSecret)) << message;
  return message;
}

inline testing::AssertionResult Has(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << message << "\"\n  does not contain \"" << part << "\"";
}

// A directory of its own under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("chronohook_config_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++) + "_" + (test ? test->name() : "x"));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  const fs::path& path() const { return path_; }

  fs::path write(const fs::path& name, std::string_view content, mode_t mode = 0600) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  fs::path path_;
};

}  // namespace chronohook::config_test
