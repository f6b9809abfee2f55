// Command sumdbserver is the reference checksum database for gomodfetch's
// tests: golang.org/x/mod/sumdb's own Server over its TestServer, serving a
// fixed set of go.sum lines on 127.0.0.1. Built by the tests with `go build`
// (tests/it/support/sumdb_peer.rs); not part of gomodfetch.
//
// Usage: sumdbserver -key PRIVATE+KEY+... -sums FILE [-mount NAME] [-latency D]
//
// FILE holds go.sum lines ("path version h1:..." and "path version/go.mod
// h1:..."). Every module version in it is added to the log at start, in file
// order, so the tree is fixed before the first request. With -mount NAME the
// database is also served under /sumdb/NAME/ with /sumdb/NAME/supported, as
// a module proxy serves it. With -latency every answer is delayed by D
// (scripts/bench-vs-go). The first line on stdout is "http://ADDR".
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
)

func main() {
	key := flag.String("key", "", "signer key")
	sumsFile := flag.String("sums", "", "go.sum lines to serve")
	mount := flag.String("mount", "", "also serve under /sumdb/NAME/")
	latency := flag.Duration("latency", 0, "delay every answer by this long")
	flag.Parse()

	data, err := os.ReadFile(*sumsFile)
	if err != nil {
		log.Fatal(err)
	}
	var order []module.Version
	records := make(map[module.Version][]byte)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		m := module.Version{Path: f[0], Version: strings.TrimSuffix(f[1], "/go.mod")}
		if _, ok := records[m]; !ok {
			order = append(order, m)
		}
		records[m] = append(records[m], []byte(line+"\n")...)
	}
	gosum := func(path, vers string) ([]byte, error) {
		if r, ok := records[module.Version{Path: path, Version: vers}]; ok {
			return r, nil
		}
		return nil, os.ErrNotExist
	}
	ts := sumdb.NewTestServer(*key, gosum)
	for _, m := range order {
		if _, err := ts.Lookup(context.Background(), m); err != nil {
			log.Fatal(err)
		}
	}
	srv := sumdb.NewServer(ts)
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	if *mount != "" {
		prefix := "/sumdb/" + *mount
		mux.HandleFunc(prefix+"/supported", func(w http.ResponseWriter, r *http.Request) {})
		mux.Handle(prefix+"/", http.StripPrefix(prefix, srv))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "http://%s\n", ln.Addr())
	w.Flush()
	var handler http.Handler = mux
	if *latency > 0 {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(*latency)
			mux.ServeHTTP(w, r)
		})
	}
	log.Fatal(http.Serve(ln, handler))
}
