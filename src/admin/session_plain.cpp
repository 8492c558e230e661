// Session<PlainStream>, instantiated here and nowhere else (see session_start.hpp).
#include "admin/session.hpp"
#include "admin/session_start.hpp"

namespace chronohook::admin {

template class Session<PlainStream>;

void start_plain_session(asio::ip::tcp::socket&& socket, std::shared_ptr<Shared> shared, std::string peer) {
  std::make_shared<Session<PlainStream>>(std::move(socket), std::move(shared), std::move(peer))->start();
}

}  // namespace chronohook::admin
