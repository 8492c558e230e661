# chronohook container image: built on Debian 12, run on Debian 12 slim with
# the runtime libraries only, as the unprivileged user chronohook (uid 10001,
# gid 10001). docs/deploy-docker.md has the whole story; in short:
#
#   podman build --format docker -t chronohook .      # docker build -t chronohook .
#   podman secret create chronohook-secret ./secret
#   podman secret create chronohook-tls-key ./privkey.pem
#   podman run -d --name chronohook -p 8443:8443 -v chronohook-data:/var/lib/chronohook \
#     -v "$PWD/fullchain.pem:/etc/chronohook/tls/fullchain.pem:ro" \
#     --secret chronohook-secret,target=secret,uid=10001,mode=0400 \
#     --secret chronohook-tls-key,target=privkey.pem,uid=10001,mode=0400 chronohook
#
# Configuration: config/container.toml, changed through CHRONOHOOK_* variables
# (-e CHRONOHOOK_LOG_FORMAT=json) or replaced by a file mounted over it.
# Build with --format docker under podman: the OCI format has no HEALTHCHECK.
# JOBS bounds the compiler's parallelism (--build-arg JOBS=2); empty: ninja's default.
FROM debian:bookworm-slim AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      g++ cmake ninja-build pkg-config libboost1.81-dev libssl-dev nlohmann-json3-dev libspdlog-dev \
      libsqlite3-dev libtomlplusplus-dev libcli11-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY src src
COPY migrations migrations
ARG JOBS=
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHRONOHOOK_TESTS=OFF \
 && cmake --build /build ${JOBS:+-j "$JOBS"} \
 && strip /build/chronohook

FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libssl3 libspdlog1.10 libfmt9 libsqlite3-0 libtomlplusplus3 libsystemd0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 chronohook \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/chronohook --shell /usr/sbin/nologin chronohook \
 && install -d -m 0700 -o chronohook -g chronohook /var/lib/chronohook \
 && install -d -m 0755 /etc/chronohook /etc/chronohook/tls
COPY --from=build /build/chronohook /usr/local/bin/chronohook
COPY config/container.toml /etc/chronohook/chronohook.toml
# Docker and podman secrets appear in /run/secrets; a relative secret_file
# (and token_file) is looked up there first.
ENV CREDENTIALS_DIRECTORY=/run/secrets
USER 10001:10001
VOLUME /var/lib/chronohook
EXPOSE 8443
# SIGTERM drains: requests in flight finish, then exit 0 within
# shutdown_timeout_ms (8 s in container.toml, inside Docker's default 10 s).
STOPSIGNAL SIGTERM
# Healthy while the admin listener's /readyz answers 200: listeners bound,
# database writable, queue below capacity. No curl in the image: the binary asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/chronohook", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/chronohook"]
CMD ["serve"]
