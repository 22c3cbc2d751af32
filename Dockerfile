# syntax=docker/dockerfile:1
# The build step is the one .ci/run runs (templ output is committed, so
# `go build` is all there is). No Docker engine runs where this project is
# built and tested: keep this file minimal and its build step identical.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/assistdesk ./cmd/assistdesk && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/assistdesk /assistdesk
# A writable data directory for the embedded SQLite database.
COPY --from=build --chown=nonroot:nonroot /out/data /data
VOLUME /data
ENV ASSISTDESK_LISTEN_ADDR=:8080
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/assistdesk", "healthcheck"]
ENTRYPOINT ["/assistdesk"]
CMD ["serve"]
