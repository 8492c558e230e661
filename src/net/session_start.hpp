// Starting a session without seeing Session<Stream>. Instantiating the
// session template (Beast's parser and writer, Asio's SSL stream, every
// completion handler) is by far the heaviest thing to compile in the
// project, so each stream type gets a translation unit of its own
// (session_tls.cpp, session_plain.cpp) that instantiates it explicitly, and
// the listener only calls these. The session attaches itself to its entry in
// state->connections and leaves it when it ends. Private to src/net.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "shared_state.hpp"

namespace chronohook::net {

void start_tls_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<boost::asio::ssl::context> tls,
                       std::shared_ptr<SharedState> state, Peer peer);

void start_plain_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<SharedState> state, Peer peer);

}  // namespace chronohook::net
