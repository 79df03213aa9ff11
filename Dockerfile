# syntax=docker/dockerfile:1
# The voice service: `docker build -t psb-voice .` then `docker run -p 8080:8080 --env-file .env psb-voice`
# (or `docker compose up`, with PostgreSQL). Configured only by the environment (the README's table).
#
# Node 20: the uWebSockets.js build we use ships native binaries for Node ABIs 93/108/115 only. On Node 22 or 24 the
# service still runs, on node:http + ws (src/http/nodeTransport.ts), at more CPU per call (README, benchmark).
# Bookworm: Debian 12, glibc 2.36, what it is tested on.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the optional native helpers (bufferutil, utf-8-validate) have no prebuilt binary on every
# platform and slim has no compiler; ws runs without them. The same as this project's machines install.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY machines machines
COPY migrations migrations
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The operations console's page, served as it is (no build step; Preact + htm come from node_modules).
COPY --from=build /app/src/admin/public src/admin/public
COPY package.json ./
COPY bin bin
# DATA_DIR (./data): the embedded database without DATABASE_URL, the lead spool, recordings. Owned by the
# unprivileged user; a named volume mounted here starts with this ownership.
# An empty .env: configuration comes from the environment (or a .env mounted over this one); without any file
# Node 20 would print ".env not found. Continuing without it." on stderr at every start and health check.
RUN mkdir -p /app/data && chown node:node /app/data \
  && printf '# Configure through the environment, or mount a .env over this file (the environment wins).\n' > /app/.env
USER node
VOLUME ["/app/data"]
EXPOSE 8080
# Ready while a new call's lead can be kept (database or spool). Node, not curl: slim has no curl. It reads the
# same .env as the server, so a PORT set there is the port it asks.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "--env-file-if-exists=.env", "bin/healthcheck.js"]
# node itself, no npm or shell in between: SIGTERM (docker stop) reaches the server, which drains live calls for
# up to DRAIN_TIMEOUT_MS (30 s) and exits 0. Give `docker stop -t` / stop_grace_period more than that.
CMD ["node", "--env-file-if-exists=.env", "dist/src/main.js"]
