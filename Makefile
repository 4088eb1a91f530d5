# spcheck — run 'make' for the list of targets.
.DEFAULT_GOAL := help
FUZZTIME ?= 30s
# Go minimizes each new input for up to 60 s by default, and counts none of
# those executions until it is done: on parsers of large seeds (plans,
# graphs, headers) that took most of a run. 5 s keeps the fuzzing going.
FUZZMINIMIZETIME ?= 5s
GO ?= go

help: ## list targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-12s %s\n",$$1,$$2}' $(MAKEFILE_LIST)

build: ## build ./bin/spcheck (static: no cgo)
	CGO_ENABLED=0 $(GO) build -o bin/spcheck ./cmd/spcheck

test: test-servers ## the whole test suite (starts its own S3, HDFS, GCS and Azure test servers on 127.0.0.1; builds the example job with the spcheck-graph Maven plugin)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory test-graph-plugin

test-servers: ## install the servers the tests start (MinIO, Azurite and Hadoop's MiniDFSCluster, cached by version) and chromium for the HTML report test
	@bash scripts/minio.sh install >/dev/null
	@bash scripts/azurite.sh install >/dev/null
	@bash scripts/hdfs-minicluster.sh install >/dev/null
	@bash scripts/chromium.sh install >/dev/null

test-race: test-servers ## the tests with the race detector
	$(GO) test -race -count=1 ./...

# Every fuzz target, as package:Name. Each parser of untrusted input has one.
FUZZ_TARGETS = \
	./metadata:FuzzDecode ./metadata:FuzzDecodeSummaries ./metadata:FuzzDecodeProperties ./metadata:FuzzModifiedUTF8 ./metadata:FuzzIsASCII \
	./metadata:FuzzDecodeKeyedHeader ./metadata:FuzzDecodeOperatorHeader ./metadata:FuzzSerializerSnapshot \
	./metadata:FuzzDecodeChangelogMetadata ./metadata:FuzzDecodeRawTimers ./metadata:FuzzParseLogicalType \
	./internal/schemacheck:FuzzValidateAsTheLibrary ./compare:FuzzReadGraph ./compare:FuzzReadManifest ./compare:FuzzReadSQLPlan ./compare:FuzzLoadConfig \
	./compare:FuzzAvroSchema ./compare:FuzzDeclaredSerializer ./streamgraph:FuzzParseGraph ./streamgraph:FuzzParsePlan ./deployment:FuzzRead \
	./savepoint:FuzzParseFlinkYAML ./savepoint:FuzzParseLegacyFlinkConf ./savepoint/hdfsstore:FuzzHadoopXML ./internal/cli:FuzzGeneratedManifest ./internal/cli:FuzzGeneratedManifestMetadata

fuzz: ## run each fuzz target for $(FUZZTIME) (FUZZFLAGS=-parallel=1 to use one core)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $$t"; \
		$(GO) test $${t%%:*} -run='^$$' -fuzz="^$${t##*:}$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $(FUZZFLAGS); \
	done

fuzz-long: ## run all fuzz targets for 3 minutes each (78 minutes in total; crashers land in testdata/fuzz)
	$(MAKE) fuzz FUZZTIME=3m

bench: ## decoding benchmarks against a plain read of the same bytes
	$(GO) test ./metadata -run='^$$' -bench=. -benchmem

bench-cli: build ## whole-process inspect and check on a 352 MiB checkpoint, beside cat (RUNS=5)
	$(GO) run ./scripts/benchcli -bin bin/spcheck -runs $(or $(RUNS),5)

fixtures: ## regenerate fixtures/ with our own encoder
	$(GO) run ./fixtures/gen

golden: ## rewrite golden files after a deliberate output change
	$(GO) test ./internal/cli ./report -update

oracle: ## rerun the restore oracle with real Flink into testdata/oracle (Java 17 + Maven; FLINK=1.20 or ORACLE_VERSIONS="1.20 2.0" for some; not part of make test)
	bash scripts/oracle.sh $(or $(FLINK),$(ORACLE_VERSIONS))

graph-jar: ## build oracle/target/spcheck-oracle-<flink>.jar, which holds spcheck-graph (FLINK=1.20 by default)
	cd oracle && mvn -q -B -P flink-$(or $(FLINK),1.20) package

graph-plugin: ## install spcheck-graph and its Maven plugin (spcheck-graph-maven-plugin) into the local Maven repository
	cd oracle && mvn -q -B -P flink-$(or $(FLINK),1.20) install -DskipTests
	cd oracle/maven-plugin && mvn -q -B install

test-graph-plugin: ## build examples/flink-job with the Maven plugin and check its manifest against spcheck-graph's (Java 17 + Maven)
	bash scripts/test-graph-plugin.sh $(or $(FLINK),1.20)

lint: ## gofmt and go vet
	test -z "$$(gofmt -l .)" && $(GO) vet ./...

.PHONY: help oracle graph-jar graph-plugin test-graph-plugin build test test-servers test-race fuzz fuzz-long bench bench-cli fixtures golden lint
