# syntax=docker/dockerfile:1
# The bot for production: TypeScript compiled at build time, plain `node` at run time (no tsx),
# production dependencies only, non-root, health-checked. It needs MONGODB_URI: the embedded
# database of `npm start` is development tooling (dev/) and is not in this image.
# See docs/deploy.md for compose.yaml (replica set + two replicas behind a proxy) and scaling out.
ARG NODE_IMAGE=node:lts-bookworm-slim

# ---- build: every dependency, then tsc emits dist/ (tsconfig.build.json: src, commands, adapters)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# mongodb-memory-server's postinstall download is disabled in package.json ("config"); nothing is fetched.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY adapters ./adapters
RUN npm run build:dist

# ---- production dependencies only (no tsx, typescript, vitest, mongodb-memory-server)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=3000 \
    SHELL_ADAPTER=off
WORKDIR /app
# A Chinese font, so a post-incident review in Chinese also gets its PDF (src/app/review-pdf.ts).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
# package.json says "type": "module", so node loads dist/**/*.js as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The shipped policy and organisation file (dist/src/config/load-config.js finds it at /app/config);
# mount your own and set INCIDENT_CONFIG to use another.
COPY config ./config
# Files stay owned by root and read-only for the bot; it writes nothing to disk.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) stops timers and delivery, finishes in-flight requests and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
