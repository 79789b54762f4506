package discovery

import (
	"slices"
	"strings"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func slice(mut func(*discoveryv1.EndpointSlice)) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "s", Namespace: "ns", Generation: 1, ResourceVersion: "1"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Hostname: new("a")}},
		Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(80))}, {Port: new(int32(81))}},
	}
	if mut != nil {
		mut(s)
	}
	Strategies()["endpointslices"].Default(s)
	return s
}

func TestDefault(t *testing.T) {
	s := slice(nil)
	for _, p := range s.Ports {
		if p.Name == nil || p.Protocol == nil || *p.Protocol != corev1.ProtocolTCP {
			t.Errorf("port not defaulted: %+v", p)
		}
	}
	if s.Endpoints[0].Conditions.Ready != nil {
		t.Error("conditions must stay nil")
	}
}

func TestValidate(t *testing.T) {
	udpx := corev1.Protocol("UDPX")
	cases := []struct {
		name string
		mut  func(*discoveryv1.EndpointSlice)
		want []string
	}{
		{"valid", nil, nil},
		{"no address type", func(s *discoveryv1.EndpointSlice) { s.AddressType = "" }, []string{"addressType"}},
		{"bad address type", func(s *discoveryv1.EndpointSlice) { s.AddressType = "IP" }, []string{"addressType"}},
		{"no addresses", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = nil }, []string{"endpoints[0].addresses"}},
		{"ipv6 in ipv4", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"fd00::1"} }, []string{"endpoints[0].addresses[0]"}},
		{"loopback", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"127.0.0.1"} }, []string{"endpoints[0].addresses[0]"}},
		{"not an ip", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"a.b"} }, []string{"endpoints[0].addresses[0]"}},
		{"fqdn", func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeFQDN
			s.Endpoints[0].Addresses = []string{"example.com"}
		}, nil},
		{"ipv6", func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeIPv6
			s.Endpoints[0].Addresses = []string{"fd00::1"}
		}, nil},
		{"too many endpoints", func(s *discoveryv1.EndpointSlice) {
			s.Endpoints = make([]discoveryv1.Endpoint, maxEndpoints+1)
		}, []string{"endpoints"}},
		{"too many addresses", func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = slices.Repeat([]string{"10.0.0.1"}, maxAddresses+1)
		}, []string{"endpoints[0].addresses"}},
		{"bad hostname", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Hostname = new("A_B") }, []string{"endpoints[0].hostname"}},
		{"port out of range", func(s *discoveryv1.EndpointSlice) { s.Ports[0].Port = new(int32(65536)) }, []string{"ports[0].port"}},
		{"bad protocol", func(s *discoveryv1.EndpointSlice) { s.Ports[0].Protocol = &udpx }, []string{"ports[0].protocol"}},
		{"bad port name", func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = new(strings.Repeat("a", 64)) }, []string{"ports[0].name"}},
		{"duplicate port name", func(s *discoveryv1.EndpointSlice) { s.Ports[1].Name = new("http") }, []string{"ports[1].name"}},
	}
	st := Strategies()["endpointslices"]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(st.Validate(slice(c.mut))); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	st := Strategies()["endpointslices"]
	old := slice(nil)
	next := slice(func(s *discoveryv1.EndpointSlice) {
		s.AddressType = discoveryv1.AddressTypeIPv6
		s.Endpoints[0].Addresses = []string{"fd00::1"}
	})
	if got := resttest.Paths(st.ValidateUpdate(next, old)); !slices.Equal(got, []string{"addressType"}) {
		t.Errorf("immutable addressType: got %v", got)
	}
	st.PrepareForUpdate(next, old)
	if next.Generation != 2 {
		t.Errorf("generation %d after an endpoints change, want 2", next.Generation)
	}
	same := slice(func(s *discoveryv1.EndpointSlice) { s.Labels = map[string]string{"a": "b"} })
	st.PrepareForUpdate(same, old)
	if same.Generation != 1 {
		t.Errorf("generation %d after a label change, want 1", same.Generation)
	}
}
