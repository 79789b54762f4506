package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// NetworkCase is one cluster size the network benchmark is run at.
type NetworkCase struct {
	Services  int // Services, each with one TCP port
	Endpoints int // ready endpoints per Service, in one EndpointSlice
}

// NetworkOptions configure `skiff bench network`.
type NetworkOptions struct {
	Cases []NetworkCase
	// Changes is how many times one EndpointSlice is updated (an
	// endpoint added, then removed again) to time change → rules.
	Changes int
	// DNSDuration is how long each DNS load runs.
	DNSDuration time.Duration
	// DNSClients is the number of concurrent clients of the second DNS load.
	DNSClients int
	// Clients are the concurrent creators of Services and EndpointSlices.
	Clients int
}

// DefaultNetworkOptions are the sizes.
func DefaultNetworkOptions() NetworkOptions {
	return NetworkOptions{
		Cases:   []NetworkCase{{Services: 1000, Endpoints: 10}, {Services: 10000, Endpoints: 1}},
		Changes: 200, DNSDuration: 10 * time.Second, DNSClients: 16, Clients: 32,
	}
}

// RunNetwork runs every case on a fresh in-process API server. It must
// run in its own network namespace (see RunInOwnNetns) as root with
// nft installed. Progress goes to out.
func RunNetwork(ctx context.Context, opts NetworkOptions, out io.Writer) (*NetworkReport, error) {
	if err := checkNetworkHost(); err != nil {
		return nil, err
	}
	r := &NetworkReport{}
	for _, c := range opts.Cases {
		fmt.Fprintf(out, "case: %d services × %d endpoints\n", c.Services, c.Endpoints)
		cr, err := runNetworkCase(ctx, opts, c, out)
		if cr != nil {
			r.Cases = append(r.Cases, *cr)
		}
		if err != nil {
			return r, fmt.Errorf("case %d×%d: %w", c.Services, c.Endpoints, err)
		}
	}
	return r, nil
}

func runNetworkCase(ctx context.Context, opts NetworkOptions, c NetworkCase, out io.Writer) (*NetworkCaseReport, error) {
	rc, stop, err := startServer(ctx, "")
	if err != nil {
		return nil, err
	}
	defer stop()
	r := &NetworkCaseReport{Services: c.Services, Endpoints: c.Endpoints}
	start := time.Now()
	if err := createNetworkObjects(ctx, rc, c, opts.Clients); err != nil {
		return nil, err
	}
	r.CreateSeconds = time.Since(start).Seconds()
	fmt.Fprintf(out, "  created in %.1fs\n", r.CreateSeconds)
	if err := measureProxy(ctx, rc, c, opts.Changes, r, out); err != nil {
		return r, fmt.Errorf("proxy: %w", err)
	}
	if err := measureDNS(ctx, rc, c, opts, r, out); err != nil {
		return r, fmt.Errorf("dns: %w", err)
	}
	return r, nil
}
