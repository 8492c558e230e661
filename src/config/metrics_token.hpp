// Private to src/config: [admin] metrics_token_file, the Bearer token GET
// /metrics requires when it is set.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"
#include "section.hpp"

namespace chronohook::config_detail {

// Reads the token from the file metrics_token_file names (looked up in
// $CREDENTIALS_DIRECTORY first, like every *_file), checked like a
// consumer's token. Absent key: /metrics stays open.
Status read_metrics_token(Section& s, const std::filesystem::path& base, const ConfigEnvironment& env,
                          std::vector<std::string>& warnings, AdminConfig& out);

// A scraper's token must not also read events: refused when it equals a
// consumer's token.
Status check_metrics_token_is_its_own(const Config& config);

}  // namespace chronohook::config_detail
