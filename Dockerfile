# Sluice container image: one image, the role chosen by the first argument
#   podman run IMAGE serve|api|worker|migrate [--config FILE]
# Built by `make image` (podman, --pull=never: the debian:bookworm-slim base is
# made locally by scripts/base-image.sh, nothing comes from a container registry).

# ---- build: the same scripts/install-deps.sh as a developer machine ---------
FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# /work/sluice with /work as ccache's base dir: the same relative paths as a
# developer worktree (/work/wt-*/), so a mounted developer cache is reused.
WORKDIR /work/sluice
COPY scripts/install-deps.sh scripts/install-deps.sh
# ccache is only used when the build mounts a cache at /ccache (make image does).
RUN bash scripts/install-deps.sh build \
 && apt-get install -y -qq --no-install-recommends ccache >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY cmake cmake
COPY src src
COPY config config
COPY bench bench
ARG JOBS=1
RUN if [ -d /ccache ] && [ -w /ccache ]; then \
      export CCACHE_DIR=/ccache CCACHE_BASEDIR=/work CCACHE_NOHASHDIR=1; launcher=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache; \
    else launcher=; fi \
 && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_WERROR=ON -DSLUICE_TESTS=OFF $launcher >/dev/null \
 && cmake --build build -j "$JOBS" --target sluice >build.log 2>&1 || { tail -n 80 build.log; exit 1; }
# The runtime stage installs exactly the Debian packages whose shared libraries
# the binary links (found with ldd + dpkg -S), no -dev package, no compiler.
RUN mkdir -p /out \
 && objcopy --only-keep-debug build/sluice /out/sluice.debug \
 && strip --strip-debug -o /out/sluice build/sluice \
 && ldd build/sluice | awk '/=> \//{print $3}' | xargs -r realpath \
    | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u >/out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="JSON records over HTTP to a durable queue, into a relational database, served back over HTTP" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="NOASSERTION" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
# tini: PID 1 forwards SIGTERM to sluice and reaps; ca-certificates for TLS
# to PostgreSQL/brokers.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends tini ca-certificates $(cat /tmp/runtime-packages.txt) >/dev/null \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
 && mkdir -p /var/lib/sluice /etc/sluice && chown sluice:sluice /var/lib/sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY config/sluice.toml /etc/sluice/sluice.toml
COPY deploy/container/entrypoint.sh /usr/local/bin/sluice-entrypoint
# In a container: listen on every address (the shipped file says 127.0.0.1),
# data under /var/lib/sluice (a volume). [auth] mode = "none" is refused on a
# non-loopback address: give keys (SLUICE_AUTH_KEYS_FILE + SLUICE_AUTH_PEPPER)
# or JWT keys, or SLUICE_AUTH_ALLOW_OPEN=true for a closed network.
ENV SLUICE_HTTP_LISTEN=0.0.0.0:8080 \
    SLUICE_STORE_URL=sqlite:///var/lib/sluice/sluice.db \
    SLUICE_BROKER_URL=sqlite:///var/lib/sluice/queue.db \
    SLUICE_CONFIG=/etc/sluice/sluice.toml
USER 10001:10001
WORKDIR /var/lib/sluice
VOLUME ["/var/lib/sluice"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# (no --start-period: dockerfilelint 1.8 misreads options with a hyphen)
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/usr/local/bin/sluice-entrypoint", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sluice-entrypoint"]
CMD ["serve"]
