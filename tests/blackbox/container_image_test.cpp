// The container image, for real: built from the repository's Dockerfile as
// it is, run with a secret and a TLS key given the way docs/deploy-docker.md
// says, and driven from outside the container through a published loopback
// port. It answers drchrono's verification, stores a hook, passes its own
// HEALTHCHECK, stops cleanly on SIGTERM, and a new container on the same
// volume still has the event. The image build compiles chronohook, which
// takes many minutes on two cores: ctest gives this test its own timeout.
//
// Engine: podman set up by ${CHRONOHOOK_CONTAINER_ENV:-<repo>/../shared/tools/container-env.sh}
// when that script exists, else a podman or docker that works. Where none can
// run, the test is skipped, saying why. Everything it creates (image,
// containers, volume, secrets) has a unique name and is removed at the end.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "support/container_engine.hpp"
#include "support/daemon.hpp"
#include "support/hooks.hpp"
#include "support/json_lines.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kSetupTimeout = 15min;  // a first run installs podman and builds the base image
constexpr auto kBuildTimeout = 35min;  // measured: 15 to 23 min on two shared cores
constexpr auto kCommandTimeout = 2min;
constexpr std::uint64_t kMaxImageBytes = 100'000'000;
constexpr std::string_view kWebhookPath = "/hooks/drchrono";  // set through the environment

std::filesystem::path env_script() {
  const char* set = std::getenv("CHRONOHOOK_CONTAINER_ENV");
  if (set != nullptr && *set != '\0') return set;
  return std::filesystem::path(CHRONOHOOK_SOURCE_DIR).parent_path() / "shared" / "tools" / "container-env.sh";
}

// Runs engine commands and, whatever happens, undoes what they created.
class Engine {
 public:
  explicit Engine(ContainerEngine engine) : engine_(std::move(engine)) {}
  ~Engine() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (void)engine_.run(*it, kCommandTimeout);
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ContainerEngine& engine() const { return engine_; }
  void undo_with(std::vector<std::string> command) { undo_.push_back(std::move(command)); }

