# The autovideo-dr CLI image that the stacks' CronJobs run (infra/workloads.ts: backup, prune,
# restore test). The CLI needs PostgreSQL's programs of the same major version as the stacks'
# engine (infra/database.ts, postgresMajorVersion): it runs pg_dump for a backup's schema and looks
# for the server programs when it starts (recovery/AutoVideo.DR.Recovery/Postgres/PostgresInstallation.cs).
# tests/infra/image.test.ts checks PG_MAJOR against the stacks' engine version.
#
#   docker build -t ghcr.io/autovideo/autovideo-dr:<tag> .
ARG PG_MAJOR=15

# Build: the .NET SDK publishes the CLI for linux-x64, which the CLI's project makes self-contained
# and composite ReadyToRun (precompiled with the framework: start-up counts in a short CronJob run;
# scripts/bench-backup.sh measures the CLI published the same way).
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY policy/ policy/
COPY recovery/ recovery/
RUN dotnet restore recovery/AutoVideo.DR.Cli/AutoVideo.DR.Cli.csproj --runtime linux-x64
RUN dotnet publish recovery/AutoVideo.DR.Cli/AutoVideo.DR.Cli.csproj --configuration Release --no-restore --runtime linux-x64 --output /out

# Run: .NET's native dependencies on Ubuntu 24.04 (the CLI carries its own runtime), PostgreSQL from
# the PGDG repository (Ubuntu's own is 16).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0.12-noble
ARG PG_MAJOR
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" "postgresql-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*
ENV AUTOVIDEO_DR_PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin \
    AUTOVIDEO_DR_HOME=/var/lib/autovideo-dr
COPY --from=build /out /opt/autovideo-dr
RUN ln -s /opt/autovideo-dr/autovideo-dr /usr/local/bin/autovideo-dr \
 && mkdir -p /var/lib/autovideo-dr && chown 1654:1654 /var/lib/autovideo-dr
# The .NET images' unprivileged "app" user; the CronJobs run as the same UID (runAsUser 1654).
USER 1654:1654
WORKDIR /var/lib/autovideo-dr
ENTRYPOINT ["autovideo-dr"]
