package admissioncel

import (
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// Admission expressions may use Kubernetes' CEL libraries, as policies
// written for Kubernetes do.
func TestEvalWithKubernetesLibraries(t *testing.T) {
	object := map[string]any{"spec": map[string]any{"memory": "512Mi", "podCIDR": "10.42.0.0/24", "name": "web"}}
	for _, src := range []string{
		"quantity(object.spec.memory).isLessThan(quantity('1Gi'))",
		"cidr(object.spec.podCIDR).containsIP('10.42.0.7')",
		"!format.dns1123Label().validate(object.spec.name).hasValue()",
	} {
		out, err := Eval(src, cel.BoolType, map[string]any{"object": object})
		if err != nil || out != types.True {
			t.Errorf("%s = %v, %v; want true", src, out, err)
		}
	}
}
