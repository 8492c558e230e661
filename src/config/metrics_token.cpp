#include "metrics_token.hpp"

#include "consumers.hpp"
#include "messages.hpp"
#include "secret_file.hpp"

namespace chronohook::config_detail {

Status read_metrics_token(Section& s, const std::filesystem::path& base, const ConfigEnvironment& env,
                          std::vector<std::string>& warnings, AdminConfig& out) {
  if (!s.has("metrics_token_file")) return Status::Ok();
  std::string file;
  s.read("metrics_token_file", file);
  if (!s.ok()) return s.error();
  const std::string where = s.where("metrics_token_file");
  auto token = secret_from_file(file, where, base, env, warnings);
  if (!token) return token.error();
  if (auto st = check_token(token->secret, where, "the token in the file it names"); !st) return st;
  out.metrics_token_source = s.where_in_table("metrics_token_file");
  if (token->from_credentials) out.metrics_token_source += ", found in $CREDENTIALS_DIRECTORY";
  out.metrics_token = std::move(token->secret);
  return Status::Ok();
}

Status check_metrics_token_is_its_own(const Config& config) {
  if (!config.admin.metrics_token) return Status::Ok();
  for (const ConsumerConfig& c : config.consumers) {
    if (c.token.digest() == config.admin.metrics_token->digest()) {
      return Error{"config: [admin] " + config.admin.metrics_token_source + ": the token is [[consumer]] " +
                   in_quotes(c.name) +
                   "'s; a metrics scraper must not be able to read events, so give it a token of its own"};
    }
  }
  return Status::Ok();
}

}  // namespace chronohook::config_detail
