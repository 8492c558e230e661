// Private to src/config: a webhook's secrets from its secret / secret_file /
// secret_env / previous_* settings, checked without ever being shown.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"
#include "section.hpp"

namespace chronohook::config_detail {

// The value of the environment variable `variable` names (a secret_env or a
// token_env). Errors name `where`, never the variable or its value.
Result<Secret> secret_from_env(std::string_view variable, std::string_view where, const ConfigEnvironment& env);

// Fills out.secret, out.previous_secrets and out.secret_source from the
// webhook's section. Exactly one of secret, secret_file and secret_env must
// be set. Every secret must be at least 16 bytes of printable ASCII (spaces
// and tabs inside only), since drchrono sends it as an HTTP header value.
// A secret file others may read can add a warning.
Status read_webhook_secrets(Section& s, const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                            std::vector<std::string>& warnings, WebhookConfig& out);

}  // namespace chronohook::config_detail
