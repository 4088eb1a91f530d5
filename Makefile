# spcheck — run 'make' for the list of targets.
.DEFAULT_GOAL := help
FUZZTIME ?= 30s
GO ?= go

help: ## list targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-12s %s\n",$$1,$$2}' $(MAKEFILE_LIST)

build: ## build ./bin/spcheck
	$(GO) build -o bin/spcheck ./cmd/spcheck

test: test-servers ## the whole test suite (starts its own S3, HDFS, GCS and Azure test servers on 127.0.0.1)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-servers: ## install the servers the tests start (MinIO, Azurite and Hadoop's MiniDFSCluster, cached by version) and chromium for the HTML report test
	@bash scripts/minio.sh install >/dev/null
	@bash scripts/azurite.sh install >/dev/null
	@bash scripts/hdfs-minicluster.sh install >/dev/null
	@bash scripts/chromium.sh install >/dev/null

test-race: test-servers ## the tests with the race detector
	$(GO) test -race -count=1 ./...

fuzz: ## run each fuzz target for $(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzDecodeProperties$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzModifiedUTF8$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzIsASCII$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzDecodeKeyedHeader$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./metadata -run='^$$' -fuzz='^FuzzDecodeOperatorHeader$$' -fuzztime=$(FUZZTIME)

bench: ## decoding benchmarks against a plain read of the same bytes
	$(GO) test ./metadata -run='^$$' -bench=. -benchmem

fixtures: ## regenerate fixtures/ with our own encoder
	$(GO) run ./fixtures/gen

golden: ## rewrite golden files after a deliberate output change
	$(GO) test ./internal/cli ./report -update

lint: ## gofmt and go vet
	test -z "$$(gofmt -l .)" && $(GO) vet ./...

.PHONY: help build test test-servers test-race fuzz bench fixtures golden lint
