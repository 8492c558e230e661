// Session<TlsStream>, instantiated here and nowhere else (see session_start.hpp).
#include "session.hpp"
#include "session_start.hpp"

namespace chronohook::net {

template class Session<TlsStream>;

void start_tls_session(asio::ip::tcp::socket&& socket, std::shared_ptr<asio::ssl::context> tls,
                       std::shared_ptr<SharedState> state, Peer peer) {
  std::make_shared<Session<TlsStream>>(std::move(socket), std::move(tls), std::move(state), std::move(peer))->start();
}

}  // namespace chronohook::net
