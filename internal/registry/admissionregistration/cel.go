package admissionregistration

import (
	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/auth/admission/admissioncel"
)

// checkExpression reports an expression that does not compile to a bool.
func checkExpression(src string, p *field.Path) field.ErrorList {
	return checkTyped(src, cel.BoolType, p)
}

func checkTyped(src string, want *cel.Type, p *field.Path) field.ErrorList {
	if _, err := admissioncel.Compile(src, want); err != nil {
		return field.ErrorList{field.Invalid(p, src, err.Error())}
	}
	return nil
}
