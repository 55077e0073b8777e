# syntax=docker/dockerfile:1
#
# Image with both binaries, `api` and `worker`:
#   docker build -t tutorial .
#   docker run --rm -p 127.0.0.1:8080:8080 tutorial            # embedded mode
#   docker run --rm -e REDIS_URL=... -e DATABASE_URL=... -e SECRET_KEY=... tutorial worker
# Settings are environment variables: see .env.example.

# --- Build ------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

ENV CARGO_INCREMENTAL=0 \
    CARGO_TERM_COLOR=never

WORKDIR /src

# Only what the build needs. The workspace's `tests` member must be present
# for cargo to load the workspace, even though it is not built here.
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY entities ./entities
COPY migration ./migration
COPY worker ./worker
COPY api ./api
COPY tests ./tests

# The cache mounts keep downloaded crates and compiled dependencies between
# builds on the same builder; the binaries are copied out of the cached
# target folder because a cache mount is not part of the image.
RUN --mount=type=cache,id=tutorial-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=tutorial-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=tutorial-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p api -p worker \
    && mkdir -p /out \
    && cp target/release/api target/release/worker /out/

# --- Runtime ----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# ca-certificates follows Debian's security updates; it is not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# ./data holds the embedded database, job store, mail outbox and generated
# secret key when no outside services are configured; mount a volume on it
# to keep them.
RUN mkdir -p /app/data && chown app:app /app/data

COPY --from=builder /out/api /out/worker /usr/local/bin/

# Numeric, so that runtimes can check it is not root without reading /etc/passwd.
USER 10001:10001

EXPOSE 8080

CMD ["api", "serve", "--bind", "0.0.0.0:8080"]
