# syntax=docker/dockerfile:1
# Relay server image: `docker build -t relay .` from the repository root (the build context: the server's
# projects, the shared props and clients/js/relay.js, which the server embeds).
# deploy/verify-dockerfile.sh runs this file's build steps and its runtime command without Docker (see README).

ARG DOTNET_VERSION=10.0

# ---- build: restore (cached while no project file changes), then publish framework-dependent
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Relay.Domain/Relay.Domain.csproj src/Relay.Domain/
COPY src/Relay.Application/Relay.Application.csproj src/Relay.Application/
COPY src/Relay.Infrastructure/Relay.Infrastructure.csproj src/Relay.Infrastructure/
COPY src/Relay.Api/Relay.Api.csproj src/Relay.Api/
RUN --mount=type=cache,target=/root/.nuget/packages dotnet restore src/Relay.Api/Relay.Api.csproj
COPY src/Shared/ src/Shared/
COPY src/Relay.Domain/ src/Relay.Domain/
COPY src/Relay.Application/ src/Relay.Application/
COPY src/Relay.Infrastructure/ src/Relay.Infrastructure/
COPY src/Relay.Api/ src/Relay.Api/
COPY clients/js/relay.js clients/js/
RUN --mount=type=cache,target=/root/.nuget/packages dotnet publish src/Relay.Api/Relay.Api.csproj -c Release --no-restore -p:UseAppHost=false -o out

# ---- runtime: ASP.NET Core on Ubuntu, chiseled (no shell, no package manager; runs as the non-root `app` user)
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /src/out ./
# The image sets ASPNETCORE_HTTP_PORTS=8080. Relay writes nothing but .NET's diagnostics sockets in /tmp, so the
# container runs with a read-only root filesystem and a tmpfs on /tmp (compose.yaml does).
ENV ASPNETCORE_ENVIRONMENT=Production
# A 16 MiB gen0 budget: .NET sizes it from the CPU's cache, and on hosts that report a large L3 it grows to
# hundreds of MiB of garbage before the first collection (docs/operations.md, Memory).
ENV DOTNET_GCgen0size=0x1000000
EXPOSE 8080
# Non-root: APP_UID (1654) is the base image's `app` user.
USER $APP_UID
# No curl or wget in this image: the server itself gets /healthz (`--healthcheck`, exit 0 on 200, else 1).
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 CMD ["dotnet", "Relay.Api.dll", "--healthcheck"]
# SIGTERM (docker stop) starts Relay's graceful shutdown: clients get room_closed `shutdown` and close 1001, bounded
# by 15 s: give the container more than that (`docker stop -t 20`, compose `stop_grace_period: 20s`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "Relay.Api.dll"]
