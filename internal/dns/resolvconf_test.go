package dns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseResolvConf(t *testing.T) {
	in := `# comment
; other comment
nameserver 10.0.0.2
nameserver 10.0.0.3
search old.example
search corp.example. . lab.example
options ndots:2 timeout:1
options ndots:3 rotate
`
	got, err := ParseResolvConf(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := HostResolv{
		Servers:  []string{"10.0.0.2", "10.0.0.3"},
		Searches: []string{"corp.example", "lab.example"},
		Options:  []string{"ndots:3", "timeout:1", "rotate"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParseResolvConf(strings.NewReader("nameserver\n")); err == nil {
		t.Error("nameserver without address: want an error")
	}
}

func TestPodResolvConf(t *testing.T) {
	host := HostResolv{Servers: []string{"10.0.0.2"}, Searches: []string{"corp.example"}, Options: []string{"timeout:1"}}
	clusterDNS := []string{"169.254.20.10"}
	clusterSearch := []string{"ns1.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"}
	two := "2"
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf("s%d.example", i)
	}
	tests := []struct {
		name        string
		policy      corev1.DNSPolicy
		hostNetwork bool
		clusterDNS  []string
		config      *corev1.PodDNSConfig
		servers     []string
		searches    []string
		options     []string
	}{
		{name: "unset means ClusterFirst", clusterDNS: clusterDNS,
			servers: clusterDNS, searches: clusterSearch, options: []string{"ndots:5"}},
		{name: "ClusterFirst", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS,
			servers: clusterDNS, searches: clusterSearch, options: []string{"ndots:5"}},
		{name: "ClusterFirst on host network is Default", policy: corev1.DNSClusterFirst, hostNetwork: true, clusterDNS: clusterDNS,
			servers: host.Servers, searches: host.Searches, options: host.Options},
		{name: "ClusterFirstWithHostNet", policy: corev1.DNSClusterFirstWithHostNet, hostNetwork: true, clusterDNS: clusterDNS,
			servers: clusterDNS, searches: clusterSearch, options: []string{"ndots:5"}},
		{name: "ClusterFirst without cluster DNS falls back to host", policy: corev1.DNSClusterFirst,
			servers: host.Servers, searches: host.Searches, options: host.Options},
		{name: "Default", policy: corev1.DNSDefault, clusterDNS: clusterDNS,
			servers: host.Servers, searches: host.Searches, options: host.Options},
		{name: "None uses only dnsConfig", policy: corev1.DNSNone, clusterDNS: clusterDNS,
			config:  &corev1.PodDNSConfig{Nameservers: []string{"1.2.3.4"}, Searches: []string{"a.example"}, Options: []corev1.PodDNSConfigOption{{Name: "edns0"}}},
			servers: []string{"1.2.3.4"}, searches: []string{"a.example"}, options: []string{"edns0"}},
		{name: "None without dnsConfig is empty", policy: corev1.DNSNone, clusterDNS: clusterDNS},
		{name: "dnsConfig merges, dedups and overrides options", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS,
			config: &corev1.PodDNSConfig{
				Nameservers: []string{"169.254.20.10", "1.2.3.4"},
				Searches:    []string{"cluster.local", "b.example"},
				Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: &two}, {Name: "single-request"}},
			},
			servers: []string{"169.254.20.10", "1.2.3.4"}, searches: append(clusterSearch, "b.example"), options: []string{"ndots:2", "single-request"}},
		{name: "limits: 3 nameservers, 32 searches", policy: corev1.DNSNone,
			config:  &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"}, Searches: many},
			servers: []string{"1.1.1.1", "2.2.2.2", "3.3.3.3"}, searches: many[:32]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p"},
				Spec:       corev1.PodSpec{DNSPolicy: tc.policy, HostNetwork: tc.hostNetwork, DNSConfig: tc.config},
			}
			servers, searches, options := PodResolvConf(pod, tc.clusterDNS, "cluster.local", host)
			got := [][]string{servers, searches, options}
			want := [][]string{tc.servers, tc.searches, tc.options}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("servers, searches, options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodResolvConfSearchChars(t *testing.T) {
	long := strings.Repeat("x", 250)
	var searches []string
	for i := range 10 {
		searches = append(searches, fmt.Sprintf("%s%d.example", long, i))
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Searches: searches}}}
	_, got, _ := PodResolvConf(pod, nil, "cluster.local", HostResolv{})
	if n := len(strings.Join(got, " ")); n > 2048 || len(got) != 7 {
		t.Errorf("kept %d searches of %d characters, want 7 within 2048", len(got), n)
	}
}
