# syntax=docker/dockerfile:1
# Build stage: a static, pure-Go binary (the SQLite driver is pure Go, so
# CGO stays off and the runtime image needs no libc).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/quita ./cmd/quita \
 && mkdir -p /out/data

# Runtime stage: distroless static with CA certificates, running as the
# image's unprivileged "nonroot" user (uid 65532). Zone data is embedded in
# the binary (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quita /usr/local/bin/quita
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV QUITA_ADDR=:8080 \
    QUITA_DATABASE_URL=sqlite:///data/quita.db \
    QUITA_CONFIG=/data/quita.yaml
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/quita"]
CMD ["serve"]
