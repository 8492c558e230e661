// Webhook secrets from the file, secret files and environment variables.
// Messages name the setting and say what shape it expects, never a byte of
// its value: secret_file and secret_env count as secret too, since a secret
// pasted into them is the very mistake the message is about.
#include "secrets.hpp"

#include <cstdlib>
#include <string_view>

#include "chronohook/secret.hpp"
#include "messages.hpp"
#include "secret_file.hpp"

namespace chronohook::config_detail {
namespace {

constexpr std::size_t kMinSecretBytes = 16;

// Where a secret was held, for saying what is wrong with it and how to fix it.
enum class Holder { kInline, kFile, kVariable };

// Why no hook could ever authenticate with `secret`, and how to fix it.
Status check_secret_shape(const Secret& secret, std::string_view where, Holder holder) {
  auto problem = secret_shape_problem(secret.expose());
  if (!problem) return Status::Ok();
  const std::string what = holder == Holder::kFile       ? "the secret in the file it names "
                           : holder == Holder::kVariable ? "the value of the variable it names "
                                                         : "the secret ";
  std::string why;
  if (problem->starts_with("starts") || problem->starts_with("ends")) {
    why =
        "HTTP strips leading and trailing whitespace from header values, so drchrono's X-drchrono-signature "
        "could never match it";
  } else if (problem->find("non-ASCII") != std::string::npos) {
    why =
        "how drchrono would send such a byte in a header is undocumented, so hooks might never match it; use "
        "printable ASCII (drchrono suggests 40 hex characters)";
  } else {
    why = "an HTTP header value cannot carry it, so drchrono's X-drchrono-signature could never match it";
  }
  const std::string fix = holder == Holder::kFile
                              ? "make the file hold the secret alone (trailing newlines are removed, nothing else)"
                          : holder == Holder::kVariable
                              ? "set the variable to the secret alone (nothing is removed from a variable's value, "
                                "not even a final newline)"
                              : "write the secret exactly as entered in drchrono";
  return Error{"config: " + std::string(where) + ": " + what + *problem + "; " + why + ": " + fix};
}

Status check_secret_length(const Secret& secret, std::string_view subject) {
  if (secret.size() >= kMinSecretBytes) return Status::Ok();
  return Error{"config: " + std::string(subject) + " is " + std::to_string(secret.size()) + " bytes; at least " +
               std::to_string(kMinSecretBytes) + " are required (drchrono suggests 40 hex characters)"};
}

}  // namespace

namespace {

bool valid_variable_name(std::string_view name) {
  return !name.empty() && (name.front() < '0' || name.front() > '9') &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
             std::string_view::npos;
}

}  // namespace

Result<Secret> secret_from_env(std::string_view variable, std::string_view where, const ConfigEnvironment& env) {
  if (!valid_variable_name(variable)) {
    return Error{"config: " + std::string(where) +
                 " must name an environment variable: letters, digits and '_', not starting with a digit"};
  }
  const std::string name(variable);
  std::string value;
  if (auto it = env.variables.find(name); it != env.variables.end()) {
    value = it->second;
  } else if (const char* from_process = std::getenv(name.c_str())) {
    value = from_process;
  } else {
    return Error{"config: " + std::string(where) + ": the environment variable it names is not set"};
  }
  if (value.empty()) return Error{"config: " + std::string(where) + ": the environment variable it names is empty"};
  return Secret(std::move(value));
}

Status read_webhook_secrets(Section& s, const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                            std::vector<std::string>& warnings, WebhookConfig& out) {
  std::vector<std::string_view> sources;
  for (std::string_view key : kSecretSourceKeys) {
    if (s.has(key)) sources.push_back(key);
  }
  if (sources.empty()) return Error{"config: " + s.label() + " has no secret: set secret_file, secret or secret_env"};
  if (sources.size() > 1) {
    return Error{"config: " + s.label() + " has more than one secret source (" + s.where_in_table(sources[0]) +
                 " and " + s.where_in_table(sources[1]) + "): keep exactly one of secret_file, secret and secret_env"};
  }
  const std::string_view source = sources[0];
  const std::string where = s.where(source);
  std::string value;
  s.read(source, value);
  if (!s.ok()) return s.error();
  out.secret_source = s.where_in_table(source);
  if (auto setting = s.env_setting(source); setting && !setting->replaced.empty()) {
    out.secret_source += ", replacing " + setting->replaced;
  }
  Result<Secret> secret = Error{};
  Holder holder = Holder::kInline;
  if (source == "secret") {
    secret = Secret(std::move(value));
  } else if (source == "secret_file") {
    holder = Holder::kFile;
    auto file = secret_from_file(value, where, config_dir, env, warnings);
    if (!file) return file.error();
    if (file->from_credentials) out.secret_source += ", found in $CREDENTIALS_DIRECTORY";
    secret = std::move(file->secret);
  } else {
    holder = Holder::kVariable;
    secret = secret_from_env(value, where, env);
  }
  if (!secret) return secret.error();
  if (auto st = check_secret_shape(*secret, where, holder); !st) return st;
  if (auto st = check_secret_length(*secret, s.label() + ": the secret"); !st) return st;
  out.secret = std::move(*secret);

  for (Section::Item& item : s.read_string_array("previous_secrets")) {
    Secret previous(std::move(item.value));
    if (auto st = check_secret_shape(previous, item.where, Holder::kInline); !st) return st;
    if (auto st = check_secret_length(previous, item.where); !st) return st;
    out.previous_secrets.push_back(std::move(previous));
  }
  for (const Section::Item& item : s.read_string_array("previous_secret_files")) {
    auto previous = secret_from_file(item.value, item.where, config_dir, env, warnings);
    if (!previous) return previous.error();
    if (auto st = check_secret_shape(previous->secret, item.where, Holder::kFile); !st) return st;
    if (auto st = check_secret_length(previous->secret, item.where + ": the secret in the file it names"); !st) {
      return st;
    }
    out.previous_secrets.push_back(std::move(previous->secret));
  }
  if (!s.ok()) return s.error();
  return Status::Ok();
}

}  // namespace chronohook::config_detail
