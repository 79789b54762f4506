package rest

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Enum checks that v is one of allowed; empty is Required, as Kubernetes
// reports a missing enum field.
func Enum[T ~string](v T, p *field.Path, allowed ...T) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if a == v {
			return nil
		}
		names[i] = string(a)
	}
	return field.ErrorList{field.NotSupported(p, v, names)}
}

// PortNumber checks a port is in 1-65535.
func PortNumber(port int32, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(int(port)) {
		errs = append(errs, field.Invalid(p, port, msg))
	}
	return errs
}
