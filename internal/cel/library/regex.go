package library

import (
	"regexp"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// Regex is Kubernetes' regex library: find and findAll on strings, beside
// the standard matches.
func Regex() cel.EnvOption {
	return cel.Lib(lib{
		cel.Function("find", cel.MemberOverload("string_find_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(s, re ref.Val) ref.Val {
				found := findAll(s, re, 1)
				if l, ok := found.([]string); ok {
					if len(l) == 0 {
						return types.String("")
					}
					return types.String(l[0])
				}
				return found.(ref.Val)
			}))),
		cel.Function("findAll",
			cel.MemberOverload("string_find_all_string", []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
				cel.BinaryBinding(func(s, re ref.Val) ref.Val { return stringList(findAll(s, re, -1)) })),
			cel.MemberOverload("string_find_all_string_int", []*cel.Type{cel.StringType, cel.StringType, cel.IntType}, cel.ListType(cel.StringType),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					n, ok := args[2].(types.Int)
					if !ok {
						return types.MaybeNoSuchOverloadErr(args[2])
					}
					return stringList(findAll(args[0], args[1], int(n)))
				}))),
	})
}

// findAll returns up to n matches ([]string), or an error value.
func findAll(s, re ref.Val, n int) any {
	str, err := stringArg(s)
	if err != nil {
		return err
	}
	pattern, err := stringArg(re)
	if err != nil {
		return err
	}
	r, cerr := regexp.Compile(pattern)
	if cerr != nil {
		return types.NewErr("%v", cerr)
	}
	return r.FindAllString(str, n)
}

func stringList(found any) ref.Val {
	if l, ok := found.([]string); ok {
		if l == nil {
			l = []string{}
		}
		return types.NewStringList(types.DefaultTypeAdapter, l)
	}
	return found.(ref.Val)
}
