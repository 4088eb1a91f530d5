// Fakehdfsd serves a local directory read-only over the HDFS NameNode and
// DataNode wire protocols on 127.0.0.1, for trying HDFS clients by hand:
//
//	go run ./internal/fakehdfs/cmd/fakehdfsd -root testdata/savepoints -block-size 1048576
//	NAMENODE=127.0.0.1:40123
//	HADOOP_USER_NAME=flink spcheck inspect hdfs://127.0.0.1:40123/savepoint-1
//
// It prints the NameNode address on stdout and serves until interrupted.
// Faults can be injected with -deny, -drop, -stall and -bad-checksum, each
// a comma-separated list of paths.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spcheck/spcheck/internal/fakehdfs"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("fakehdfsd: ")
	var opts fakehdfs.Options
	root := flag.String("root", ".", "directory to serve as /")
	flag.Int64Var(&opts.BlockSize, "block-size", 1<<20, "block size in bytes, a multiple of 512")
	flag.IntVar(&opts.PageSize, "page-size", 1000, "directory entries per getListing call")
	flag.StringVar(&opts.Owner, "owner", "hdfs", "owner reported for every file")
	flag.BoolVar(&opts.Standby, "standby", false, "refuse every call as a standby NameNode")
	deny := flag.String("deny", "", "paths on which access is denied")
	drop := flag.String("drop", "", "paths whose DataNode reads drop the connection")
	stall := flag.String("stall", "", "paths whose DataNode reads stall")
	bad := flag.String("bad-checksum", "", "paths whose DataNode reads send bad checksums")
	flag.Int64Var(&opts.FaultOffset, "fault-offset", 0, "block offset from which -drop, -stall and -bad-checksum take effect")
	verbose := flag.Bool("v", false, "log protocol errors and injected faults")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}

	opts.Faults = map[string]fakehdfs.Fault{}
	for list, f := range map[*string]fakehdfs.Fault{deny: fakehdfs.Deny, drop: fakehdfs.DropConnection, stall: fakehdfs.Stall, bad: fakehdfs.BadChecksum} {
		for _, p := range strings.Split(*list, ",") {
			if p = strings.TrimSpace(p); p != "" {
				opts.Faults[p] = f
			}
		}
	}
	if *verbose {
		opts.Logf = log.Printf
	}

	srv, err := fakehdfs.Start(*root, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("NAMENODE=%s\n", srv.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		log.Fatal(err)
	}
}
