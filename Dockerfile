# One image for every Herald component; the app is chosen by the arguments to `node`:
#   dist/apps/sip-edge/src/main.js, dist/apps/auth/src/main.js, dist/apps/presence/src/main.js,
#   dist/apps/im-router/src/main.js, dist/libs/persistence/src/migrate.js (schema migrations),
#   dist/apps/herald/src/main.js (the embedded all-in-one, the default; not for Kubernetes),
#   dist/apps/herald/src/web-main.js (the web app's static files, dist/web; the chart's optional `web`).
# The Helm chart (deploy/helm/herald) sets the arguments per component.

FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts/build-web.mjs ./scripts/
# Compile and bundle the web app, then drop the dev dependencies so the runtime stage copies
# production modules only.
RUN npx tsc -p tsconfig.build.json && node scripts/build-web.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
LABEL org.opencontainers.image.title="herald" \
      org.opencontainers.image.description="Presence and instant messaging over SIP"
ENV NODE_ENV=production
WORKDIR /app
# package.json carries the "imports" map (#herald/* -> dist/libs/*) that Node resolves at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Only the embedded app writes under the working directory (.herald); Kubernetes runs read-only.
# The user has a passwd entry because PostgreSQL's initdb (the embedded app's database) looks its
# name up and refuses to run for a user id without one.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin herald \
 && mkdir .herald && chown 10001:10001 .herald
# A numeric, non-root user, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 5060/udp 5060/tcp 5061/tcp 8080/tcp 8443/tcp 8088/tcp 9090/tcp
ENTRYPOINT ["node"]
CMD ["dist/apps/herald/src/main.js"]
