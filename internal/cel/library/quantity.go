package library

import (
	"math"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/api/resource"
)

// QuantityType is the CEL type of quantity(): Kubernetes' kubernetes.Quantity.
var QuantityType = cel.ObjectType("kubernetes.Quantity")

// Quantity is Kubernetes' quantity library: quantity(), isQuantity() and
// the comparisons, arithmetic and conversions on a resource.Quantity.
func Quantity() cel.EnvOption {
	q := []*cel.Type{QuantityType}
	qq := []*cel.Type{QuantityType, QuantityType}
	qi := []*cel.Type{QuantityType, cel.IntType}
	return cel.Lib(lib{
		cel.Function("quantity", cel.Overload("string_to_quantity", []*cel.Type{cel.StringType}, QuantityType, fromString(resource.ParseQuantity, newQuantity))),
		cel.Function("isQuantity", cel.Overload("is_quantity_string", []*cel.Type{cel.StringType}, cel.BoolType, parses(resource.ParseQuantity))),
		cel.Function("sign", cel.MemberOverload("quantity_sign", q, cel.IntType, quantityUnary(func(a resource.Quantity) ref.Val { return types.Int(a.Sign()) }))),
		cel.Function("isInteger", cel.MemberOverload("quantity_is_integer", q, cel.BoolType, quantityUnary(func(a resource.Quantity) ref.Val {
			_, ok := a.AsInt64()
			return types.Bool(ok)
		}))),
		cel.Function("asInteger", cel.MemberOverload("quantity_get_integer", q, cel.IntType, quantityUnary(func(a resource.Quantity) ref.Val {
			i, ok := a.AsInt64()
			if !ok {
				return types.NewErr("cannot convert value to integer")
			}
			return types.Int(i)
		}))),
		cel.Function("asApproximateFloat", cel.MemberOverload("quantity_get_float", q, cel.DoubleType, quantityUnary(func(a resource.Quantity) ref.Val {
			return types.Double(a.AsApproximateFloat64())
		}))),
		cel.Function("isLessThan", cel.MemberOverload("quantity_less", qq, cel.BoolType, quantityBinary(func(a, b resource.Quantity) ref.Val { return types.Bool(a.Cmp(b) < 0) }))),
		cel.Function("isGreaterThan", cel.MemberOverload("quantity_greater", qq, cel.BoolType, quantityBinary(func(a, b resource.Quantity) ref.Val { return types.Bool(a.Cmp(b) > 0) }))),
		cel.Function("compareTo", cel.MemberOverload("quantity_compare_to", qq, cel.IntType, quantityBinary(func(a, b resource.Quantity) ref.Val { return types.Int(a.Cmp(b)) }))),
		cel.Function("add",
			cel.MemberOverload("quantity_add", qq, QuantityType, quantityBinary(func(a, b resource.Quantity) ref.Val { a.Add(b); return newQuantity(a) })),
			cel.MemberOverload("quantity_add_int", qi, QuantityType, quantityInt(func(a resource.Quantity, i int64) ref.Val {
				a.Add(*resource.NewQuantity(i, resource.DecimalExponent))
				return newQuantity(a)
			}))),
		cel.Function("sub",
			cel.MemberOverload("quantity_sub", qq, QuantityType, quantityBinary(func(a, b resource.Quantity) ref.Val { a.Sub(b); return newQuantity(a) })),
			cel.MemberOverload("quantity_sub_int", qi, QuantityType, quantityInt(func(a resource.Quantity, i int64) ref.Val {
				if i == math.MinInt64 {
					return types.NewErr("integer overflow")
				}
				a.Sub(*resource.NewQuantity(i, resource.DecimalExponent))
				return newQuantity(a)
			}))),
	})
}

func newQuantity(q resource.Quantity) ref.Val {
	return opaque[resource.Quantity]{v: q, typ: QuantityType, equal: func(a, b resource.Quantity) bool { return a.Equal(b) }}
}

// quantityUnary passes f a copy: Quantity arithmetic mutates shared state.
func quantityUnary(f func(resource.Quantity) ref.Val) cel.OverloadOpt {
	return member(QuantityType, func(a resource.Quantity) ref.Val { return f(a.DeepCopy()) })
}

func quantityBinary(f func(a, b resource.Quantity) ref.Val) cel.OverloadOpt {
	return cel.BinaryBinding(func(x, y ref.Val) ref.Val {
		a, ok := unwrap[resource.Quantity](x, QuantityType)
		if !ok {
			return types.MaybeNoSuchOverloadErr(x)
		}
		b, ok := unwrap[resource.Quantity](y, QuantityType)
		if !ok {
			return types.MaybeNoSuchOverloadErr(y)
		}
		return f(a.DeepCopy(), b)
	})
}

func quantityInt(f func(resource.Quantity, int64) ref.Val) cel.OverloadOpt {
	return cel.BinaryBinding(func(x, y ref.Val) ref.Val {
		a, ok := unwrap[resource.Quantity](x, QuantityType)
		if !ok {
			return types.MaybeNoSuchOverloadErr(x)
		}
		i, ok := y.(types.Int)
		if !ok {
			return types.MaybeNoSuchOverloadErr(y)
		}
		return f(a.DeepCopy(), int64(i))
	})
}
