// Secret files: read whole, with their trailing newlines removed, and their
// permissions judged. Messages name the key that gave the file, never its
// path or a byte of what it holds.
#include "secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "messages.hpp"

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

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Editors and `echo` append "\n" (or "\r\n"); every other byte is kept, and
// judged by the secret's shape check.
std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && s.back() == '\n') {
    s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  return s;
}

}  // namespace

std::optional<std::string> secret_file_warning(std::string_view where, const SecretFileFacts& facts,
                                               uid_t process_uid) {
  const bool group_reads = (facts.mode & S_IRGRP) != 0;
  const bool others_read = (facts.mode & S_IROTH) != 0;
  if ((!group_reads && !others_read) || facts.read_only_fs) return std::nullopt;
  const std::string start = std::string(where) + ": the secret file is readable by ";
  if (facts.owner == process_uid) {
    return start + "other users (mode " + octal_mode(facts.mode) + "); chmod 600 it";
  }
  if (!others_read) return std::nullopt;
  const std::string uid = std::to_string(process_uid);
  return start + "every user (mode " + octal_mode(facts.mode) + ") and belongs to uid " + std::to_string(facts.owner) +
         ", not to this process (uid " + uid + "), which cannot change that: have its owner restrict it, e.g. chown " +
         uid + " and chmod 400 it (a podman or Docker secret: mount it with uid=" + uid + ",mode=0400)";
}

Result<SecretFromFile> secret_from_file(std::string_view configured, std::string_view where,
                                        const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                                        std::vector<std::string>& warnings) {
  const std::string must = "config: " + std::string(where) + " must be a path to a readable file";
  if (configured.empty()) return Error{must + ", not empty"};
  if (configured.find('\0') != std::string_view::npos) return Error{must + "; it contains a NUL byte"};

  const std::filesystem::path name(configured);
  SecretFromFile out;
  std::filesystem::path file = name;
  std::string lookup;  // where a relative name was looked for, directories only
  if (name.is_relative()) {
    file = (config_dir / name).lexically_normal();
    lookup = "the config file's directory " + in_quotes(config_dir.string());
    auto it = env.variables.find("CREDENTIALS_DIRECTORY");
    if (it != env.variables.end() && !it->second.empty()) {
      const std::filesystem::path credential = std::filesystem::path(it->second) / name;
      std::error_code ec;
      if (std::filesystem::exists(credential, ec)) {
        file = credential;
        out.from_credentials = true;
      }
      lookup = "$CREDENTIALS_DIRECTORY " + in_quotes(it->second) + ", then in " + lookup;
    }
    lookup = " (a relative name is looked up in " + lookup + ")";
  }
  const std::string named = must + "; the file it names ";

  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    std::string hint = lookup;
    if (error == EACCES) {
      hint += "; this process runs as uid " + std::to_string(::geteuid()) + ": give that uid read access";
    }
    return Error{named + "cannot be read: " + os_error(error) + hint};
  }
  SecretReader reader(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{named + "cannot be examined: " + os_error(errno)};
  if (S_ISDIR(st.st_mode)) return Error{named + "is a directory"};
  if (!S_ISREG(st.st_mode)) return Error{named + "is not a regular file"};
  if (st.st_size > kMaxSecretFileBytes) {
    return Error{named + "is " + std::to_string(st.st_size) +
                 " bytes, more than any webhook secret; is it the right file?"};
  }
  int error = 0;
  std::optional<std::string> data = reader.read_all(static_cast<std::size_t>(st.st_size), error);
  if (!data) return Error{named + "cannot be read: " + os_error(error)};

  struct statvfs fs {};
  SecretFileFacts facts{st.st_mode, st.st_uid, ::fstatvfs(fd, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0};
  if (auto warning = secret_file_warning(where, facts, ::geteuid())) {
    if (std::find(warnings.begin(), warnings.end(), *warning) == warnings.end())
      warnings.push_back(std::move(*warning));
  }
  out.secret = Secret(strip_trailing_newlines(std::move(*data)));
  return out;
}

}  // namespace chronohook::config_detail
