# Herald: one image, two processes (API and worker), chosen by the command.
# Build:  docker build -t herald .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY apps apps
COPY workflows workflows
COPY activities activities
COPY libs libs
COPY scripts scripts
COPY test test
COPY bench bench
RUN npx tsc -p tsconfig.json && node dist/scripts/bundle-workflows.js && npx vite build apps/console --logLevel warn \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# glibc malloc returns what a burst of work freed (libs/config/config.ts, MALLOC_TUNING; a test keeps the two equal).
ENV MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/dist dist
USER node
EXPOSE 3000 9464
# API by default; the worker runs `node dist/apps/worker/src/main.js`, migrations `node dist/libs/db/migrate.js`.
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
