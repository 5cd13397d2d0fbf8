# peerkeys registry image: build with the dev toolchain, run with production dependencies only.
# Node 24: an LTS line, supported until April 2028 (26 is the active LTS; package.json's engines
# say which versions the project runs on, the README which were tested).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build:server

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
# The generated Prisma client is compiled into dist/. No install script is needed: run none.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY openapi.yaml ./
# DATA_DIR is used only without DATABASE_URL (the embedded database and its generated log key):
# mount a volume there for that (docker run -v peerkeys-data:/data ...). No VOLUME instruction:
# with Postgres nothing is written, and an anonymous volume would only hide where data went.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# GET /readyz on $HOST:$PORT, over HTTPS when TLS_CERT_FILE is set (src/healthcheck.ts).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
# Node's options and glibc's malloc settings as `npm start` gives them (src/server-process.ts;
# README, Performance: what they save in resident memory), repeated here so that the server is the
# container's only process, without npm start's launcher; test/unit/deployment-files.test.ts keeps
# the two in step.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
CMD ["node", "--enable-source-maps", "--liftoff-only", "--heap-growing-percent=30", "dist/cli/peerkeys.js", "serve"]
