package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/knftables"

	"github.com/skiff-sh/skiff/internal/proxy"
)

// syncDone is one sync the proxy reported.
type syncDone struct {
	full bool
	took time.Duration
	err  error
	at   time.Time
}

// proxyRun is a Proxier running against the benchmark's server.
type proxyRun struct {
	syncs chan syncDone
	stop  func() error
}

// startProxy runs a Proxier on the real nftables of this (throwaway)
// network namespace, reporting every sync to syncs.
func startProxy(ctx context.Context, rc *rest.Config) (*proxyRun, error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	pr := &proxyRun{syncs: make(chan syncDone, 64)}
	p, err := proxy.New(proxy.Config{
		Client: cs, NodeName: "bench-node", NodeIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		// No periodic full sync may land among the timed partial ones.
		SyncPeriod: time.Hour,
		Log:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		SyncHook: func(full bool, took time.Duration, err error) {
			pr.syncs <- syncDone{full: full, took: took, err: err, at: time.Now()}
		},
	})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	pr.stop = func() error {
		cancel()
		// Drain so a sync in progress can report and Run can return.
		for {
			select {
			case err := <-done:
				return err
			case <-pr.syncs:
			}
		}
	}
	return pr, nil
}

// next waits for the next sync of the given kind.
func (pr *proxyRun) next(ctx context.Context, full bool) (syncDone, error) {
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case s := <-pr.syncs:
			if s.err != nil {
				return s, s.err
			}
			if s.full == full {
				return s, nil
			}
		case <-timeout:
			return syncDone{}, fmt.Errorf("no sync (full=%v) within 5m", full)
		case <-ctx.Done():
			return syncDone{}, ctx.Err()
		}
	}
}

// measureProxy times the first full sync, then Changes updates of one
// EndpointSlice each up to the end of the partial sync that applied it.
func measureProxy(ctx context.Context, rc *rest.Config, c NetworkCase, changes int, r *NetworkCaseReport, out io.Writer) (err error) {
	start := time.Now()
	pr, err := startProxy(ctx, rc)
	if err != nil {
		return err
	}
	defer func() {
		if serr := pr.stop(); err == nil {
			err = serr
		}
	}()
	first, err := pr.next(ctx, true)
	if err != nil {
		return err
	}
	r.FullSync = SyncFigures{TotalMs: ms(first.at.Sub(start)), NftMs: ms(first.took)}
	fmt.Fprintf(out, "  full sync: %.0f ms from start (%.0f ms in nftables)\n", r.FullSync.TotalMs, r.FullSync.NftMs)
	lat, took, err := timeChanges(ctx, rc, pr, c, changes)
	if err != nil {
		return err
	}
	r.Change = ChangeFigures{Changes: changes, P50Ms: ms(percentile(lat, 50)), P99Ms: ms(percentile(lat, 99)),
		SyncP50Ms: ms(percentile(took, 50)), SyncP99Ms: ms(percentile(took, 99))}
	fmt.Fprintf(out, "  %d slice changes: p50 %.1f ms, p99 %.1f ms\n", changes, r.Change.P50Ms, r.Change.P99Ms)
	return checkEndpointChains(ctx, c.Endpoints+changes%2)
}

// timeChanges adds an endpoint to svc-0's slice and removes it again,
// changes times in all, one at a time, and returns for each the time
// from the API write to the end of the partial sync, and that sync's
// own duration.
func timeChanges(ctx context.Context, rc *rest.Config, pr *proxyRun, c NetworkCase, changes int) (lat, took []time.Duration, err error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, err
	}
	slices := cs.DiscoveryV1().EndpointSlices(netBenchNS)
	s, err := slices.Get(ctx, netBenchService(0)+"-bench", metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	ips := make([]netip.Addr, c.Endpoints)
	for j := range ips {
		ips[j] = endpointIP(j)
	}
	extra := netip.MustParseAddr("10.45.0.1")
	for i := range changes {
		want := ips
		if i%2 == 0 {
			want = append(ips[:len(ips):len(ips)], extra)
		}
		setEndpoints(s, want)
		written := time.Now()
		if s, err = slices.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return nil, nil, fmt.Errorf("change %d: %w", i, err)
		}
		done, err := pr.next(ctx, false)
		if err != nil {
			return nil, nil, fmt.Errorf("change %d: %w", i, err)
		}
		lat = append(lat, done.at.Sub(written))
		took = append(took, done.took)
	}
	return lat, took, nil
}

// checkEndpointChains reads the kernel's table to confirm svc-0 has the
// endpoint chains the last change left, so the timed syncs did land.
func checkEndpointChains(ctx context.Context, want int) error {
	nft, err := knftables.New(knftables.IPv4Family, proxy.DefaultTable)
	if err != nil {
		return err
	}
	chains, err := nft.List(ctx, "chain")
	if err != nil {
		return err
	}
	prefix := fmt.Sprintf("endpoint-%s/%s/tcp/%s__", netBenchNS, netBenchService(0), netBenchPort)
	got := 0
	for _, ch := range chains {
		if strings.HasPrefix(ch, prefix) {
			got++
		}
	}
	if got != want {
		return fmt.Errorf("table %s: %d endpoint chains of %s, want %d", proxy.DefaultTable, got, netBenchService(0), want)
	}
	return nil
}
