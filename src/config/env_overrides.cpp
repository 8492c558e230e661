// CHRONOHOOK_* environment variables: which key each one overrides, and a
// clear error, with the closest valid name, for one that overrides nothing.
#include "env_overrides.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <span>
#include <utility>

#include "messages.hpp"

namespace chronohook::config_detail {
namespace {

constexpr std::string_view kPrefix = "CHRONOHOOK_";
constexpr std::string_view kWebhookPrefix = "WEBHOOK_";
// Suggestions further away than this are more confusing than helpful.
constexpr std::size_t kMaxSuggestionDistance = 3;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "LISTEN" -> "listen" when the table has that key.
std::optional<std::string_view> key_for(std::string_view suffix, std::span<const std::string_view> keys) {
  for (std::string_view key : keys) {
    if (upper(key) == suffix) return key;
  }
  return std::nullopt;
}

std::string upper_list(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view key : keys) {
    if (!out.empty()) out += ", ";
    out += upper(key);
  }
  return out;
}

struct TablePrefix {
  std::string_view prefix;  // after CHRONOHOOK_
  std::string_view label;
  std::span<const std::string_view> keys;
  Overrides EnvOverrides::*target;
};

constexpr std::array<TablePrefix, 5> kTablePrefixes{{
    {"SERVER_", "[server]", kServerKeys, &EnvOverrides::server},
    {"STORAGE_", "[storage]", kStorageKeys, &EnvOverrides::storage},
    {"LOG_", "[log]", kLogKeys, &EnvOverrides::log},
    {"ADMIN_", "[admin]", kAdminKeys, &EnvOverrides::admin},
    {"RETENTION_", "[retention]", kRetentionKeys, &EnvOverrides::retention},
}};

// Edit distance with adjacent transpositions counted as one edit
// ("optimal string alignment"), over the upper-cased names.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// Every variable name chronohook reads as a setting.
std::vector<std::string> setting_variables(const std::vector<std::string>& webhook_names) {
  std::vector<std::string> names{std::string(kConfigPathVariable)};
  for (const TablePrefix& table : kTablePrefixes) {
    for (std::string_view key : table.keys)
      names.push_back(std::string(kPrefix) + std::string(table.prefix) + upper(key));
  }
  for (const std::string& hook : webhook_names) {
    for (std::string_view key : kWebhookEnvKeys) {
      names.push_back(std::string(kPrefix) + std::string(kWebhookPrefix) + env_name_of(hook) + "_" + upper(key));
    }
  }
  return names;
}

// "did you mean CHRONOHOOK_SERVER_LISTEN? " or "", for an unmatched variable.
// A variable close to one a secret_env names is pointed at that secret_env,
// not at the name: the name is the value of a secret-bearing key.
std::string suggestion(std::string_view variable, const std::vector<std::string>& settings,
                       const SecretEnvTargets& targets) {
  const std::string wanted = upper(variable);
  std::size_t best = kMaxSuggestionDistance + 1;
  std::string answer;
  for (const std::string& name : settings) {
    if (const std::size_t d = distance(wanted, name); d < best) {
      best = d;
      answer = "did you mean " + name + "? ";
    }
  }
  for (const auto& [name, where] : targets) {
    if (const std::size_t d = distance(wanted, upper(name)); d < best && d * 2 < name.size()) {
      best = d;
      answer = "is it the variable " + where + " names, spelt differently? ";
    }
  }
  return answer;
}

Error unmatched_error(const std::string& variable, const std::vector<std::string>& webhook_names,
                      const std::vector<std::string>& settings, const SecretEnvTargets& targets) {
  const std::string start = "config: environment variable " + variable;
  const std::string hint = suggestion(variable, settings, targets);
  if (variable.starts_with(kPrefix)) {
    const std::string_view name = std::string_view(variable).substr(kPrefix.size());
    for (const TablePrefix& table : kTablePrefixes) {
      if (!name.starts_with(table.prefix)) continue;
      return Error{start + " matches no key of " + std::string(table.label) + ": " + hint + "use CHRONOHOOK_" +
                   std::string(table.prefix) + "<KEY> with KEY one of " + upper_list(table.keys) +
                   " (names are case-sensitive)"};
    }
    if (name.starts_with(kWebhookPrefix)) {
      std::string hooks;
      for (const std::string& hook : webhook_names) hooks += (hooks.empty() ? "" : ", ") + env_name_of(hook);
      return Error{start + " matches no [[webhook]] and key: " + hint +
                   "use CHRONOHOOK_WEBHOOK_<NAME>_<KEY> with NAME one of " + hooks + " and KEY one of " +
                   upper_list(kWebhookEnvKeys)};
    }
  }
  return Error{start + " is not a chronohook setting" +
               (variable == upper(variable) ? "" : " (the names are upper case)") + ": " + hint +
               "chronohook reads CHRONOHOOK_CONFIG, CHRONOHOOK_SERVER_<KEY>, CHRONOHOOK_STORAGE_<KEY>, "
               "CHRONOHOOK_LOG_<KEY>, CHRONOHOOK_ADMIN_<KEY>, CHRONOHOOK_RETENTION_<KEY>, "
               "CHRONOHOOK_WEBHOOK_<NAME>_<KEY> and the variables a secret_env or token_env names, and "
               "refuses any other CHRONOHOOK_* variable so that a misspelt one cannot go unnoticed; rename or "
               "unset it (docs/configuration.md lists the names)"};
}

// A secret_env must not name a variable chronohook reads as a setting:
// its value would be used, and shown, as that setting too.
Status check_target(const std::string& target, const std::string& where, const std::vector<std::string>& settings) {
  if (std::find(settings.begin(), settings.end(), target) == settings.end()) return Status::Ok();
  return Error{"config: " + where + " names " + target +
               ", which chronohook reads as a setting: give the secret a variable of its own, e.g. "
               "CHRONOHOOK_MAIN_SECRET"};
}

}  // namespace

