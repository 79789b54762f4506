package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

const (
	// ttl is the TTL of every cluster record, CoreDNS's default.
	ttl = 5
	// schemaVersion is the version of the Kubernetes DNS specification served.
	schemaVersion = "1.1.0"
)

// result is an answer from the cluster zone before it becomes a message.
// An empty answer with RcodeSuccess is NODATA: the name exists but has no
// record of the asked type.
type result struct {
	rcode  int
	answer []dns.RR
	extra  []dns.RR
}

var nxdomain = result{rcode: dns.RcodeNameError}

// zone answers names under the cluster domain from the store.
type zone struct {
	domain string // lower case with trailing dot, e.g. "cluster.local."
	store  *store
	dnsIPs []netip.Addr // addresses of ns.dns.<domain>: the listen addresses
}

// contains reports whether name (lower case FQDN) is in the cluster zone.
func (z *zone) contains(name string) bool {
	return name == z.domain || strings.HasSuffix(name, "."+z.domain)
}

// answer resolves a question whose name (lower case FQDN) is in the zone.
func (z *zone) answer(name string, qtype uint16) result {
	if name == z.domain {
		return z.apex(qtype)
	}
	labels := strings.Split(strings.TrimSuffix(name, "."+z.domain), ".")
	if len(labels) == 1 && labels[0] == "dns-version" {
		return z.version(qtype)
	}
	last, rest := labels[len(labels)-1], labels[:len(labels)-1]
	switch last {
	case "svc":
		return z.services(name, qtype, rest)
	case "pod":
		return z.pod(name, qtype, rest)
	case "dns":
		return z.dnsNames(name, qtype, rest)
	}
	return nxdomain
}

func (z *zone) apex(qtype uint16) result {
	switch qtype {
	case dns.TypeSOA:
		return result{answer: []dns.RR{z.soa()}}
	case dns.TypeNS:
		ns := "ns.dns." + z.domain
		rrs, _ := addrRecords(ns, dns.TypeANY, z.dnsIPs)
		return result{answer: []dns.RR{&dns.NS{Hdr: hdr(z.domain, dns.TypeNS), Ns: ns}}, extra: rrs}
	}
	return result{}
}

// version answers dns-version.<domain> with the schema version of the
// Kubernetes DNS specification served, as CoreDNS does.
func (z *zone) version(qtype uint16) result {
	if qtype != dns.TypeTXT && qtype != dns.TypeANY {
		return result{}
	}
	return result{answer: []dns.RR{&dns.TXT{Hdr: hdr("dns-version."+z.domain, dns.TypeTXT), Txt: []string{schemaVersion}}}}
}

// soa is the zone's SOA record, shaped like CoreDNS's.
func (z *zone) soa() *dns.SOA {
	return &dns.SOA{
		Hdr: hdr(z.domain, dns.TypeSOA), Ns: "ns.dns." + z.domain, Mbox: "hostmaster." + z.domain,
		Serial: z.store.soaSerial(), Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: ttl,
	}
}

// dnsNames answers ns.dns.<domain> with the DNS server's own addresses.
func (z *zone) dnsNames(name string, qtype uint16, rest []string) result {
	switch {
	case len(rest) == 0:
		return result{}
	case len(rest) == 1 && rest[0] == "ns":
		rrs, _ := addrRecords(name, qtype, z.dnsIPs)
		return result{answer: rrs}
	}
	return nxdomain
}

// pod answers a-b-c-d.<ns>.pod.<domain> from the name alone, like
// CoreDNS's "pods insecure" mode.
func (z *zone) pod(name string, qtype uint16, rest []string) result {
	if len(rest) < 2 {
		return result{}
	}
	if len(rest) > 2 {
		return nxdomain
	}
	a, ok := parseDashed(rest[0])
	if !ok {
		return nxdomain
	}
	rrs, _ := addrRecords(name, qtype, []netip.Addr{a})
	return result{answer: rrs}
}

// parseDashed reads an address written with dashes: 10-1-2-3 or fd00--1.
func parseDashed(label string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ".")); err == nil && a.Is4() {
		return a, true
	}
	a, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ":"))
	return a, err == nil && a.Is6() && a.Zone() == ""
}

// addrRecords returns the A and AAAA records of addrs that qtype asks
// for, and whether name has any address record at all.
func addrRecords(name string, qtype uint16, addrs []netip.Addr) ([]dns.RR, bool) {
	var out []dns.RR
	for _, a := range addrs {
		switch {
		case a.Is4() && (qtype == dns.TypeA || qtype == dns.TypeANY):
			out = append(out, &dns.A{Hdr: hdr(name, dns.TypeA), A: a.AsSlice()})
		case a.Is6() && (qtype == dns.TypeAAAA || qtype == dns.TypeANY):
			out = append(out, &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	return out, len(addrs) > 0
}

func hdr(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}
