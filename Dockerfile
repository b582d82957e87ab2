# syntax=docker/dockerfile:1
# Multi-stage build: compile the tracker, dashboard and hub in a full image, then ship only the
# built files and production dependencies, running as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY embedded-mongo/package.json embedded-mongo/
COPY server/package.json server/
COPY client/package.json client/
COPY tracker/package.json tracker/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY embedded-mongo/package.json embedded-mongo/
COPY server/package.json server/
COPY client/package.json client/
COPY tracker/package.json tracker/
RUN npm ci --omit=dev --no-audit --no-fund --workspace server --include-workspace-root \
  && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/protocol protocol
COPY --from=build /app/server/package.json server/
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/server/demo server/demo
COPY --from=build /app/client/dist client/dist
COPY --from=build /app/tracker/dist tracker/dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "server/dist/main.js"]
