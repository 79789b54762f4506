package library

import (
	"fmt"
	"net/netip"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// IPType is the CEL type of ip(): Kubernetes' net.IP.
var IPType = cel.ObjectType("net.IP")

// IP is Kubernetes' IP address library: ip(), isIP(), ip.isCanonical(),
// string(ip) and the family and address-class accessors.
func IP() cel.EnvOption {
	pred := func(name string, f func(netip.Addr) bool) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("net_ip_"+name, []*cel.Type{IPType}, cel.BoolType, ipUnary(func(a netip.Addr) ref.Val { return types.Bool(f(a)) })))
	}
	return cel.Lib(lib{
		cel.Function("ip", cel.Overload("string_to_ip", []*cel.Type{cel.StringType}, IPType, fromString(parseIP, newIP))),
		cel.Function("isIP", cel.Overload("is_ip_string", []*cel.Type{cel.StringType}, cel.BoolType, parses(parseIP))),
		cel.Function("ip.isCanonical", cel.Overload("ip_is_canonical_string", []*cel.Type{cel.StringType}, cel.BoolType, fromString(func(s string) (bool, error) {
			a, err := parseIP(s)
			return err == nil && a.String() == s, err
		}, func(canonical bool) ref.Val { return types.Bool(canonical) }))),
		cel.Function("string", cel.Overload("ip_to_string", []*cel.Type{IPType}, cel.StringType, ipUnary(func(a netip.Addr) ref.Val { return types.String(a.String()) }))),
		cel.Function("family", cel.MemberOverload("net_ip_family", []*cel.Type{IPType}, cel.IntType, ipUnary(func(a netip.Addr) ref.Val {
			if a.Is4() {
				return types.Int(4)
			}
			return types.Int(6)
		}))),
		pred("isUnspecified", netip.Addr.IsUnspecified),
		pred("isLoopback", netip.Addr.IsLoopback),
		pred("isLinkLocalMulticast", netip.Addr.IsLinkLocalMulticast),
		pred("isLinkLocalUnicast", netip.Addr.IsLinkLocalUnicast),
		pred("isGlobalUnicast", netip.Addr.IsGlobalUnicast),
	})
}

// parseIP accepts what Kubernetes' library does: IPv4 without leading
// zeros or IPv6, with no zone and no IPv4-mapped IPv6 form.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("IP Address %q parse error during conversion from string: %v", s, err)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("IP address %q with zone value is not allowed", s)
	}
	if a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", s)
	}
	return a, nil
}

func newIP(a netip.Addr) ref.Val {
	return opaque[netip.Addr]{v: a, typ: IPType, equal: func(a, b netip.Addr) bool { return a == b }}
}

func ipUnary(f func(netip.Addr) ref.Val) cel.OverloadOpt { return member(IPType, f) }
