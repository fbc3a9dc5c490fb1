# The register's container image (docs/deployment.md): one image for every process, the gateway and
# each subgraph, chosen at run time by SERVE. Two stages: the web pages are built with the dev
# dependencies (Vite), and the image that runs holds the production dependencies only.

# Node.js 20, as package.json's engines and CI use; Debian bookworm, as the machines the register is
# tested on. Pin a digest (node:20-bookworm-slim@sha256:…) where the registry's tags may move.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: npm's `prepare` (the web build) needs the sources, which come next.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build:web

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; --ignore-scripts, as `prepare` would try the web build without Vite
# (the pages come from the build stage). No production dependency needs an install script of its own:
# tsx's esbuild finds its binary in the platform package npm installs beside it.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY . .
# The built pages, with the hash of the sources they were built from: `npm start`'s check finds
# them up to date (web/build.ts), and builds nothing.
COPY --from=build /app/web/dist web/dist
# The embedded database's default folder, for a start without DATABASE_URL (docker run, a trial);
# everything else stays owned by root and read-only to the process.
RUN mkdir -p .data && chown node:node .data
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 4000
# No HEALTHCHECK: Kubernetes ignores it (its probes ask /healthz and /readyz, deploy/kubernetes), and
# a check would start a second Node.js process every interval; docs/deployment.md says more.
# `npm start` without npm: node is PID 1 and receives SIGTERM itself, and stops cleanly (cli/start.ts).
CMD ["node", "--import", "tsx", "cli/start.ts"]
