# assistdesk: the habits, one target each. `make help` lists them.
.DEFAULT_GOAL := help
GO ?= go

.PHONY: help demo test test-deps generate lint screenshots build fuzz bench profile

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

demo: ## run the portal with its embedded identity provider on http://127.0.0.1:8080
	$(GO) run ./cmd/assistdesk demo

test: test-deps ## run every test (installs chromium and postgresql when missing and root)
	$(GO) test -race -count=1 ./...

test-deps: ## install the system packages the tests need
	@./scripts/test-deps

# A count, not a duration: Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" when a duration runs out (golang/go#75804).
FUZZTIME ?= 200000x
fuzz: ## run each fuzz target for FUZZTIME executions (default 200000x, about 10 s)
	$(GO) test -run='^$$' -fuzz='^FuzzSafeReturnTo$$' -fuzztime=$(FUZZTIME) ./internal/auth/
	$(GO) test -run='^$$' -fuzz='^FuzzUserRef$$' -fuzztime=$(FUZZTIME) ./internal/graph/
	$(GO) test -run='^$$' -fuzz='^FuzzSearchExpression$$' -fuzztime=$(FUZZTIME) ./internal/graph/

generate: ## regenerate the templ views (*_templ.go are committed)
	$(GO) tool templ generate

lint: ## vet, gofmt, and check that the generated code is current
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) tool templ generate
	@git diff --exit-code -- '*_templ.go' || { echo "templ generate changed *_templ.go: commit the result"; exit 1; }

screenshots: test-deps ## refresh docs/*.png from the browser test
	ASSISTDESK_SCREENSHOT_DIR=$(CURDIR)/docs $(GO) test -count=1 -run Browser ./cmd/assistdesk

build: ## build ./assistdesk exactly as the Dockerfile does
	CGO_ENABLED=0 $(GO) build -trimpath -o assistdesk ./cmd/assistdesk

BENCHFLAGS ?=
bench: test-deps ## build both binaries into bin/, then measure the portal against its targets (BENCHMARKS.md)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/assistdesk ./cmd/assistdesk
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/assistdesk-bench ./cmd/assistdesk-bench
	./bin/assistdesk-bench -assistdesk bin/assistdesk $(BENCHFLAGS)

PROFILE ?= /tmp/assistdesk-userpage.pprof
profile: ## CPU profile of the cached user page through the portal's handler (web/userpage_bench_test.go), pprof's top 25
	$(GO) test ./web -run '^$$' -bench UserPage -benchtime 5s -cpu 1 -cpuprofile $(PROFILE) -o $(PROFILE).test
	$(GO) tool pprof -top -cum -nodecount 25 $(PROFILE)
	$(GO) tool pprof -top -nodecount 25 $(PROFILE)
