package library

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// env mirrors how skiff evaluates CRD rules: dynamic self, the cel-go
// extensions Kubernetes loads, and these libraries.
func env(t *testing.T) *cel.Env {
	t.Helper()
	opts := append([]cel.EnvOption{cel.Variable("self", cel.DynType), ext.Strings(), ext.Sets(), ext.Lists(), cel.OptionalTypes()}, Kubernetes()...)
	e, err := cel.NewEnv(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func eval(t *testing.T, e *cel.Env, expr string, self any) (any, error) {
	t.Helper()
	ast, iss := e.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("%s: compile: %v", expr, iss.Err())
	}
	prg, err := e.Program(ast)
	if err != nil {
		t.Fatalf("%s: program: %v", expr, err)
	}
	out, _, err := prg.Eval(map[string]any{"self": self})
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

func TestLibrariesEvaluate(t *testing.T) {
	e := env(t)
	self := map[string]any{
		"names":   []any{"a", "b", "c"},
		"weights": []any{0.25, 0.75},
		"counts":  []any{int64(3), int64(1), int64(2)},
		"mem":     "1Gi",
		"podIP":   "10.0.1.5",
		"name":    "My_Name",
	}
	for _, tc := range []struct {
		expr string
		want any
	}{
		// lists, on typed literals and on dynamic fields
		{"[1, 2, 3].isSorted()", true},
		{"['b', 'a'].isSorted()", false},
		{"self.names.isSorted()", true},
		{"self.weights.sum() == 1.0", true},
		{"self.counts.sum()", int64(6)},
		{"[1u, 2u].sum()", uint64(3)},
		{"self.counts.min()", int64(1)},
		{"self.counts.max()", int64(3)},
		{"[duration('1s'), duration('2s')].sum() == duration('3s')", true},
		{"self.names.indexOf('b')", int64(1)},
		{"[1, 2, 1].lastIndexOf(1)", int64(2)},
		{"[1].indexOf(5)", int64(-1)},
		{"'abc'.indexOf('c')", int64(2)}, // the strings overload still works
		// regex
		{"'abc 123'.find('[0-9]+')", "123"},
		{"'abc'.find('[0-9]+')", ""},
		{"'1, 2, 3, 4'.findAll('[0-9]+').map(x, int(x)).sum()", int64(10)},
		{"'1, 2, 3'.findAll('[0-9]+', 2)", []string{"1", "2"}},
		// URLs
		{"url('https://example.com:80/').getHost()", "example.com:80"},
		{"url('https://example.com:80/').getHostname()", "example.com"},
		{"url('https://example.com:80/').getPort()", "80"},
		{"url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"},
		{"url('https://example.com/?a=1&a=2').getQuery()['a'][1]", "2"},
		{"url('https://example.com').getScheme()", "https"},
		{"isURL('https://example.com')", true},
		{"isURL('example.com')", false},
		// quantities
		{"quantity(self.mem).isGreaterThan(quantity('500Mi'))", true},
		{"quantity('50M').isLessThan(quantity('100M'))", true},
		{"quantity('200M').compareTo(quantity('0.2G'))", int64(0)},
		{"quantity('200M') == quantity('0.2G')", true},
		{"quantity('50k').asInteger()", int64(50000)},
		{"quantity('50k').add(20).sub(quantity('100k')).sub(-50000).asInteger()", int64(20)},
		{"quantity('1.5').isInteger()", false},
		{"quantity('-1').sign()", int64(-1)},
		{"quantity('1.5').asApproximateFloat()", 1.5},
		{"isQuantity('1Gi')", true},
		{"isQuantity('1 Gi')", false},
		// IPs
		{"isIP('127.0.0.1')", true},
		{"isIP('127.0.0.01')", false},
		{"isIP('::ffff:1.2.3.4')", false},
		{"isIP('fe80::1%eth0')", false},
		{"ip('127.0.0.1').family()", int64(4)},
		{"ip('::1').isLoopback()", true},
		{"ip('192.168.0.1').isGlobalUnicast()", true},
		{"ip('169.254.1.1').isLinkLocalUnicast()", true},
		{"ip('224.0.0.1').isLinkLocalMulticast()", true},
		{"ip('0.0.0.0').isUnspecified()", true},
		{"ip.isCanonical('2001:db8::abcd')", true},
		{"ip.isCanonical('2001:DB8::ABCD')", false},
		{"string(ip('2001:DB8::1'))", "2001:db8::1"},
		{"ip('10.0.0.1') == ip('10.0.0.1')", true},
		// CIDRs
		{"cidr('10.0.0.0/16').containsIP(self.podIP)", true},
		{"cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", false},
		{"cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", true},
		{"cidr('192.168.1.0/24').containsCIDR(cidr('192.168.0.0/16'))", false},
		{"cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", true},
		{"string(cidr('192.168.0.1/24').masked())", "192.168.0.0/24"},
		{"cidr('192.168.0.1/24').ip().family()", int64(4)},
		{"cidr('::1/128').prefixLength()", int64(128)},
		{"isCIDR('192.168.0.0/33')", false},
		// formats
		{"format.dns1123Label().validate('my-name').hasValue()", false},
		{"format.dns1123Label().validate(self.name).hasValue()", true},
		{"format.dns1123LabelPrefix().validate('web-').hasValue()", false},
		{"format.named('uuid').value().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", false},
		{"format.named('nope').hasValue()", false},
		{"format.date().validate('2021-13-01').hasValue()", true},
		{"format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", false},
		{"format.byte().validate('aGVsbG8=').hasValue()", false},
		{"format.qualifiedName().validate('apps/v1').hasValue()", false},
		{"format.dns1123Label().validate('UPPER').orValue([]).join(' ').contains('RFC 1123')", true},
	} {
		got, err := eval(t, e, tc.expr, self)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if l, ok := got.([]any); ok { // NativeToValue lists come back as []any
			var s []string
			for _, x := range l {
				s = append(s, x.(string))
			}
			got = s
		}
		if !equal(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok || bok {
		return aok && bok && strings.Join(as, "\x00") == strings.Join(bs, "\x00")
	}
	return a == b
}

func TestLibrariesFail(t *testing.T) {
	e := env(t)
	for _, tc := range []struct{ expr, err string }{
		{"[].min()", "min(list) argument must not be empty"},
		{"quantity('1 Gi')", "quantities must match"},
		{"quantity('10E').add(quantity('10E')).asInteger()", "cannot convert value to integer"},
		{"url('not a url')", "URL parse error"},
		{"ip('::ffff:1.2.3.4')", "IPv4-mapped IPv6 address"},
		{"ip.isCanonical('1.2.3')", "parse error"},
		{"cidr('192.168.0.0/33')", "network address parse error"},
		{"'a'.find('[')", "missing closing ]"},
	} {
		_, err := eval(t, e, tc.expr, nil)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.expr, err, tc.err)
		}
	}
}

func TestTypeCheckRejectsWrongTypes(t *testing.T) {
	e := env(t)
	for _, expr := range []string{"[true].sum()", "quantity(1)", "ip('1.1.1.1').add(1)", "format.nope()"} {
		if _, iss := e.Compile(expr); iss.Err() == nil {
			t.Errorf("%s compiled; Kubernetes rejects it", expr)
		}
	}
}
