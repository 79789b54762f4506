package servicelb

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addrs lists every address of p in order.
func addrs(p Pool) []string {
	var out []string
	p.each(func(a netip.Addr) bool {
		out = append(out, a.String())
		return false
	})
	return out
}

func TestParsePool(t *testing.T) {
	tests := []struct {
		name  string
		specs []string
		want  []string
	}{
		{"cidr skips network and broadcast", []string{"192.168.50.0/29"},
			[]string{"192.168.50.1", "192.168.50.2", "192.168.50.3", "192.168.50.4", "192.168.50.5", "192.168.50.6"}},
		{"unmasked cidr", []string{"10.0.0.5/30"}, []string{"10.0.0.5", "10.0.0.6"}},
		{"/31 has both addresses", []string{"10.0.0.4/31"}, []string{"10.0.0.4", "10.0.0.5"}},
		{"/32 is one address", []string{"10.0.0.9/32"}, []string{"10.0.0.9"}},
		{"range is inclusive", []string{"172.16.0.254-172.16.1.1"},
			[]string{"172.16.0.254", "172.16.0.255", "172.16.1.0", "172.16.1.1"}},
		{"several ranges in order", []string{"10.0.0.1-10.0.0.2", "10.0.0.9/32"}, []string{"10.0.0.1", "10.0.0.2", "10.0.0.9"}},
		{"range then cidr", []string{" 10.0.1.1-10.0.1.1 ", "10.0.2.0/30"}, []string{"10.0.1.1", "10.0.2.1", "10.0.2.2"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePool(tt.specs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, addrs(p)); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if p.Empty() != (len(tt.want) == 0) {
				t.Errorf("Empty() = %v", p.Empty())
			}
		})
	}
}

func TestParsePoolErrors(t *testing.T) {
	for _, specs := range [][]string{
		{"10.0.0.0/33"},
		{"fd00::/120"},
		{"10.0.0.5-10.0.0.1"},
		{"10.0.0.1-fd00::1"},
		{"10.0.0.1"},
		{"banana"},
		{"10.0.0.0/24", "10.0.0.100-10.0.1.5"},
		{"10.0.0.10-10.0.0.20", "10.0.0.0/24"},
	} {
		if _, err := ParsePool(specs); err == nil {
			t.Errorf("ParsePool(%q) succeeded", specs)
		}
	}
}
