package library

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/util/validation"
)

// FormatType is the CEL type of a named format: Kubernetes'
// kubernetes.NamedFormat.
var FormatType = cel.ObjectType("kubernetes.NamedFormat")

// namedFormat validates a string, returning its errors (none if valid).
type namedFormat struct {
	name     string
	validate func(string) []string
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// prefix validates a name prefix (as generateName is): a trailing dash is
// allowed, so it is replaced by a letter before validation.
func prefix(f func(string) []string) func(string) []string {
	return func(s string) []string {
		if strings.HasSuffix(s, "-") {
			s = s[:len(s)-1] + "a"
		}
		return f(s)
	}
}

func errorIf(failed bool, msg string) []string {
	if failed {
		return []string{msg}
	}
	return nil
}

// formats are Kubernetes' named formats.
var formats = []namedFormat{
	{"dns1123Label", validation.IsDNS1123Label},
	{"dns1123Subdomain", validation.IsDNS1123Subdomain},
	{"dns1035Label", validation.IsDNS1035Label},
	{"qualifiedName", validation.IsQualifiedName},
	{"dns1123LabelPrefix", prefix(validation.IsDNS1123Label)},
	{"dns1123SubdomainPrefix", prefix(validation.IsDNS1123Subdomain)},
	{"dns1035LabelPrefix", prefix(validation.IsDNS1035Label)},
	{"labelValue", validation.IsValidLabelValue},
	{"uri", func(s string) []string {
		_, err := url.ParseRequestURI(s)
		return errorIf(err != nil, "invalid URI")
	}},
	{"uuid", func(s string) []string { return errorIf(!uuidPattern.MatchString(s), "does not match the UUID format") }},
	{"byte", func(s string) []string {
		_, err := base64.StdEncoding.DecodeString(s)
		return errorIf(err != nil, "invalid base64")
	}},
	{"date", func(s string) []string {
		_, err := time.Parse(time.DateOnly, s)
		return errorIf(err != nil, "invalid date")
	}},
	{"datetime", func(s string) []string {
		_, err := time.Parse(time.RFC3339, s)
		return errorIf(err != nil, "invalid datetime")
	}},
}

// Format is Kubernetes' format library: format.<name>() and
// format.named(name) return a format whose validate(string) is
// optional.none() for a valid string, else the list of errors.
func Format() cel.EnvOption {
	decls := lib{
		cel.Function("format.named", cel.Overload("format_named", []*cel.Type{cel.StringType}, cel.OptionalType(FormatType), cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, err := stringArg(v)
			if err != nil {
				return err
			}
			for _, f := range formats {
				if f.name == s {
					return types.OptionalOf(newFormat(f))
				}
			}
			return types.OptionalNone
		}))),
		cel.Function("validate", cel.MemberOverload("format_validate", []*cel.Type{FormatType, cel.StringType}, cel.OptionalType(cel.ListType(cel.StringType)),
			cel.BinaryBinding(func(fv, sv ref.Val) ref.Val {
				f, ok := unwrap[namedFormat](fv, FormatType)
				if !ok {
					return types.MaybeNoSuchOverloadErr(fv)
				}
				s, err := stringArg(sv)
				if err != nil {
					return err
				}
				if errs := f.validate(s); len(errs) > 0 {
					return types.OptionalOf(types.NewStringList(types.DefaultTypeAdapter, errs))
				}
				return types.OptionalNone
			}))),
	}
	for _, f := range formats {
		decls = append(decls, cel.Function("format."+f.name, cel.Overload("format_"+f.name, nil, FormatType, cel.FunctionBinding(func(...ref.Val) ref.Val { return newFormat(f) }))))
	}
	return cel.Lib(decls)
}

func newFormat(f namedFormat) ref.Val {
	return opaque[namedFormat]{v: f, typ: FormatType, equal: func(a, b namedFormat) bool { return a.name == b.name }}
}
