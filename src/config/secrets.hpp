// Private to src/config: a webhook's secrets from its secret / secret_file /
// secret_env / previous_* settings, and keeping secrets out of messages.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"
#include "env_overrides.hpp"

namespace chronohook::config_detail {

// Fills out.secret and out.previous_secrets from the webhook's section.
// Exactly one of secret, secret_file and secret_env must be set. A relative
// secret file is looked up in $CREDENTIALS_DIRECTORY first, then relative to
// `config_dir`; a file that group or others may read adds a warning. Every
// secret must be at least 16 bytes.
Status read_webhook_secrets(Section& s, const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                            std::vector<std::string>& warnings, WebhookConfig& out);

// "config: TOML syntax error at line L, column C: ..." for a parse error in
// `text`, with anything the parser quotes from the input blanked.
std::string describe_parse_error(const toml::parse_error& e, std::string_view text);

}  // namespace chronohook::config_detail
