// Package library holds Kubernetes' CEL function libraries (lists,
// regex, URLs, quantities, IP addresses, CIDRs and named formats) written
// over cel-go, so rules written for Kubernetes compile and evaluate the
// same way in skiff.
package library

import (
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// Kubernetes returns every library Kubernetes loads wherever it
// evaluates CEL (the authorizer library aside: it needs a request).
func Kubernetes() []cel.EnvOption {
	return []cel.EnvOption{Lists(), Regex(), URLs(), Quantity(), IP(), CIDR(), Format()}
}

// opaque implements ref.Val for a library's value type: what differs per
// type is only its CEL type and how two values compare.
type opaque[T any] struct {
	v     T
	typ   *types.Type
	equal func(a, b T) bool
}

func (o opaque[T]) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(o.v).AssignableTo(t) {
		return o.v, nil
	}
	return nil, types.NewErr("type conversion error from '%s' to '%v'", o.typ.TypeName(), t).(*types.Err)
}

func (o opaque[T]) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case o.typ:
		return o
	case types.TypeType:
		return o.typ
	}
	return types.NewErr("type conversion error from '%s' to '%s'", o.typ.TypeName(), t.TypeName())
}

func (o opaque[T]) Equal(other ref.Val) ref.Val {
	b, ok := other.(opaque[T])
	if !ok || b.typ != o.typ {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(o.equal(o.v, b.v))
}

func (o opaque[T]) Type() ref.Type { return o.typ }
func (o opaque[T]) Value() any     { return o.v }

// unwrap returns the Go value of a library value of type typ.
func unwrap[T any](v ref.Val, typ *types.Type) (T, bool) {
	o, ok := v.(opaque[T])
	if !ok || o.typ != typ {
		var zero T
		return zero, false
	}
	return o.v, true
}

// stringArg returns a string argument, or the error CEL reports for a
// wrong one.
func stringArg(v ref.Val) (string, ref.Val) {
	s, ok := v.(types.String)
	if !ok {
		return "", types.MaybeNoSuchOverloadErr(v)
	}
	return string(s), nil
}

// fromString binds a conversion from a string: parse's error becomes the
// CEL error, and wrap makes the value.
func fromString[T any](parse func(string) (T, error), wrap func(T) ref.Val) cel.OverloadOpt {
	return cel.UnaryBinding(func(v ref.Val) ref.Val {
		s, err := stringArg(v)
		if err != nil {
			return err
		}
		x, perr := parse(s)
		if perr != nil {
			return types.WrapErr(perr)
		}
		return wrap(x)
	})
}

// parses binds isX(string): whether parse accepts the string.
func parses[T any](parse func(string) (T, error)) cel.OverloadOpt {
	return cel.UnaryBinding(func(v ref.Val) ref.Val {
		s, err := stringArg(v)
		if err != nil {
			return err
		}
		_, perr := parse(s)
		return types.Bool(perr == nil)
	})
}

// member binds a function of a library value of type typ.
func member[T any](typ *types.Type, f func(T) ref.Val) cel.OverloadOpt {
	return cel.UnaryBinding(func(v ref.Val) ref.Val {
		x, ok := unwrap[T](v, typ)
		if !ok {
			return types.MaybeNoSuchOverloadErr(v)
		}
		return f(x)
	})
}
