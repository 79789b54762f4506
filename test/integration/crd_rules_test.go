package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// gadgetCRD validates with the rules beyond types and bounds: a CEL
// rule, a format and a list-type set.
func gadgetCRD(rule string) *apiextensionsv1.CustomResourceDefinition {
	set := "set"
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gadgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "gadgets", Kind: "Gadget"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object",
							XValidations: apiextensionsv1.ValidationRules{{Rule: rule, Message: "min must not exceed max"}},
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"min":   {Type: "integer"},
								"max":   {Type: "integer"},
								"owner": {Type: "string", Format: "email", XValidations: apiextensionsv1.ValidationRules{{Rule: "self == oldSelf", Message: "owner is immutable"}}},
								"tags":  {Type: "array", XListType: &set, Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"}}},
							}},
					},
				}},
			}},
		},
	}
}

func TestCustomResourceValidationRules(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	ctx := context.Background()
	crds := apiextensionsclient.NewForConfigOrDie(c.Config).ApiextensionsV1().CustomResourceDefinitions()

	_, err := crds.Create(ctx, gadgetCRD("self.min <="), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "x-kubernetes-validations[0].rule") || !strings.Contains(err.Error(), "compilation failed") {
		t.Fatalf("a rule that does not compile: %v, want 422 naming the rule", err)
	}
	if _, err := crds.Create(ctx, gadgetCRD("self.min <= self.max"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	apply := func(name, spec string) (string, error) {
		f := filepath.Join(dir, name+".yaml")
		doc := "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: " + name + "\n  namespace: default\nspec:\n" + spec
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return k.run("apply", "-f", f)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := apply("good", "  min: 1\n  max: 2\n  owner: ops@example.com\n  tags: [a, b]\n")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("valid gadget: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := apply("bad", "  min: 3\n  max: 2\n  owner: nobody\n  tags: [a, a]\n")
	if err == nil {
		t.Fatalf("invalid gadget accepted:\n%s", out)
	}
	for _, want := range []string{
		`The Gadget "bad" is invalid:`,
		`spec: Invalid value: min must not exceed max`,
		`spec.owner: Invalid value: "nobody": spec.owner in body must be of type email: "nobody"`,
		`spec.tags[1]: Duplicate value: "a"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl output lacks %q:\n%s", want, out)
		}
	}
	// A transition rule: the owner may not change once set.
	out, err = apply("good", "  min: 1\n  max: 2\n  owner: dev@example.com\n  tags: [a, b]\n")
	if err == nil || !strings.Contains(out, "spec.owner: Invalid value: \"dev@example.com\": owner is immutable") {
		t.Errorf("changing an immutable field: %v\n%q", err, out)
	}
}
