// Starting an admin session without seeing Session<Stream>: each stream type
// is instantiated in a translation unit of its own (as in src/net).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "admin/shared.hpp"

namespace chronohook::admin {

void start_tls_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<boost::asio::ssl::context> tls,
                       std::shared_ptr<Shared> shared, std::string peer);
void start_plain_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<Shared> shared, std::string peer);

}  // namespace chronohook::admin
