# syntax=docker/dockerfile:1
# The bot for production: Node LTS, production dependencies only, non-root, health-checked.
# Point it at your MongoDB with MONGODB_URI (the embedded default is for laptops and demos).
FROM node:lts-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# mongodb-memory-server's postinstall download is disabled in package.json ("config"); no mongod is baked in.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:lts-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/.data \
    SHELL_ADAPTER=off
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY commands ./commands
COPY adapters ./adapters
COPY config ./config
RUN mkdir -p /app/.data && chown -R node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# tsx runs the TypeScript sources directly (it is a runtime dependency); SIGTERM stops the bot gracefully.
CMD ["node", "--import", "tsx", "src/main.ts"]
