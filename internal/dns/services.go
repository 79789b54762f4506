package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// services answers names under svc.<domain>; rest holds the labels before
// "svc", left to right.
func (z *zone) services(name string, qtype uint16, rest []string) result {
	switch len(rest) {
	case 0:
		return result{}
	case 1:
		if z.store.namespaceHasServices(rest[0]) {
			return result{}
		}
		return nxdomain
	}
	n := len(rest)
	svcName, ns := rest[n-2], rest[n-1]
	v := z.store.service(ns, svcName)
	if v == nil {
		return nxdomain
	}
	svcFQDN := svcName + "." + ns + ".svc." + z.domain
	switch {
	case n == 2:
		return z.service(name, qtype, v, svcFQDN)
	case n == 3 && strings.HasPrefix(rest[0], "_"):
		return z.srv(name, qtype, v, svcFQDN, "", rest[0][1:])
	case n == 3:
		return z.endpoint(name, qtype, v, rest[0])
	case n == 4 && strings.HasPrefix(rest[0], "_") && strings.HasPrefix(rest[1], "_"):
		return z.srv(name, qtype, v, svcFQDN, rest[0][1:], rest[1][1:])
	}
	return nxdomain
}

// service answers <svc>.<ns>.svc.<domain>.
func (z *zone) service(name string, qtype uint16, v *view, svcFQDN string) result {
	switch {
	case v.svc.headless && len(v.eps) == 0:
		return nxdomain // the spec's answer when no endpoint is ready
	case v.svc.externalName != "":
		return result{answer: []dns.RR{&dns.CNAME{Hdr: hdr(name, dns.TypeCNAME), Target: v.svc.externalName}}}
	case qtype == dns.TypeSRV:
		return z.srv(name, qtype, v, svcFQDN, "", "")
	case v.svc.headless:
		var answer []dns.RR
		for _, e := range v.eps {
			rrs, _ := addrRecords(name, qtype, []netip.Addr{e.addr})
			answer = append(answer, rrs...)
		}
		return result{answer: answer}
	}
	rrs, _ := addrRecords(name, qtype, v.svc.clusterIPs)
	return result{answer: rrs}
}

// endpoint answers <hostname>.<svc>.<ns>.svc.<domain> of a headless service.
func (z *zone) endpoint(name string, qtype uint16, v *view, label string) result {
	var addrs []netip.Addr
	for _, e := range v.eps {
		if e.label == label {
			addrs = append(addrs, e.addr)
		}
	}
	if len(addrs) == 0 {
		return nxdomain
	}
	rrs, _ := addrRecords(name, qtype, addrs)
	return result{answer: rrs}
}

// srv answers SRV names of a service. Empty portName or proto match any;
// with both empty it is the service name itself, which always exists.
func (z *zone) srv(name string, qtype uint16, v *view, svcFQDN, portName, proto string) result {
	type target struct {
		host  string
		port  uint16
		addrs []netip.Addr
	}
	var targets []target
	matches := func(p port) bool {
		return (portName == "" || p.name == portName) && (proto == "" || p.proto == proto)
	}
	switch {
	case v.svc.headless:
		for _, e := range v.eps {
			for _, p := range e.ports {
				if matches(p) {
					targets = append(targets, target{e.label + "." + svcFQDN, p.port, []netip.Addr{e.addr}})
				}
			}
		}
	case v.svc.externalName == "":
		for _, p := range v.svc.ports {
			if matches(p) {
				targets = append(targets, target{svcFQDN, p.port, v.svc.clusterIPs})
			}
		}
	}
	if len(targets) == 0 && (portName != "" || proto != "") {
		return nxdomain
	}
	if qtype != dns.TypeSRV && qtype != dns.TypeANY {
		return result{}
	}
	var res result
	weight := uint16(max(1, 100/max(1, len(targets))))
	for _, t := range targets {
		res.answer = append(res.answer, &dns.SRV{Hdr: hdr(name, dns.TypeSRV), Weight: weight, Port: t.port, Target: t.host})
		glue, _ := addrRecords(t.host, dns.TypeANY, t.addrs)
		res.extra = append(res.extra, glue...)
	}
	res.extra = dns.Dedup(res.extra, nil)
	return res
}
