package dns

import (
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

const (
	// maxNegativeTTL caps how long NXDOMAIN and NODATA answers are cached.
	maxNegativeTTL = 5 * time.Second
	// maxCacheEntries bounds memory; a full cache evicts an arbitrary entry.
	maxCacheEntries = 10000
)

// answerCache keeps upstream answers for their TTL, capped by maxTTL.
type answerCache struct {
	maxTTL time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	name          string // lower case
	qtype, qclass uint16
	do            bool // DNSSEC records requested
}

type cacheEntry struct {
	msg             *dns.Msg
	stored, expires time.Time
}

func newCache(maxTTL time.Duration) *answerCache {
	return &answerCache{maxTTL: maxTTL, now: time.Now, entries: map[cacheKey]cacheEntry{}}
}

func keyOf(q dns.Question, do bool) cacheKey {
	return cacheKey{name: strings.ToLower(q.Name), qtype: q.Qtype, qclass: q.Qclass, do: do}
}

// get returns a copy of a live entry with TTLs lowered by its age, or nil.
func (c *answerCache) get(k cacheKey) *dns.Msg {
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	now := c.now()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	m := e.msg.Copy()
	age := uint32(now.Sub(e.stored) / time.Second)
	for _, rrs := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range rrs {
			if h := rr.Header(); h.Rrtype != dns.TypeOPT {
				h.Ttl -= min(h.Ttl, age)
			}
		}
	}
	return m
}

func (c *answerCache) put(k cacheKey, m *dns.Msg) {
	ttl := c.ttlOf(m)
	if ttl <= 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= maxCacheEntries {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = cacheEntry{msg: m.Copy(), stored: now, expires: now.Add(ttl)}
}

// ttlOf is how long m may be cached: the smallest record TTL, or for a
// negative answer the SOA's negative TTL (RFC 2308), within the caps.
// Failures and truncated answers are not cached.
func (c *answerCache) ttlOf(m *dns.Msg) time.Duration {
	if m.Truncated || (m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError) {
		return 0
	}
	if m.Rcode == dns.RcodeNameError || len(m.Answer) == 0 {
		ttl := maxNegativeTTL
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl = min(ttl, time.Duration(min(soa.Hdr.Ttl, soa.Minttl))*time.Second)
			}
		}
		return min(ttl, c.maxTTL)
	}
	ttl := c.maxTTL
	for _, rrs := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range rrs {
			if h := rr.Header(); h.Rrtype != dns.TypeOPT {
				ttl = min(ttl, time.Duration(h.Ttl)*time.Second)
			}
		}
	}
	return ttl
}
