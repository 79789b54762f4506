package library

import (
	"fmt"
	"net/url"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// URLType is the CEL type of url(): Kubernetes' kubernetes.URL.
var URLType = cel.ObjectType("kubernetes.URL")

// URLs is Kubernetes' URL library: url() and isURL() on absolute URLs, and
// the getScheme, getHost, getHostname, getPort, getEscapedPath and
// getQuery accessors.
func URLs() cel.EnvOption {
	accessor := func(name string, result *cel.Type, get func(*url.URL) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("url_"+name, []*cel.Type{URLType}, result, member(URLType, get)))
	}
	return cel.Lib(lib{
		cel.Function("url", cel.Overload("string_to_url", []*cel.Type{cel.StringType}, URLType, fromString(parseURL, newURL))),
		cel.Function("isURL", cel.Overload("is_url_string", []*cel.Type{cel.StringType}, cel.BoolType, parses(parseURL))),
		accessor("getScheme", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Scheme) }),
		accessor("getHost", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Host) }),
		accessor("getHostname", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Hostname()) }),
		accessor("getPort", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Port()) }),
		accessor("getEscapedPath", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.EscapedPath()) }),
		accessor("getQuery", cel.MapType(cel.StringType, cel.ListType(cel.StringType)), func(u *url.URL) ref.Val {
			return types.DefaultTypeAdapter.NativeToValue(map[string][]string(u.Query()))
		}),
	})
}

// parseURL accepts what Kubernetes does: an absolute URL or absolute path
// (ParseRequestURI's rules), then parsed again to keep the fragment.
func parseURL(s string) (*url.URL, error) {
	if _, err := url.ParseRequestURI(s); err != nil {
		return nil, fmt.Errorf("URL parse error during conversion from string: %w", err)
	}
	return url.Parse(s)
}

func newURL(u *url.URL) ref.Val {
	return opaque[*url.URL]{v: u, typ: URLType, equal: func(a, b *url.URL) bool { return a.String() == b.String() }}
}
