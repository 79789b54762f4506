package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/skiff-sh/skiff/internal/bench"
)

// runBenchNetwork runs `skiff bench network`: the service proxy on real
// nftables and the cluster DNS, in a network namespace of its own that
// this command re-executes itself into.
func runBenchNetwork(ctx context.Context, args []string) error {
	opts := bench.DefaultNetworkOptions()
	var out string
	services, endpoints := "1000,10000", "10,1"
	fs := flag.NewFlagSet("skiff bench network", flag.ContinueOnError)
	fs.StringVar(&services, "services", services, "Services of each case, comma-separated")
	fs.StringVar(&endpoints, "endpoints", endpoints, "endpoints per Service of each case, comma-separated, one per --services entry")
	fs.IntVar(&opts.Changes, "changes", opts.Changes, "EndpointSlice updates timed until their rules are in place")
	fs.DurationVar(&opts.DNSDuration, "dns-duration", opts.DNSDuration, "how long each DNS load runs")
	fs.IntVar(&opts.DNSClients, "dns-clients", opts.DNSClients, "concurrent clients of the second DNS load")
	fs.StringVar(&out, "out", "bench-network.json", "where the JSON report goes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cases, err := networkCases(services, endpoints)
	if err != nil {
		return err
	}
	opts.Cases = cases
	if !bench.InOwnNetns() {
		return bench.RunInOwnNetns(ctx, append([]string{"bench", "network"}, args...), os.Stdout, os.Stderr)
	}
	r, err := bench.RunNetwork(ctx, opts, os.Stderr)
	return report(r, err, out)
}

// networkCases pairs the --services and --endpoints lists.
func networkCases(services, endpoints string) ([]bench.NetworkCase, error) {
	s, e := strings.Split(services, ","), strings.Split(endpoints, ",")
	if len(s) != len(e) {
		return nil, fmt.Errorf("--services has %d entries, --endpoints %d", len(s), len(e))
	}
	cases := make([]bench.NetworkCase, len(s))
	for i := range s {
		ns, err := strconv.Atoi(s[i])
		if err != nil || ns < 1 {
			return nil, fmt.Errorf("--services entry %q: want a positive number", s[i])
		}
		ne, err := strconv.Atoi(e[i])
		if err != nil || ne < 1 {
			return nil, fmt.Errorf("--endpoints entry %q: want a positive number", e[i])
		}
		cases[i] = bench.NetworkCase{Services: ns, Endpoints: ne}
	}
	return cases, nil
}
