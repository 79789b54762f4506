package dns

import (
	"context"
	"log/slog"
	"time"

	"github.com/miekg/dns"
)

// upstreamUDPSize is the EDNS0 buffer size advertised to upstreams
// (the DNS flag day 2020 recommendation).
const upstreamUDPSize = 1232

// forwarder sends names outside the cluster zone to the upstreams in
// order, over UDP and again over TCP when the answer is truncated.
type forwarder struct {
	upstreams []string
	cache     *answerCache
	udp, tcp  *dns.Client
	log       *slog.Logger
}

func newForwarder(upstreams []string, c *answerCache, log *slog.Logger) *forwarder {
	const timeout = 2 * time.Second
	return &forwarder{
		upstreams: upstreams,
		cache:     c,
		udp:       &dns.Client{Net: "udp", UDPSize: upstreamUDPSize, Timeout: timeout},
		tcp:       &dns.Client{Net: "tcp", Timeout: timeout},
		log:       log,
	}
}

// forward returns the upstream answer to req's question, from the cache
// when possible, or nil when no upstream answered. Upstreams are tried in
// order until one answers with something other than SERVFAIL or REFUSED.
func (f *forwarder) forward(ctx context.Context, req *dns.Msg) *dns.Msg {
	q := req.Question[0]
	do := req.IsEdns0() != nil && req.IsEdns0().Do()
	key := keyOf(q, do)
	if m := f.cache.get(key); m != nil {
		return m
	}
	out := new(dns.Msg)
	out.SetQuestion(q.Name, q.Qtype)
	out.Question[0].Qclass = q.Qclass
	out.CheckingDisabled = req.CheckingDisabled
	out.SetEdns0(upstreamUDPSize, do)
	var failed *dns.Msg // a SERVFAIL or REFUSED answer, kept if no upstream does better
	for _, up := range f.upstreams {
		m, err := f.exchange(ctx, out, up)
		if err != nil {
			f.log.Debug("upstream query", "upstream", up, "name", q.Name, "err", err)
			continue
		}
		if m.Rcode == dns.RcodeServerFailure || m.Rcode == dns.RcodeRefused {
			failed = m
			continue
		}
		f.cache.put(key, m)
		return m
	}
	return failed
}

func (f *forwarder) exchange(ctx context.Context, m *dns.Msg, upstream string) (*dns.Msg, error) {
	r, _, err := f.udp.ExchangeContext(ctx, m, upstream)
	if err == nil && r.Truncated {
		r, _, err = f.tcp.ExchangeContext(ctx, m, upstream)
	}
	return r, err
}