  CommandResult run(const std::vector<std::string>& args, std::chrono::milliseconds timeout = kCommandTimeout) {
    return engine_.run(args, timeout);
  }
  // Stdout of a command that must succeed, without its final newline.
  std::string output(const std::vector<std::string>& args) {
    const CommandResult r = run(args);
    if (r.exit_code != 0) {
      ADD_FAILURE() << engine_.program.string() << " " << args.front() << " failed (exit " << r.exit_code << "):\n"
                    << tail_lines(r.err);
      return {};
    }
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

 private:
  ContainerEngine engine_;
  std::vector<std::vector<std::string>> undo_;
};

struct Files {
  std::filesystem::path cert;     // public: mounted read-only
  std::filesystem::path secrets;  // a directory: secret, privkey.pem
};

// Starts a container of `image` on `volume` and returns its name once it
// listens; the published port goes to `port`.
std::string start_container(Engine& e, const std::string& name, const std::string& image, const std::string& volume,
                            const Files& files, const std::vector<std::string>& secret_names, std::uint16_t& port) {
  std::vector<std::string> args{
      "run", "-d", "--name", name, "-p", "127.0.0.1::8443", "-v", volume + ":/var/lib/chronohook", "-v",
      files.cert.string() + ":/etc/chronohook/tls/fullchain.pem:ro",
      // Configuration by environment, as docs/deploy-docker.md shows.
      "-e", "CHRONOHOOK_LOG_FORMAT=json", "-e", "CHRONOHOOK_WEBHOOK_MAIN_PATH=" + std::string(kWebhookPath)};
  if (e.engine().is_podman()) {
    args.insert(args.end(), {"--secret", secret_names[0] + ",target=secret,uid=10001,mode=0400", "--secret",
                             secret_names[1] + ",target=privkey.pem,uid=10001,mode=0400"});
  } else {
    // docker run has no --secret: the files, owned by uid 10001, mounted read-only.
    args.insert(args.end(), {"-v", (files.secrets / "secret").string() + ":/run/secrets/secret:ro", "-v",
                             (files.secrets / "privkey.pem").string() + ":/run/secrets/privkey.pem:ro"});
  }
  args.push_back(image);
  const CommandResult started = e.run(args);
  e.undo_with({"rm", "-f", "-v", name});
  if (started.exit_code != 0) throw std::runtime_error("run failed:\n" + tail_lines(started.err));

  const auto deadline = SteadyClock::now() + 60s;
  for (;;) {
    const CommandResult logs = e.run({"logs", name});
    if ((logs.out + logs.err).find("listening on 0.0.0.0:8443") != std::string::npos) break;
    if (e.output({"inspect", "--format", "{{.State.Running}}", name}) != "true" || SteadyClock::now() > deadline) {
      throw std::runtime_error("the container did not start listening; its log:\n" + tail_lines(logs.out + logs.err));
    }
    std::this_thread::sleep_for(250ms);
  }
  const std::string published = e.output({"port", name, "8443/tcp"});  // "127.0.0.1:40063"
  const std::string first = published.substr(0, published.find('\n'));
  port = static_cast<std::uint16_t>(std::stoi(first.substr(first.rfind(':') + 1)));
  return name;
}

bool healthcheck_passes(Engine& e, const std::string& name, std::string& output) {
  // The image's HEALTHCHECK itself under podman; docker has no such command,
  // so there the same command line runs through exec.
  const std::vector<std::string> check =
      e.engine().is_podman() ? std::vector<std::string>{"healthcheck", "run", name}
                             : std::vector<std::string>{"exec", name, "/usr/local/bin/chronohook", "healthcheck"};
  for (int attempt = 0; attempt < 20; ++attempt) {  // /readyz may wait for the writer's first probe
    const CommandResult r = e.run(check);
    output = r.out + r.err;
    if (r.exit_code == 0) return true;
    std::this_thread::sleep_for(1s);
  }
  return false;
}

TEST(ContainerImage, BuildsRunsStoresAHookPassesItsHealthcheckStopsCleanlyAndKeepsTheEventOnItsVolume) {
  const auto found = find_container_engine(env_script(), kSetupTimeout);
  if (const auto* why = std::get_if<std::string>(&found)) GTEST_SKIP() << "no container engine can run here: " << *why;
  Engine e(std::get<ContainerEngine>(found));
  std::cout << "engine: " << e.engine().setup << "\n";

  const std::string id = "chronohook-test-" + random_hex(4);
  const std::string image = "localhost/" + id + ":latest";
  const std::string source = CHRONOHOOK_SOURCE_DIR;

  // Build from the repository's Dockerfile, unmodified; JOBS only bounds the compiler.
  std::vector<std::string> build{"build", "--build-arg", "JOBS=2", "-t", image, "-f", source + "/Dockerfile"};
  if (e.engine().is_podman()) {
    // The docker format keeps HEALTHCHECK; no intermediate images are left behind.
    build.insert(build.end(), {"--format", "docker", "--layers=false"});
    if (!e.engine().env.empty()) build.push_back("--pull=never");  // the base image is local
  }
  build.push_back(source);
  e.undo_with({"rmi", "-f", image});
  const auto build_start = SteadyClock::now();
  const CommandResult built = e.run(build, kBuildTimeout);
  const auto build_seconds = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - build_start);
  ASSERT_EQ(built.exit_code, 0) << (built.timed_out ? "timed out\n" : "") << tail_lines(built.out + built.err, 60);
  std::cout << "image built in " << build_seconds.count() << " s\n";

  // Small, runtime libraries only, non-root, with the health check.
  const std::uint64_t size = std::stoull("0" + e.output({"image", "inspect", "--format", "{{.Size}}", image}));
  std::cout << "image size: " << size << " bytes\n";
  RecordProperty("image_bytes", std::to_string(size));
  RecordProperty("build_seconds", std::to_string(build_seconds.count()));
  EXPECT_GT(size, 0u);
  EXPECT_LT(size, kMaxImageBytes);
  EXPECT_EQ(e.output({"image", "inspect", "--format", "{{.Config.User}}", image}), "10001:10001");
  const std::string health = e.output({"image", "inspect", "--format", "{{json .Config.Healthcheck}}", image});
  EXPECT_NE(health.find(R"("/usr/local/bin/chronohook","healthcheck")"), std::string::npos) << health;
  const CommandResult build_tools =
      e.run({"run", "--rm", "--no-healthcheck", "--entrypoint", "/bin/sh", image, "-c",
             "for f in /usr/bin/g++ /usr/bin/cmake /usr/bin/curl /usr/include/boost /src /build; do "
             "[ -e $f ] && echo $f; done; true"});
  EXPECT_EQ(build_tools.exit_code, 0) << build_tools.err;
  EXPECT_EQ(build_tools.out, "") << "build tools or sources in the runtime image";

