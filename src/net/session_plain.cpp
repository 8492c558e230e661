// Session<PlainStream>, instantiated here and nowhere else (see session_start.hpp).
#include "session.hpp"
#include "session_start.hpp"

namespace chronohook::net {

template class Session<PlainStream>;

void start_plain_session(asio::ip::tcp::socket&& socket, std::shared_ptr<SharedState> state, Peer peer) {
  std::make_shared<Session<PlainStream>>(std::move(socket), std::move(state), std::move(peer))->start();
}

}  // namespace chronohook::net
