// The public listener's TLS settings: TLS 1.2 and 1.3 only, forward-secret
// AEAD ciphers, the full certificate chain from the file, session tickets on.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

#include "chronohook/result.hpp"

namespace chronohook::tls {

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const std::filesystem::path& chain_file,
                                                                       const std::filesystem::path& key_file);

}  // namespace chronohook::tls
