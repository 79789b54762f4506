package ingress

import (
	"crypto/tls"
	"log/slog"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// table is an immutable routing table; a new one replaces it on change.
type table struct {
	exact          map[string][]route // by host
	wildcard       map[string][]route // by the host after "*."
	any            []route            // rules without host
	defaultBackend *backend
	certs          map[string]*tls.Certificate // by host or "*.domain"
}

// lookup returns the backend for a request, or nil for 404. A host's rules
// are tried first, then wildcard rules, then rules without host, then the
// default backend.
func (t *table) lookup(hostport, path string) *backend {
	host := requestHost(hostport)
	if b := matchPath(t.exact[host], path); b != nil {
		return b
	}
	if k, ok := wildcardKey(host); ok {
		if b := matchPath(t.wildcard[k], path); b != nil {
			return b
		}
	}
	if b := matchPath(t.any, path); b != nil {
		return b
	}
	return t.defaultBackend
}

// builder assembles a table from the served Ingresses.
type builder struct {
	resolver
	secrets corelisters.SecretLister
	certs   *certCache
	log     *slog.Logger

	t           *table
	taken       map[string]bool // host + route key; the first (oldest) wins
	usedSecrets map[string]bool
}

func newTable() *table {
	return &table{exact: map[string][]route{}, wildcard: map[string][]route{}, certs: map[string]*tls.Certificate{}}
}

// build merges ings into one table; on conflicting host+path or TLS host the
// oldest Ingress wins, as ingress-nginx does.
func (bd *builder) build(ings []*networkingv1.Ingress) *table {
	sortOldestFirst(ings)
	bd.t, bd.taken, bd.usedSecrets = newTable(), map[string]bool{}, map[string]bool{}
	bd.resolver.reset()
	for _, ing := range ings {
		bd.addIngress(ing)
	}
	for _, rs := range bd.t.exact {
		sortRoutes(rs)
	}
	for _, rs := range bd.t.wildcard {
		sortRoutes(rs)
	}
	sortRoutes(bd.t.any)
	bd.certs.retain(bd.usedSecrets)
	return bd.t
}

func (bd *builder) addIngress(ing *networkingv1.Ingress) {
	if bd.t.defaultBackend == nil {
		bd.t.defaultBackend = bd.resolve(ing.Namespace, ing.Spec.DefaultBackend)
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		host := strings.ToLower(rule.Host)
		for _, p := range rule.HTTP.Paths {
			b := bd.resolve(ing.Namespace, &p.Backend)
			pt := "ImplementationSpecific"
			if p.PathType != nil {
				pt = string(*p.PathType)
			}
			r, ok := newRoute(pt, p.Path, b)
			if !ok || b == nil || bd.taken[host+" "+r.key()] {
				continue
			}
			bd.taken[host+" "+r.key()] = true
			bd.addRoute(host, r)
		}
	}
	bd.addTLS(ing)
}

func (bd *builder) addRoute(host string, r route) {
	switch {
	case host == "":
		bd.t.any = append(bd.t.any, r)
	case strings.HasPrefix(host, "*."):
		bd.t.wildcard[host[2:]] = append(bd.t.wildcard[host[2:]], r)
	default:
		bd.t.exact[host] = append(bd.t.exact[host], r)
	}
}

// addTLS maps each TLS host to its Secret's certificate. A TLS entry without
// hosts covers the hosts of the Ingress's rules.
func (bd *builder) addTLS(ing *networkingv1.Ingress) {
	for _, t := range ing.Spec.TLS {
		if t.SecretName == "" {
			continue
		}
		hosts := t.Hosts
		if len(hosts) == 0 {
			hosts = ruleHosts(ing)
		}
		cert := bd.loadCert(ing.Namespace, t.SecretName)
		if cert == nil {
			continue
		}
		for _, h := range hosts {
			h = strings.ToLower(h)
			if _, taken := bd.t.certs[h]; !taken {
				bd.t.certs[h] = cert
			}
		}
	}
}

func (bd *builder) loadCert(ns, name string) *tls.Certificate {
	s, err := bd.secrets.Secrets(ns).Get(name)
	if err != nil {
		bd.log.Debug("ingress tls secret missing", "secret", ns+"/"+name, "err", err)
		return nil
	}
	bd.usedSecrets[ns+"/"+name] = true
	cert, err := bd.certs.get(s)
	if err != nil {
		bd.log.Warn("ingress tls secret invalid", "err", err)
	}
	return cert
}

func ruleHosts(ing *networkingv1.Ingress) []string {
	var hs []string
	for _, r := range ing.Spec.Rules {
		if r.Host != "" {
			hs = append(hs, r.Host)
		}
	}
	return hs
}

func sortOldestFirst(ings []*networkingv1.Ingress) {
	sort.Slice(ings, func(i, j int) bool {
		a, b := ings[i], ings[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}
