package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// reverse answers a reverse name (lower case FQDN) if the address belongs
// to a service or a headless endpoint; ok is false for any other name,
// which then goes upstream.
func (z *zone) reverse(name string, qtype uint16) (res result, ok bool) {
	a, ok := parseReverse(name)
	if !ok {
		return result{}, false
	}
	targets := z.store.reverse(a)
	if len(targets) == 0 {
		return result{}, false
	}
	if qtype != dns.TypePTR && qtype != dns.TypeANY {
		return result{}, true
	}
	for _, t := range targets {
		host := t.svc + "." + t.ns + ".svc." + z.domain
		if t.label != "" {
			host = t.label + "." + host
		}
		res.answer = append(res.answer, &dns.PTR{Hdr: hdr(name, dns.TypePTR), Ptr: host})
	}
	return res, true
}

// parseReverse reads the address of a full in-addr.arpa or ip6.arpa name.
func parseReverse(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa."); ok {
		octets := strings.Split(rest, ".")
		if len(octets) != 4 {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(octets[3] + "." + octets[2] + "." + octets[1] + "." + octets[0])
		return a, err == nil
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa."); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) != 32 {
			return netip.Addr{}, false
		}
		var b strings.Builder
		for i := 31; i >= 0; i-- {
			b.WriteString(nibbles[i])
			if i%4 == 0 && i > 0 {
				b.WriteByte(':')
			}
		}
		a, err := netip.ParseAddr(b.String())
		return a, err == nil && a.Is6()
	}
	return netip.Addr{}, false
}
