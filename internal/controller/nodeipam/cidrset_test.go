package nodeipam

import (
	"net/netip"
	"testing"
)

func TestCIDRSetAllocatesDistinct(t *testing.T) {
	s, err := NewCIDRSet(netip.MustParsePrefix("10.42.0.0/16"), 24)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Occupy("old", netip.MustParsePrefix("10.42.0.0/24")) {
		t.Fatal("occupy of a free subnet refused")
	}
	if s.Occupy("other", netip.MustParsePrefix("10.42.0.0/24")) {
		t.Fatal("occupy of a held subnet accepted")
	}
	a, _ := s.Allocate("a")
	b, _ := s.Allocate("b")
	again, _ := s.Allocate("a")
	if a.String() != "10.42.1.0/24" || b.String() != "10.42.2.0/24" || again != a {
		t.Fatalf("got a=%s b=%s again=%s", a, b, again)
	}
}

func TestCIDRSetExhaustAndRelease(t *testing.T) {
	s, err := NewCIDRSet(netip.MustParsePrefix("10.0.0.0/30"), 31)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.Allocate("n1")
	if _, err := s.Allocate("n2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate("n3"); err != ErrCIDRRangeFull {
		t.Fatalf("third allocation: want full, got %v", err)
	}
	s.Release("n1")
	if got, err := s.Allocate("n3"); err != nil || got != first {
		t.Fatalf("after release: got %s %v, want %s", got, err, first)
	}
}

func TestCIDRSetIPv6AndLimits(t *testing.T) {
	s, err := NewCIDRSet(netip.MustParsePrefix("fd00:42::/56"), 64)
	if err != nil {
		t.Fatal(err)
	}
	s.Allocate("n0")
	if got, _ := s.Allocate("n1"); got.String() != "fd00:42:0:1::/64" {
		t.Fatalf("second v6 subnet = %s", got)
	}
	if _, err := NewCIDRSet(netip.MustParsePrefix("10.0.0.0/8"), 28); err == nil {
		t.Error("20 subnet bits accepted")
	}
	if _, err := NewCIDRSet(netip.MustParsePrefix("10.0.0.0/16"), 8); err == nil {
		t.Error("mask shorter than the cluster's accepted")
	}
}
