// Session<TlsStream>, instantiated here and nowhere else (see session_start.hpp).
#include "admin/session.hpp"
#include "admin/session_start.hpp"

namespace chronohook::admin {

template class Session<TlsStream>;

void start_tls_session(asio::ip::tcp::socket&& socket, std::shared_ptr<asio::ssl::context> tls,
                       std::shared_ptr<Shared> shared, std::string peer) {
  std::make_shared<Session<TlsStream>>(std::move(socket), std::move(tls), std::move(shared), std::move(peer))->start();
}

}  // namespace chronohook::admin
