// A container engine for the image test: podman, set up by the shared
// container-env.sh where that script exists (it installs podman and imports
// a local Debian base image on machines with no Docker engine and no Docker
// Hub), else a podman or docker that already works. Nothing here fakes an
// engine: when none can run, the caller skips and says why.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "support/process.hpp"

namespace chronohook::testing {

struct ContainerEngine {
  std::filesystem::path program;           // /usr/bin/podman or /usr/bin/docker
  std::map<std::string, std::string> env;  // what container-env.sh exported
  std::string setup;                       // how it was found, for the test's output

  bool is_podman() const { return program.filename() == "podman"; }
  // `<engine> args...` to completion, output captured.
  CommandResult run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const;
};

// The engine to use, or why there is none. `env_script` is sourced when it
// exists (bounded by `setup_timeout`: a first run installs packages).
std::variant<ContainerEngine, std::string> find_container_engine(const std::filesystem::path& env_script,
                                                                 std::chrono::milliseconds setup_timeout);

// The last `lines` lines of `text`, for failure messages.
std::string tail_lines(const std::string& text, std::size_t lines = 30);

}  // namespace chronohook::testing
