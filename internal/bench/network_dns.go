package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/dns"
)

// measureDNS serves cluster DNS on loopback and loads it for
// opts.DNSDuration from one client, then from opts.DNSClients.
func measureDNS(ctx context.Context, rc *rest.Config, c NetworkCase, opts NetworkOptions, r *NetworkCaseReport, out io.Writer) error {
	addr, stop, err := startDNS(ctx, rc)
	if err != nil {
		return err
	}
	defer stop()
	for _, clients := range []int{1, opts.DNSClients} {
		load, err := loadDNS(ctx, addr, c.Services, clients, opts.DNSDuration)
		if err != nil {
			return err
		}
		r.DNS = append(r.DNS, load)
		fmt.Fprintf(out, "  dns, %d clients: %.0f queries/s, p50 %.2f ms, p99 %.2f ms\n", clients, load.QPS, load.P50Ms, load.P99Ms)
	}
	return nil
}

// startDNS runs the cluster DNS on a free loopback port until stop.
func startDNS(ctx context.Context, rc *rest.Config) (string, func(), error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return "", nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	srv, err := dns.New(dns.Config{
		Client: cs, Addrs: []string{addr},
		// Never read the host's resolv.conf: only cluster names are asked.
		Upstreams: []string{"127.0.0.1:1"},
		Log:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return "", nil, err
	}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(dctx) }()
	select {
	case <-srv.Ready():
		return addr, func() { cancel(); <-done }, nil
	case err := <-done:
		cancel()
		return "", nil, fmt.Errorf("dns server: %w", err)
	}
}

// loadDNS queries A records of random benchmark Services from clients
// goroutines, each with its own UDP socket, for d.
func loadDNS(ctx context.Context, addr string, services, clients int, d time.Duration) (DNSFigures, error) {
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			lat, err := dnsClient(ctx, addr, services, deadline)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	start := time.Now()
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return DNSFigures{}, firstErr
	}
	return DNSFigures{Clients: clients, Queries: len(all), QPS: float64(len(all)) / elapsed.Seconds(),
		P50Ms: ms(percentile(all, 50)), P99Ms: ms(percentile(all, 99))}, nil
}

// dnsClient asks until deadline; any answer other than one A record
// is an error, since every name asked exists.
func dnsClient(ctx context.Context, addr string, services int, deadline time.Time) ([]time.Duration, error) {
	c := &mdns.Client{Net: "udp", Timeout: 2 * time.Second}
	conn, err := c.DialContext(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var lat []time.Duration
	m := new(mdns.Msg)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		name := fmt.Sprintf("%s.%s.svc.cluster.local.", netBenchService(rand.IntN(services)), netBenchNS)
		m.SetQuestion(name, mdns.TypeA)
		resp, rtt, err := c.ExchangeWithConnContext(ctx, m, conn)
		if err != nil {
			return lat, fmt.Errorf("query %s: %w", name, err)
		}
		if resp.Rcode != mdns.RcodeSuccess || len(resp.Answer) != 1 {
			return lat, fmt.Errorf("query %s: rcode %s, %d answers", name, mdns.RcodeToString[resp.Rcode], len(resp.Answer))
		}
		lat = append(lat, rtt)
	}
	return lat, nil
}
