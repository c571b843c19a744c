# One image for the API and the worker; docker-compose.yml picks the command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json Pulumi.yaml index.ts ./
COPY core core
COPY catalogue catalogue
COPY programs programs
COPY server server
COPY workers workers
COPY cli cli
COPY test test
COPY web web
COPY scripts/build-web.mjs scripts/build-web.mjs
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ARG PULUMI_VERSION=3.259.0
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && curl -fsSL https://get.pulumi.com | sh -s -- --version "${PULUMI_VERSION}" \
  && mv /root/.pulumi/bin/* /usr/local/bin/ \
  && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.pulumi
RUN useradd --create-home --uid 10001 strata && mkdir -p /var/lib/strata && chown strata /var/lib/strata
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json Pulumi.yaml ./
USER strata
ENV STRATA_DATA_DIR=/var/lib/strata HOST=0.0.0.0 PORT=3000 PULUMI_SKIP_UPDATE_CHECK=true \
  NODE_COMPILE_CACHE=/home/strata/.cache/node-compile-cache
EXPOSE 3000
CMD ["node", "dist/server/server.js"]
