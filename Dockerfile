# syntax=docker/dockerfile:1
# egress-tls container image.
#   docker build -t egress-tls:0.1.0 .
#
# Build stage: the .NET SDK restores with the central package versions (Directory.Packages.props)
# and publishes the host framework-dependent.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so the restore layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/EgressTls.Core/EgressTls.Core.csproj src/EgressTls.Core/
COPY src/EgressTls.Pki/EgressTls.Pki.csproj src/EgressTls.Pki/
COPY src/EgressTls.Kubernetes/EgressTls.Kubernetes.csproj src/EgressTls.Kubernetes/
COPY src/EgressTls.Webhook/EgressTls.Webhook.csproj src/EgressTls.Webhook/
RUN dotnet restore src/EgressTls.Webhook/EgressTls.Webhook.csproj
COPY src/ src/
RUN dotnet publish src/EgressTls.Webhook/EgressTls.Webhook.csproj \
      -c Release --no-restore -o /app -p:UseAppHost=false

# Runtime stage: Ubuntu chiseled ASP.NET Core runtime. No shell, no package manager, only the
# libraries .NET needs, a non-root user (APP_UID 1654) and the Mozilla CA bundle
# /etc/ssl/certs/ca-certificates.crt (chisel slice ca-certificates_data) that egress-tls uses as the
# public roots for originatingTLS and the pods' merged bundle.
# Framework-dependent rather than self-contained + trimmed on runtime-deps: KubernetesClient,
# YamlDotNet and System.Text.Json reflection paths are not trim-safe, and the shared ASP.NET Core
# layer is cached across images.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# The app binds 8443 (HTTPS) and 9090 (metrics) itself; drop the image's default :8080 binding.
ENV ASPNETCORE_HTTP_PORTS=
# The runtime's default GC budget (workstation, non-concurrent: runtimeconfig.json). The image set a
# 16 MiB gen0 budget while a never-seen pod's admission allocated a few hundred KB; at 11-23 KB now, serve
# spends 0-3% more CPU on never-seen pods with the default, the same on the others, and keeps 22 MiB less
# working set (tests/perf/run-load.sh, README "Performance").
EXPOSE 8443 9090
# Numeric, so Kubernetes' runAsNonRoot can verify it (the chart's runAsUser is the same UID).
USER 1654
ENTRYPOINT ["dotnet", "egress-tls.dll"]
CMD ["serve", "--config", "/etc/egress-tls/config.json"]
