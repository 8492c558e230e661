# chronohook container image: build on Debian 12, run on Debian 12 slim as an
# unprivileged user, uid 10001 (gid 10001). Everything it reads must be readable by that
# uid: the config holds no secret, so mount it 0644; give the secret and the
# TLS key to uid 10001 with mode 0400 as podman/Docker secrets; keep the
# database on a volume. docs/configuration.md, "Running in a container", has
# the Docker variants.
#
#   podman build -t chronohook .
#   podman secret create chronohook-secret /srv/chronohook/secret
#   podman secret create chronohook-tls-key /srv/chronohook/tls/privkey.pem
#   podman run -p 8443:8443 -v chronohook-data:/var/lib/chronohook \
#     -v /srv/chronohook/chronohook.toml:/etc/chronohook/chronohook.toml:ro \
#     -v /srv/chronohook/tls/fullchain.pem:/etc/chronohook/tls/fullchain.pem:ro \
#     --secret chronohook-secret,target=secret,uid=10001,mode=0400 \
#     --secret chronohook-tls-key,target=privkey.pem,uid=10001,mode=0400 \
#     -e CHRONOHOOK_SERVER_TLS_KEY=/run/secrets/privkey.pem chronohook
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
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHRONOHOOK_TESTS=OFF \
 && cmake --build /build \
 && strip /build/chronohook

FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libssl3 libspdlog1.10 libfmt9 libsqlite3-0 libtomlplusplus3 libsystemd0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chronohook \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/chronohook --shell /usr/sbin/nologin chronohook \
 && install -d -m 0700 -o chronohook -g chronohook /var/lib/chronohook \
 && install -d -m 0755 /etc/chronohook /etc/chronohook/tls
COPY --from=build /build/chronohook /usr/local/bin/chronohook
COPY config/chronohook.toml /etc/chronohook/chronohook.toml
# Docker and podman secrets appear in /run/secrets; a relative secret_file is looked up there first.
ENV CREDENTIALS_DIRECTORY=/run/secrets
USER chronohook
VOLUME /var/lib/chronohook
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/chronohook"]
CMD ["serve", "--config", "/etc/chronohook/chronohook.toml"]
