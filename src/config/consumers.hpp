// Private to src/config: the [admin] table (the pull API's listener) and the
// [[consumer]] tables (who may use it), tokens loaded without ever being shown.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"
#include "env_overrides.hpp"
#include "section.hpp"

namespace chronohook::config_detail {

// Fills `out` from [admin]; errors are recorded in the section. TLS needs
// both tls_cert and tls_key; without them the listener must be on a loopback
// address, since a consumer's token would otherwise cross the network in clear.
void read_admin(Section& s, const std::filesystem::path& base, AdminConfig& out);

// The consumers' names, checked (unique, 1 to 64 of A-Z a-z 0-9 _ . -), in
// file order, with each table's keys checked too.
Result<std::vector<std::string>> consumer_names(const std::vector<const toml::table*>& tables);

// The variables the consumers' token_env keys name, so the environment
// matcher accepts them instead of refusing them as misspelt settings.
void add_token_env_targets(const std::vector<const toml::table*>& tables, const std::vector<std::string>& names,
                           SecretEnvTargets& targets);

// A Bearer token's shape: at least 16 bytes of printable ASCII without
// spaces. `where` names the key, `what` the value's origin; never the value.
Status check_token(const Secret& token, std::string_view where, std::string_view what);

// Each consumer with its token from exactly one of token, token_file and
// token_env: at least 16 bytes of printable ASCII without spaces (it travels
// as `Authorization: Bearer <token>`). Messages name the key, never a value.
Status read_consumers(const std::vector<const toml::table*>& tables, const std::vector<std::string>& names,
                      const std::filesystem::path& base, const ConfigEnvironment& env,
                      std::vector<std::string>& warnings, std::vector<ConsumerConfig>& out);

}  // namespace chronohook::config_detail
