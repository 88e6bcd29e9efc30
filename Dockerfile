# syntax=docker/dockerfile:1
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sdk/package.json ./packages/sdk/
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages ./packages
COPY src ./src
COPY migrations ./migrations
COPY console ./console
# Builds the SDK, the server and the console (dist/console, served at /console/).
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The flags of `npm start`: a small young generation (short GC pauses); no allocation-site
# pretenuring (V8 otherwise starts allocating some per-request objects straight into the old
# generation: ~160 KB of old garbage per young collection, measured with --trace-gc-nvp); and a
# bounded old generation, so the resident size stays near the live heap; the embedded database's
# WebAssembly stays on the baseline compiler (tiering it up costs over 500 MB at start).
CMD ["node", "--max-semi-space-size=4", "--no-allocation-site-pretenuring", "--max-old-space-size=160", "--no-wasm-tier-up", "--no-wasm-dynamic-tiering", "dist/src/main.js"]
