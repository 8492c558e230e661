// Webhook secrets from the file, secret files and environment variables.
// Messages name the setting, the file or the variable, never a byte of what
// they hold.
#include "secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>

#include "chronohook/secret.hpp"

namespace chronohook::config_detail {
namespace {

// Far more than any HMAC key; a bigger file is the wrong file.
constexpr off_t kMaxSecretFileBytes = 64 * 1024;

// Closes the descriptor and wipes the read buffer however the read ends.
class SecretReader {
 public:
  explicit SecretReader(int fd) : fd_(fd) {}
  SecretReader(const SecretReader&) = delete;
  SecretReader& operator=(const SecretReader&) = delete;
  ~SecretReader() {
    OPENSSL_cleanse(buf_, sizeof buf_);
    if (fd_ >= 0) ::close(fd_);
  }

  // The whole file, or errno on failure. Reserving the expected size up front
  // keeps appends from leaving unwiped copies behind in freed memory.
  std::optional<std::string> read_all(std::size_t expected, int& error) {
    std::string data;
    data.reserve(expected + 1);
    for (;;) {
      const ssize_t n = ::read(fd_, buf_, sizeof buf_);
      if (n == 0) return data;
      if (n < 0) {
        if (errno == EINTR) continue;
        error = errno;
        OPENSSL_cleanse(data.data(), data.size());
        return std::nullopt;
      }
      data.append(buf_, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  char buf_[4096];
};

std::string os_error(int error) {
  return std::generic_category().message(error);
}

constexpr std::size_t kMinSecretBytes = 16;

// Editors and `echo` append "\n" (or "\r\n"); every other byte, spaces
// included, may be part of the secret and is kept.
std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && s.back() == '\n') {
    s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  return s;
}

Result<Secret> secret_from_file(std::string_view configured, std::string_view where,
                                const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                                std::vector<std::string>& warnings) {
  const std::string prefix = "config: " + std::string(where) + ": ";
  if (configured.empty()) return Error{prefix + "the secret file name is empty"};
  if (configured.find('\0') != std::string_view::npos) return Error{prefix + "the file name contains a NUL byte"};

  const std::filesystem::path name(configured);
  std::filesystem::path file = name;
  std::string not_in_credentials;
  if (name.is_relative()) {
    bool found = false;
    auto it = env.variables.find("CREDENTIALS_DIRECTORY");
    if (it != env.variables.end() && !it->second.empty()) {
      const std::filesystem::path credential = std::filesystem::path(it->second) / name;
      std::error_code ec;
      found = std::filesystem::exists(credential, ec);
      if (found) {
        file = credential;
      } else {
        not_in_credentials = " (nor is there " + in_quotes(credential.string()) + " in $CREDENTIALS_DIRECTORY)";
      }
    }
    if (!found) file = (config_dir / name).lexically_normal();
  }
  const std::string shown = in_quotes(file.string());

  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{prefix + "cannot read secret file " + shown + ": " + os_error(errno) + not_in_credentials};
  SecretReader reader(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{prefix + "cannot stat secret file " + shown + ": " + os_error(errno)};
  if (!S_ISREG(st.st_mode)) return Error{prefix + "secret file " + shown + " is not a regular file"};
  if (st.st_size > kMaxSecretFileBytes) {
    return Error{prefix + "secret file " + shown + " is " + std::to_string(st.st_size) +
                 " bytes, more than any webhook secret; is it the right file?"};
  }
  int error = 0;
  std::optional<std::string> data = reader.read_all(static_cast<std::size_t>(st.st_size), error);
  if (!data) return Error{prefix + "cannot read secret file " + shown + ": " + os_error(error)};

  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    std::string warning = "secret file " + file.string() + " is readable by other users; chmod 600 it";
    if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) warnings.push_back(std::move(warning));
  }
  return Secret(strip_trailing_newlines(std::move(*data)));
}

Result<Secret> secret_from_env(std::string_view variable, std::string_view where, const ConfigEnvironment& env) {
  const std::string prefix = "config: " + std::string(where) + ": ";
  if (variable.empty() || variable.find_first_of(std::string_view("=\0", 2)) != std::string_view::npos) {
    return Error{prefix + "the name of the environment variable must be non-empty, without '=' or NUL"};
  }
  const std::string name(variable);
  std::string value;
  if (auto it = env.variables.find(name); it != env.variables.end()) {
    value = it->second;
  } else if (const char* from_process = std::getenv(name.c_str())) {
    value = from_process;
  } else {
    return Error{prefix + "environment variable " + name + " is not set"};
  }
  if (value.empty()) return Error{prefix + "environment variable " + name + " is empty"};
  return Secret(std::move(value));
}

Status check_secret_length(const Secret& secret, std::string_view subject) {
  if (secret.size() >= kMinSecretBytes) return Status::Ok();
  return Error{"config: " + std::string(subject) + " is " + std::to_string(secret.size()) + " bytes; at least " +
               std::to_string(kMinSecretBytes) + " are required (drchrono suggests 40 hex characters)"};
}

// Lines first..last (1-based) of text, newlines included.
std::string_view lines(std::string_view text, std::size_t first, std::size_t last) {
  std::size_t begin = 0;
  std::size_t n = 1;
  for (; n < first; ++n) {
    const std::size_t newline = text.find('\n', begin);
    if (newline == std::string_view::npos) return {};
    begin = newline + 1;
  }
  std::size_t end = begin;
  for (; n <= last && end < text.size(); ++n) {
    const std::size_t newline = text.find('\n', end);
    end = newline == std::string_view::npos ? text.size() : newline + 1;
  }
  return text.substr(begin, end - begin);
}

}  // namespace

Status read_webhook_secrets(Section& s, const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                            std::vector<std::string>& warnings, WebhookConfig& out) {
  std::vector<std::string_view> sources;
  for (std::string_view key : kSecretSourceKeys) {
    if (s.has(key)) sources.push_back(key);
  }
  if (sources.empty()) return Error{"config: " + s.label() + " has no secret: set secret_file, secret or secret_env"};
  if (sources.size() > 1) {
    const auto where = [&](std::string_view key) { return s.where(key).substr(s.label().size() + 1); };
    return Error{"config: " + s.label() + " has more than one secret source (" + where(sources[0]) + " and " +
                 where(sources[1]) + "): keep exactly one of secret_file, secret and secret_env"};
  }
  const std::string_view source = sources[0];
  std::string value;
  s.read(source, value);
  if (!s.ok()) return s.error();
  Result<Secret> secret = source == "secret" ? Result<Secret>(Secret(std::move(value)))
                          : source == "secret_file"
                              ? secret_from_file(value, s.where(source), config_dir, env, warnings)
                              : secret_from_env(value, s.where(source), env);
  if (!secret) return secret.error();
  if (auto st = check_secret_length(*secret, s.label() + ": the secret"); !st) return st;
  out.secret = std::move(*secret);

  for (Section::Item& item : s.read_string_array("previous_secrets")) {
    Secret previous(std::move(item.value));
    if (auto st = check_secret_length(previous, item.where); !st) return st;
    out.previous_secrets.push_back(std::move(previous));
  }
  for (const Section::Item& item : s.read_string_array("previous_secret_files")) {
    auto previous = secret_from_file(item.value, item.where, config_dir, env, warnings);
    if (!previous) return previous.error();
    if (auto st = check_secret_length(*previous, item.where + ": the secret in " + in_quotes(item.value)); !st) {
      return st;
    }
    out.previous_secrets.push_back(std::move(*previous));
  }
  if (!s.ok()) return s.error();
  return Status::Ok();
}

// toml++ quotes the text it choked on, and that may be the start of a secret
// (`secret = abc...` without quotes), so every quoted fragment longer than a
// character that occurs in the offending lines is blanked; the line and
// column still point at it. Redefinition errors quote keys, which stay.
std::string describe_parse_error(const toml::parse_error& e, std::string_view text) {
  const std::size_t line = e.source().begin.line;
  std::string_view context = lines(text, line > 1 ? line - 1 : 1, line + 1);
  if (context.empty()) context = text;

  std::string description(e.description());
  if (description.find("cannot redefine") == std::string::npos) {
    std::string cleaned;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t open = description.find('\'', pos);
      const std::size_t close = open == std::string::npos ? open : description.find('\'', open + 1);
      if (close == std::string::npos) break;
      const std::string_view fragment = std::string_view(description).substr(open + 1, close - open - 1);
      cleaned += description.substr(pos, open + 1 - pos);
      cleaned += fragment.size() > 1 && context.find(fragment) != std::string_view::npos ? "..." : fragment;
      cleaned += '\'';
      pos = close + 1;
    }
    description = cleaned + description.substr(pos);
  }
  return "config: TOML syntax error at line " + std::to_string(line) + ", column " +
         std::to_string(e.source().begin.column) + ": " + description;
}

}  // namespace chronohook::config_detail
