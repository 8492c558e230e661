// [server] listen: "host:port" with an IPv4 address, a host name or a
// bracketed IPv6 address. A URL is the usual mistake, so it gets its own
// answer instead of a puzzling one about brackets.
#include "listen.hpp"

#include <string>

#include "messages.hpp"

namespace chronohook::config_detail {
namespace {

constexpr std::string_view kForm = "expected \"host:port\", e.g. \"0.0.0.0:8443\", \"127.0.0.1:8443\" or \"[::]:8443\"";
constexpr std::string_view kHostChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
constexpr std::string_view kZoneChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

// For "https://127.0.0.1:8443/webhook": what to write instead, and why.
std::optional<std::string> url_problem(std::string_view text) {
  const auto scheme_end = text.find("://");
  std::string_view authority = text;
  if (scheme_end != std::string_view::npos) authority.remove_prefix(scheme_end + 3);
  const auto slash = authority.find('/');
  if (scheme_end == std::string_view::npos && slash == std::string_view::npos) return std::nullopt;
  authority = authority.substr(0, slash);

  std::string what = scheme_end != std::string_view::npos
                         ? (slash != std::string_view::npos ? "a scheme or a path" : "a scheme")
                         : "a path";
  std::string out = "listen takes host:port without " + what;
  if (authority.find(':') != std::string_view::npos) {
    out += ", e.g. " + in_quotes(authority);
  } else {
    out += ", e.g. \"127.0.0.1:8443\"";
  }
  if (scheme_end != std::string_view::npos) out += "; [server] tls chooses between https (true) and plain http";
  if (slash != std::string_view::npos) out += "; the URL path belongs in [[webhook]] path";
  return out;
}

}  // namespace

std::optional<std::string> parse_listen(std::string_view text, ListenAddress& out) {
  if (auto problem = url_problem(text)) return problem;
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "an IPv6 address needs its closing ']', e.g. \"[::]:8443\"";
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) return "expected ':' and a port after ']', e.g. \"[::]:8443\"";
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos) {
      return "brackets are for IPv6 addresses; write an IPv4 address or host name without them";
    }
    const std::string_view address = host.substr(0, host.find('%'));
    const std::string_view zone = host.size() > address.size() ? host.substr(address.size() + 1) : "";
    if (address.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos ||
        (host.size() > address.size() &&
         (zone.empty() || zone.find_first_not_of(kZoneChars) != std::string_view::npos))) {
      return "the part in brackets is not an IPv6 address";
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::string(kForm);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "an IPv6 address goes in brackets, e.g. \"[::1]:8443\"";
    if (host.empty()) {
      return "the host is missing; \"0.0.0.0:8443\" listens on every IPv4 address, \"[::]:8443\" on all";
    }
    if (host.find_first_not_of(kHostChars) != std::string_view::npos) {
      return "the host must be an IPv4 address or a host name; " + std::string(kForm);
    }
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(port)) > 65535) {
    return "the port must be a number from 0 to 65535";
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
  return std::nullopt;
}

}  // namespace chronohook::config_detail