  // What an operator provides: a secret, a certificate and its key, a volume.
  TempDir dir;
  Files files;
  const CertFiles cert = write_self_signed_cert(dir.path());
  files.cert = cert.cert;
  ::chmod(files.cert.c_str(), 0644);
  files.secrets = dir.path() / "secrets";
  std::filesystem::create_directory(files.secrets);
  const std::string secret = "ct-" + random_hex(20);
  {
    std::ofstream(files.secrets / "secret") << secret << "\n";
    std::filesystem::copy_file(cert.key, files.secrets / "privkey.pem");
  }
  std::vector<std::string> secret_names{id + "-secret", id + "-tls-key"};
  if (e.engine().is_podman()) {
    for (const auto& [name, file] : {std::pair{secret_names[0], files.secrets / "secret"},
                                     std::pair{secret_names[1], files.secrets / "privkey.pem"}}) {
      ASSERT_EQ(e.run({"secret", "create", name, file.string()}).exit_code, 0);
      e.undo_with({"secret", "rm", name});
    }
  } else {
    for (const char* f : {"secret", "privkey.pem"}) {
      ASSERT_EQ(::chown((files.secrets / f).c_str(), 10001, 10001), 0) << "docker: chown to uid 10001 needs root";
      ::chmod((files.secrets / f).c_str(), 0400);
    }
  }
  const std::string volume = id + "-data";
  ASSERT_EQ(e.run({"volume", "create", volume}).exit_code, 0);
  e.undo_with({"volume", "rm", "-f", volume});

  std::uint16_t port = 0;
  const std::string first = start_container(e, id + "-1", image, volume, files, secret_names, port);
  ClientOptions client;
  client.trust_cert = files.cert;  // TLS, verified, as drchrono connects
  client.timeout = 10s;

  // drchrono's verification, answered with the secret the container was given.
  const std::string msg = random_hex(12);
  const Response verified = send_once(port, client, verification_get("msg=" + msg, kWebhookPath));
  EXPECT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(json_string_field(verified.body, "secret_token"), expected_hmac_hex(secret, msg)) << verified.body;

  // A hook from outside the container, stored.
  const Request hook = signed_hook(secret, "APPOINTMENT_CREATE", "", "", kWebhookPath);
  const Response stored = send_once(port, client, hook);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(json_string_field(stored.body, "status"), "stored") << stored.body;

  std::string health_output;
  EXPECT_TRUE(healthcheck_passes(e, first, health_output)) << health_output;
  const CommandResult ready = e.run({"exec", first, "/usr/local/bin/chronohook", "healthcheck"});
  EXPECT_EQ(ready.exit_code, 0) << ready.err;
  EXPECT_EQ(e.output({"exec", first, "id", "-u"}), "10001");

  // SIGTERM: a drained exit with status 0, well before the engine's SIGKILL.
  const auto stop_start = SteadyClock::now();
  const CommandResult stopped = e.run({"stop", "-t", "30", first});
  const auto stop_time = SteadyClock::now() - stop_start;
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_LT(stop_time, 25s) << "the container needed the engine's SIGKILL";
  EXPECT_EQ(e.output({"inspect", "--format", "{{.State.ExitCode}}", first}), "0");
  const CommandResult logs = e.run({"logs", first});
  const std::vector<JsonLogLine> lines = parse_json_log(logs.out + logs.err);
  bool drained = false;
  for (const JsonLogLine& line : lines) {
    EXPECT_TRUE(line.parsed) << "not a JSON log line: " << line.text;
    drained = drained || line.message == "drained";
  }
  EXPECT_TRUE(drained) << tail_lines(logs.out + logs.err);
  EXPECT_EQ((logs.out + logs.err).find(secret), std::string::npos) << "the secret reached the log";

  // A new container on the same volume still has the event.
  std::uint16_t port2 = 0;
  const std::string second = start_container(e, id + "-2", image, volume, files, secret_names, port2);
  const Response again = send_once(port2, client, hook);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json_string_field(again.body, "status"), "duplicate") << again.body;
  const std::string listed = e.output({"exec", second, "/usr/local/bin/chronohook", "events", "list"});
  EXPECT_NE(listed.find(delivery_of(hook)), std::string::npos) << listed;
  EXPECT_EQ(e.run({"stop", "-t", "30", second}).exit_code, 0);
  EXPECT_EQ(e.output({"inspect", "--format", "{{.State.ExitCode}}", second}), "0");
}

}  // namespace
}  // namespace chronohook::testing
