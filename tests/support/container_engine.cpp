#include "support/container_engine.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace chronohook::testing {
namespace {

// `name` on $PATH (execve needs a path), or empty.
std::filesystem::path on_path(const std::string& name, const std::string& path_variable) {
  std::istringstream dirs(path_variable);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string current_path_variable() {
  const char* path = std::getenv("PATH");
  return path != nullptr && *path != '\0' ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// The variables `source script` sets or changes, read back with env -0.
std::variant<std::map<std::string, std::string>, std::string> sourced_environment(const std::filesystem::path& script,
                                                                                  std::chrono::milliseconds timeout) {
  const CommandResult r =
      run_command({"/bin/bash", "-c", "source \"$1\" >&2 || exit 1; env -0", "bash", script.string()}, {}, timeout);
  if (r.timed_out) return "sourcing " + script.string() + " did not finish in time";
  if (r.exit_code != 0) {
    return "sourcing " + script.string() + " failed (exit " + std::to_string(r.exit_code) + "):\n" + tail_lines(r.err);
  }
  std::map<std::string, std::string> changed;
  std::size_t at = 0;
  while (at < r.out.size()) {
    std::size_t end = r.out.find('\0', at);
    if (end == std::string::npos) end = r.out.size();
    const std::string entry = r.out.substr(at, end - at);
    at = end + 1;
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (name == "_" || name == "SHLVL" || name == "PWD" || name == "OLDPWD") continue;
    const char* before = std::getenv(name.c_str());
    if (before == nullptr || value != before) changed[name] = value;
  }
  return changed;
}

bool engine_answers(const ContainerEngine& engine, std::string& why) {
  const CommandResult r = engine.run({"info"}, std::chrono::seconds(60));
  if (r.exit_code == 0) return true;
  why += engine.program.string() + " info failed (exit " + std::to_string(r.exit_code) + "): " + tail_lines(r.err, 5);
  return false;
}

}  // namespace

CommandResult ContainerEngine::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{program.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, timeout);
}

std::variant<ContainerEngine, std::string> find_container_engine(const std::filesystem::path& env_script,
                                                                 std::chrono::milliseconds setup_timeout) {
  std::string why;
  if (std::filesystem::exists(env_script)) {
    auto env = sourced_environment(env_script, setup_timeout);
    if (auto* failure = std::get_if<std::string>(&env)) return *failure;
    ContainerEngine engine;
    engine.env = std::get<std::map<std::string, std::string>>(env);
    const auto path = engine.env.contains("PATH") ? engine.env.at("PATH") : current_path_variable();
    engine.program = on_path("podman", path);
    engine.setup = "podman set up by " + env_script.string();
    if (engine.program.empty()) return env_script.string() + " ran, but left no podman on PATH";
    if (engine_answers(engine, why)) return engine;
    return why;
  }
  why = env_script.string() + " does not exist; ";
  for (const char* name : {"podman", "docker"}) {
    ContainerEngine engine;
    engine.program = on_path(name, current_path_variable());
    engine.setup = std::string(name) + " found on PATH";
    if (engine.program.empty()) {
      why += std::string("no ") + name + " on PATH; ";
      continue;
    }
    if (engine_answers(engine, why)) return engine;
    why += "; ";
  }
  return why;
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;  // a final newline ends the last line
  for (std::size_t n = 0; n < lines; ++n) {
    const std::size_t nl = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at + 1);
}

}  // namespace chronohook::testing
