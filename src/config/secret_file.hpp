// Private to src/config: reading a secret file, and deciding whether its
// permissions are worth a warning.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"
#include "chronohook/secret.hpp"

namespace chronohook::config_detail {

// What decides whether a secret file's permissions deserve a warning.
struct SecretFileFacts {
  mode_t mode = 0;            // st_mode
  uid_t owner = 0;            // st_uid
  bool read_only_fs = false;  // fstatvfs says ST_RDONLY
};

// The warning for a secret file others may read, or nullopt when there is
// none worth giving: nobody else can read it; it is on a read-only file
// system (a container's secrets mount, whose mode was chosen where it was
// mounted and cannot be changed from inside); or it belongs to another user
// who grants read access through the group only (root:chronohook 0640, the
// usual way to share a root-owned file with one service). A file this
// process owns gets "chmod 600 it"; one another user owns names that owner.
// `where` names the key ("[[webhook]] \"main\" secret_file (line 7)"); the
// path is never shown.
std::optional<std::string> secret_file_warning(std::string_view where, const SecretFileFacts& facts, uid_t process_uid);

struct SecretFromFile {
  Secret secret;
  bool from_credentials = false;  // found in $CREDENTIALS_DIRECTORY
};

// The secret in the file `configured` names, without its trailing "\n" /
// "\r\n" run. A relative name is looked up in $CREDENTIALS_DIRECTORY first,
// then relative to `config_dir`. Errors and warnings name `where`, never the
// path (which could be a secret typed into the wrong key).
Result<SecretFromFile> secret_from_file(std::string_view configured, std::string_view where,
                                        const std::filesystem::path& config_dir, const ConfigEnvironment& env,
                                        std::vector<std::string>& warnings);

}  // namespace chronohook::config_detail
