// Package admissioncel compiles and runs the CEL of admission:
// ValidatingAdmissionPolicies and webhook matchConditions.
package admissioncel

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/skiff-sh/skiff/internal/cel/library"
)

// costLimit bounds one expression's evaluation, as Kubernetes bounds
// admission CEL by cost, so a policy over a huge list cannot stall writes.
const costLimit = 1_000_000

// env declares the variables admission CEL sees, all dynamic: objects are
// JSON maps, lists and scalars. Kubernetes' CEL libraries are loaded, as
// for CRD rules.
var env = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(append([]cel.EnvOption{
		cel.Variable("object", cel.DynType), cel.Variable("oldObject", cel.DynType),
		cel.Variable("request", cel.DynType), cel.Variable("params", cel.DynType),
		cel.Variable("namespaceObject", cel.DynType), cel.Variable("variables", cel.DynType),
		ext.Strings(), ext.Sets(), ext.Lists(), cel.OptionalTypes(),
	}, library.Kubernetes()...)...)
})

// programs caches compiled expressions by source and wanted type.
var programs sync.Map // want + "\x00" + src → compiled

type compiled struct {
	prog cel.Program
	err  error
}

// Compile returns the program of src, which must evaluate to want (or
// to a dynamic value); the error says why not as Kubernetes words it.
func Compile(src string, want *cel.Type) (cel.Program, error) {
	key := want.String() + "\x00" + src
	if c, ok := programs.Load(key); ok {
		return c.(compiled).prog, c.(compiled).err
	}
	prog, err := compile(src, want)
	programs.Store(key, compiled{prog, err})
	return prog, err
}

func compile(src string, want *cel.Type) (cel.Program, error) {
	e, err := env()
	if err != nil {
		return nil, err
	}
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compilation failed: %w", iss.Err())
	}
	if want != cel.DynType {
		if t := ast.OutputType(); t != cel.DynType && !t.IsExactType(want) {
			return nil, fmt.Errorf("must evaluate to %s", want)
		}
	}
	return e.Program(ast, cel.CostLimit(costLimit))
}

// Eval runs src (compiled to want) over vars; errors read as Kubernetes'
// "expression '<src>' resulted in error: ...".
func Eval(src string, want *cel.Type, vars map[string]any) (ref.Val, error) {
	prog, err := Compile(src, want)
	if err == nil {
		var out ref.Val
		if out, _, err = prog.Eval(vars); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("expression '%s' resulted in error: %w", src, err)
}
