// Small facts about a parsed request that the session needs and that do not
// depend on the stream type. Private to src/net.
#pragma once

#include <boost/beast/http.hpp>
#include <optional>
#include <string_view>

namespace chronohook::net {

// A malformed message (a bad chunk, a bad header) as opposed to a client
// that went away or stopped sending: only the first deserves an answer.
inline bool is_parse_error(boost::beast::error_code ec) {
  namespace http = boost::beast::http;
  return ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::short_read;
}

// The first field called `name`, if any.
template <typename Message>
std::optional<std::string_view> header(const Message& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value());
}

}  // namespace chronohook::net
