package dns

import (
	"context"
	"net"
	"strings"

	"github.com/miekg/dns"
)

// maxCNAMEHops bounds how far an ExternalName answer is followed.
const maxCNAMEHops = 8

// handler answers one query: from the cluster zone, or from upstream.
type handler struct {
	zone *zone
	fwd  *forwarder
	ctx  context.Context
}

func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	var resp *dns.Msg
	switch {
	case req.Opcode != dns.OpcodeQuery:
		resp = new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented)
	case len(req.Question) != 1:
		resp = new(dns.Msg).SetRcode(req, dns.RcodeFormatError)
	default:
		resp = h.resolve(req)
	}
	resp.RecursionAvailable = true
	_ = w.WriteMsg(fit(resp, req, isTCP(w)))
}

func (h *handler) resolve(req *dns.Msg) *dns.Msg {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if h.zone.contains(name) {
		return h.followCNAME(req, h.local(req, h.zone.answer(name, q.Qtype)))
	}
	if res, ok := h.zone.reverse(name, q.Qtype); ok {
		return h.local(req, res)
	}
	up := h.fwd.forward(h.ctx, req)
	if up == nil {
		return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
	}
	up.Id = req.Id
	up.Question = req.Question
	return up
}

// local turns a zone result into an authoritative reply; negative
// answers carry the zone's SOA so resolvers can cache them.
func (h *handler) local(req *dns.Msg, res result) *dns.Msg {
	m := new(dns.Msg).SetRcode(req, res.rcode)
	m.Authoritative = true
	m.Answer, m.Extra = res.answer, res.extra
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{h.zone.soa()}
	}
	return m
}

// followCNAME appends the records of an ExternalName's target, resolved
// in the zone or upstream, as CoreDNS does for non-CNAME questions.
func (h *handler) followCNAME(req *dns.Msg, m *dns.Msg) *dns.Msg {
	qtype := req.Question[0].Qtype
	if qtype == dns.TypeCNAME || qtype == dns.TypeANY {
		return m
	}
	for hop := 0; hop < maxCNAMEHops && len(m.Answer) > 0; hop++ {
		cname, ok := m.Answer[len(m.Answer)-1].(*dns.CNAME)
		if !ok {
			break
		}
		sub := req.Copy()
		sub.Question[0].Name = cname.Target
		var next []dns.RR
		if h.zone.contains(cname.Target) {
			next = h.zone.answer(cname.Target, qtype).answer
		} else if up := h.fwd.forward(h.ctx, sub); up != nil {
			next = up.Answer
		}
		if len(next) == 0 {
			break
		}
		m.Answer = append(m.Answer, next...)
		m.Ns = nil
	}
	return m
}

// fit sets the reply's EDNS0 to match the request and truncates it, with
// TC set, to what the client can receive.
func fit(resp, req *dns.Msg, tcp bool) *dns.Msg {
	extra := resp.Extra[:0:0]
	for _, rr := range resp.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	resp.Extra = extra
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(size, int(opt.UDPSize()))
		resp.SetEdns0(upstreamUDPSize, opt.Do())
	}
	if tcp {
		size = dns.MaxMsgSize
	}
	resp.Truncate(size)
	return resp
}

func isTCP(w dns.ResponseWriter) bool {
	_, ok := w.LocalAddr().(*net.TCPAddr)
	return ok
}
