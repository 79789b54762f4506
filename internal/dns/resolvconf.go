package dns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Limits the kubelet applies to a pod's resolv.conf.
const (
	maxDNSNameservers     = 3
	maxDNSSearchPaths     = 32
	maxDNSSearchListChars = 2048
)

// HostResolv is the node's own resolver configuration.
type HostResolv struct{ Servers, Searches, Options []string }

// ParseResolvConf reads a resolv.conf. As in the kubelet, the last
// "search" line wins, "." and trailing dots are dropped from search
// domains, and later options override earlier ones of the same name.
func ParseResolvConf(r io.Reader) (HostResolv, error) {
	var h HostResolv
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if len(line) > 0 && (line[0] == '#' || line[0] == ';') {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "nameserver":
			if len(fields) < 2 {
				return HostResolv{}, errors.New("resolv.conf: nameserver line without an address")
			}
			h.Servers = append(h.Servers, fields[1])
		case "search":
			h.Searches = nil
			for _, s := range fields[1:] {
				if s != "." {
					h.Searches = append(h.Searches, strings.TrimSuffix(s, "."))
				}
			}
		case "options":
			h.Options = mergeOptions(h.Options, fields[1:])
		}
	}
	if err := sc.Err(); err != nil {
		return HostResolv{}, fmt.Errorf("resolv.conf: %w", err)
	}
	return h, nil
}

// PodResolvConf returns the nameservers, searches and options of a pod's
// resolv.conf per its dnsPolicy and dnsConfig, as the kubelet computes them.
func PodResolvConf(pod *corev1.Pod, clusterDNS []string, clusterDomain string, host HostResolv) (servers, searches, options []string) {
	switch podDNSType(pod, len(clusterDNS) > 0) {
	case dnsCluster:
		servers = clusterDNS
		searches = host.Searches
		if clusterDomain != "" {
			ns := pod.Namespace + ".svc." + clusterDomain
			searches = append([]string{ns, "svc." + clusterDomain, clusterDomain}, host.Searches...)
		}
		options = []string{"ndots:5"}
	case dnsHost:
		servers, searches, options = host.Servers, host.Searches, host.Options
	}
	if c := pod.Spec.DNSConfig; c != nil {
		servers = append(append([]string(nil), servers...), c.Nameservers...)
		searches = append(append([]string(nil), searches...), c.Searches...)
		var opts []string
		for _, o := range c.Options {
			if o.Value != nil {
				opts = append(opts, o.Name+":"+*o.Value)
			} else {
				opts = append(opts, o.Name)
			}
		}
		options = mergeOptions(options, opts)
	}
	servers = dedup(servers)
	if len(servers) > maxDNSNameservers {
		servers = servers[:maxDNSNameservers]
	}
	return servers, fitSearches(dedup(searches)), options
}

type dnsType int

const (
	dnsNone dnsType = iota
	dnsCluster
	dnsHost
)

// podDNSType maps dnsPolicy to where the pod's resolver settings come
// from. ClusterFirst means Default on the host network, and cluster
// policies fall back to the host's settings without a cluster DNS.
func podDNSType(pod *corev1.Pod, haveClusterDNS bool) dnsType {
	switch pod.Spec.DNSPolicy {
	case corev1.DNSNone:
		return dnsNone
	case corev1.DNSDefault:
		return dnsHost
	case corev1.DNSClusterFirstWithHostNet:
	default: // ClusterFirst, also when unset
		if pod.Spec.HostNetwork {
			return dnsHost
		}
	}
	if !haveClusterDNS {
		return dnsHost
	}
	return dnsCluster
}

// mergeOptions adds options ("name" or "name:value") to base; an option
// replaces an earlier one of the same name in place.
func mergeOptions(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, o := range add {
		name, _, _ := strings.Cut(o, ":")
		i := 0
		for i < len(out) {
			if n, _, _ := strings.Cut(out[i], ":"); n == name {
				break
			}
			i++
		}
		if i < len(out) {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}

// fitSearches keeps at most maxDNSSearchPaths domains within
// maxDNSSearchListChars, dropping from the end like the kubelet.
func fitSearches(s []string) []string {
	if len(s) > maxDNSSearchPaths {
		s = s[:maxDNSSearchPaths]
	}
	for len(s) > 0 && len(strings.Join(s, " ")) > maxDNSSearchListChars {
		s = s[:len(s)-1]
	}
	return s
}

func dedup(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
