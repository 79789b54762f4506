package library

import (
	"fmt"
	"net/netip"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// CIDRType is the CEL type of cidr(): Kubernetes' net.CIDR.
var CIDRType = cel.ObjectType("net.CIDR")

// CIDR is Kubernetes' CIDR library: cidr(), isCIDR(), string(cidr),
// containsIP, containsCIDR, ip, masked and prefixLength.
func CIDR() cel.EnvOption {
	c := []*cel.Type{CIDRType}
	return cel.Lib(lib{
		cel.Function("cidr", cel.Overload("string_to_cidr", []*cel.Type{cel.StringType}, CIDRType, fromString(parseCIDR, newCIDR))),
		cel.Function("isCIDR", cel.Overload("is_cidr_string", []*cel.Type{cel.StringType}, cel.BoolType, parses(parseCIDR))),
		cel.Function("string", cel.Overload("cidr_to_string", c, cel.StringType, cidrUnary(func(p netip.Prefix) ref.Val { return types.String(p.String()) }))),
		cel.Function("containsIP",
			cel.MemberOverload("cidr_contains_ip_string", []*cel.Type{CIDRType, cel.StringType}, cel.BoolType, cidrBinary(containsIP)),
			cel.MemberOverload("cidr_contains_ip_ip", []*cel.Type{CIDRType, IPType}, cel.BoolType, cidrBinary(containsIP))),
		cel.Function("containsCIDR",
			cel.MemberOverload("cidr_contains_cidr_string", []*cel.Type{CIDRType, cel.StringType}, cel.BoolType, cidrBinary(containsCIDR)),
			cel.MemberOverload("cidr_contains_cidr", []*cel.Type{CIDRType, CIDRType}, cel.BoolType, cidrBinary(containsCIDR))),
		cel.Function("ip", cel.MemberOverload("cidr_ip", c, IPType, cidrUnary(func(p netip.Prefix) ref.Val { return newIP(p.Addr()) }))),
		cel.Function("masked", cel.MemberOverload("cidr_masked", c, CIDRType, cidrUnary(func(p netip.Prefix) ref.Val { return newCIDR(p.Masked()) }))),
		cel.Function("prefixLength", cel.MemberOverload("cidr_prefix_length", c, cel.IntType, cidrUnary(func(p netip.Prefix) ref.Val { return types.Int(p.Bits()) }))),
	})
}

// parseCIDR accepts an IPv4 or IPv6 prefix with Kubernetes' address rules
// (no zone, no IPv4-mapped IPv6). Host bits may be set: masked() clears them.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network address parse error during conversion from CIDR: %v", err)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", s)
	}
	return p, nil
}

func cidrArg(v ref.Val) (netip.Prefix, ref.Val) {
	if p, ok := unwrap[netip.Prefix](v, CIDRType); ok {
		return p, nil
	}
	s, err := stringArg(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	p, perr := parseCIDR(s)
	if perr != nil {
		return netip.Prefix{}, types.WrapErr(perr)
	}
	return p, nil
}

func containsIP(p netip.Prefix, v ref.Val) ref.Val {
	a, ok := unwrap[netip.Addr](v, IPType)
	if !ok {
		s, err := stringArg(v)
		if err != nil {
			return err
		}
		var perr error
		if a, perr = parseIP(s); perr != nil {
			return types.WrapErr(perr)
		}
	}
	return types.Bool(p.Contains(a))
}

func containsCIDR(p netip.Prefix, v ref.Val) ref.Val {
	q, err := cidrArg(v)
	if err != nil {
		return err
	}
	return types.Bool(q.Bits() >= p.Bits() && p.Contains(q.Addr()))
}

func newCIDR(p netip.Prefix) ref.Val {
	return opaque[netip.Prefix]{v: p, typ: CIDRType, equal: func(a, b netip.Prefix) bool { return a == b }}
}

func cidrUnary(f func(netip.Prefix) ref.Val) cel.OverloadOpt { return member(CIDRType, f) }

func cidrBinary(f func(netip.Prefix, ref.Val) ref.Val) cel.OverloadOpt {
	return cel.BinaryBinding(func(x, y ref.Val) ref.Val {
		p, ok := unwrap[netip.Prefix](x, CIDRType)
		if !ok {
			return types.MaybeNoSuchOverloadErr(x)
		}
		return f(p, y)
	})
}
