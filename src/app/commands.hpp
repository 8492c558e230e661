// The subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 usage or configuration error.
#pragma once

#include <chrono>
#include <filesystem>

namespace chronohook::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitConfig = 2;

int serve(const std::filesystem::path& config_file);
int check_config(const std::filesystem::path& config_file);
int migrate(const std::filesystem::path& config_file);
// The retention pass once (prune_command.cpp); --dry-run only reports.
int prune(const std::filesystem::path& config_file, bool dry_run);
// GET /readyz on the [admin] listener (healthcheck.cpp): 0 when it answers
// 200, 1 otherwise (what a container HEALTHCHECK expects).
int healthcheck(const std::filesystem::path& config_file, std::chrono::seconds timeout);

}  // namespace chronohook::app