bool is_secret_bearing(std::string_view key) {
  return std::find(kSecretBearingKeys.begin(), kSecretBearingKeys.end(), key) != kSecretBearingKeys.end();
}

std::string env_name_of(std::string_view webhook_name) {
  std::string out = upper(webhook_name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

Result<EnvOverrides> match_env_overrides(const ConfigEnvironment& env, const std::vector<std::string>& webhook_names,
                                         const SecretEnvTargets& secret_env_targets) {
  const std::vector<std::string> settings = setting_variables(webhook_names);
  SecretEnvTargets targets = secret_env_targets;
  for (const auto& [target, where] : targets) {
    if (auto st = check_target(target, where, settings); !st) return st.error();
  }

  EnvOverrides out;
  out.webhooks.resize(webhook_names.size());
  std::vector<std::string> unmatched;
  for (const auto& [variable, value] : env.variables) {
    if (!upper(variable).starts_with(kPrefix) || variable == kConfigPathVariable) continue;
    std::string_view name = variable;
    if (!name.starts_with(kPrefix)) {
      unmatched.push_back(variable);
      continue;
    }
    name.remove_prefix(kPrefix.size());

    bool matched = false;
    for (const TablePrefix& table : kTablePrefixes) {
      if (!name.starts_with(table.prefix)) continue;
      if (auto key = key_for(name.substr(table.prefix.size()), table.keys)) {
        (out.*table.target)[std::string(*key)] = Override{variable, value};
        matched = true;
      }
    }
    if (!matched && name.starts_with(kWebhookPrefix)) {
      const std::string_view rest = name.substr(kWebhookPrefix.size());
      std::vector<std::pair<std::size_t, std::string_view>> candidates;
      for (std::size_t i = 0; i < webhook_names.size(); ++i) {
        const std::string hook = env_name_of(webhook_names[i]) + "_";
        if (!rest.starts_with(hook)) continue;
        if (auto key = key_for(rest.substr(hook.size()), kWebhookEnvKeys)) candidates.emplace_back(i, *key);
      }
      if (candidates.size() > 1) {
        return Error{"config: environment variable " + variable + " matches more than one [[webhook]] (" +
                     in_quotes(webhook_names[candidates[0].first]) + " and " +
                     in_quotes(webhook_names[candidates[1].first]) +
                     "): rename one so their upper-cased names, with '-' as '_', differ"};
      }
      if (candidates.size() == 1) {
        const auto [index, key] = candidates[0];
        out.webhooks[index][std::string(key)] = Override{variable, value};
        if (key == "secret_env") {
          const std::string where =
              "[[webhook]] " + in_quotes(webhook_names[index]) + " secret_env (from " + variable + ")";
          if (auto st = check_target(value, where, settings); !st) return st.error();
          targets.emplace(value, where);
        }
        matched = true;
      }
    }
    if (!matched) unmatched.push_back(variable);
  }

  for (const std::string& variable : unmatched) {
    if (targets.contains(variable)) continue;
    return unmatched_error(variable, webhook_names, settings, targets);
  }
  return out;
}

}  // namespace chronohook::config_detail
