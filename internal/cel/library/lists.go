package library

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Element types Kubernetes declares the list functions for: every
// comparable type for isSorted/min/max, the numbers and durations for sum.
var (
	comparableTypes = []*cel.Type{cel.IntType, cel.UintType, cel.DoubleType, cel.BoolType, cel.StringType, cel.BytesType, cel.DurationType, cel.TimestampType}
	summableTypes   = map[*cel.Type]ref.Val{cel.IntType: types.Int(0), cel.UintType: types.Uint(0), cel.DoubleType: types.Double(0), cel.DurationType: types.Duration{}}
)

// Lists is Kubernetes' list library: isSorted, sum, min, max, indexOf and
// lastIndexOf on lists.
func Lists() cel.EnvOption {
	var isSorted, sum, minimum, maximum []cel.FunctionOpt
	for _, t := range comparableTypes {
		lt := cel.ListType(t)
		name := t.String()
		isSorted = append(isSorted, cel.MemberOverload("list_"+name+"_is_sorted", []*cel.Type{lt}, cel.BoolType, cel.UnaryBinding(listIsSorted)))
		minimum = append(minimum, cel.MemberOverload("list_"+name+"_min", []*cel.Type{lt}, t, cel.UnaryBinding(extreme("min", -1))))
		maximum = append(maximum, cel.MemberOverload("list_"+name+"_max", []*cel.Type{lt}, t, cel.UnaryBinding(extreme("max", 1))))
		if zero, ok := summableTypes[t]; ok {
			sum = append(sum, cel.MemberOverload("list_"+name+"_sum", []*cel.Type{lt}, t, cel.UnaryBinding(listSum(zero))))
		}
	}
	a := cel.TypeParamType("A")
	la := cel.ListType(a)
	return cel.Lib(lib{
		cel.Function("isSorted", isSorted...),
		cel.Function("sum", sum...),
		cel.Function("min", minimum...),
		cel.Function("max", maximum...),
		cel.Function("indexOf", cel.MemberOverload("list_a_index_of_a", []*cel.Type{la, a}, cel.IntType, cel.BinaryBinding(indexOf(false)))),
		cel.Function("lastIndexOf", cel.MemberOverload("list_a_last_index_of_a", []*cel.Type{la, a}, cel.IntType, cel.BinaryBinding(indexOf(true)))),
	})
}

// lib turns a list of declarations into a cel.Library.
type lib []cel.EnvOption

func (l lib) CompileOptions() []cel.EnvOption     { return l }
func (l lib) ProgramOptions() []cel.ProgramOption { return nil }

func elements(v ref.Val) ([]ref.Val, ref.Val) {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, types.MaybeNoSuchOverloadErr(v)
	}
	var out []ref.Val
	for it := l.Iterator(); it.HasNext() == types.True; {
		out = append(out, it.Next())
	}
	return out, nil
}

func compare(a, b ref.Val) (int, ref.Val) {
	c, ok := a.(traits.Comparer)
	if !ok {
		return 0, types.MaybeNoSuchOverloadErr(a)
	}
	r, ok := c.Compare(b).(types.Int)
	if !ok {
		return 0, c.Compare(b)
	}
	return int(r), nil
}

func listIsSorted(v ref.Val) ref.Val {
	elems, err := elements(v)
	if err != nil {
		return err
	}
	for i := 1; i < len(elems); i++ {
		c, err := compare(elems[i-1], elems[i])
		if err != nil {
			return err
		}
		if c > 0 {
			return types.False
		}
	}
	return types.True
}

// extreme returns min (want -1) or max (want 1) of a non-empty list.
func extreme(name string, want int) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		elems, err := elements(v)
		if err != nil {
			return err
		}
		if len(elems) == 0 {
			return types.NewErr("%s(list) argument must not be empty", name)
		}
		best := elems[0]
		for _, e := range elems[1:] {
			c, err := compare(e, best)
			if err != nil {
				return err
			}
			if c == want {
				best = e
			}
		}
		return best
	}
}

func listSum(zero ref.Val) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		elems, err := elements(v)
		if err != nil {
			return err
		}
		total := zero
		for _, e := range elems {
			a, ok := total.(traits.Adder)
			if !ok {
				return types.MaybeNoSuchOverloadErr(total)
			}
			if total = a.Add(e); types.IsError(total) {
				return total
			}
		}
		return total
	}
}

func indexOf(last bool) func(ref.Val, ref.Val) ref.Val {
	return func(v, x ref.Val) ref.Val {
		elems, err := elements(v)
		if err != nil {
			return err
		}
		found := -1
		for i, e := range elems {
			if e.Equal(x) == types.True {
				found = i
				if !last {
					break
				}
			}
		}
		return types.Int(found)
	}
}
