package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func replicasDeployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
		},
	}
}

func deploymentsRule() []admissionregv1.NamedRuleWithOperations {
	return []admissionregv1.NamedRuleWithOperations{{RuleWithOperations: admissionregv1.RuleWithOperations{
		Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
		Rule:       admissionregv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
	}}}
}

// TestValidatingAdmissionPolicy binds CEL policies to deployments: a
// denial with Kubernetes' message, a limit taken from a ConfigMap param,
// and a Warn binding that only warns.
func TestValidatingAdmissionPolicy(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	arv1 := c.Client.AdmissionregistrationV1()
	if _, err := arv1.ValidatingAdmissionPolicies().Create(ctx, &admissionregv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "max-replicas"},
		Spec: admissionregv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregv1.MatchResources{ResourceRules: deploymentsRule()},
			Validations:      []admissionregv1.Validation{{Expression: "object.spec.replicas <= 5"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := arv1.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "max-replicas-binding"},
		Spec:       admissionregv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "max-replicas", ValidationActions: []admissionregv1.ValidationAction{admissionregv1.Deny}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deploys := c.Client.AppsV1().Deployments("default")
	probe := 0
	var err error
	waitFor(t, func() bool {
		probe++
		_, err = deploys.Create(ctx, replicasDeployment(fmt.Sprintf("probe-%d", probe), 6), metav1.CreateOptions{})
		return err != nil
	}, "the policy to take effect")
	_, err = deploys.Create(ctx, replicasDeployment("web", 6), metav1.CreateOptions{})
	want := `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Fatalf("create: %v, want Invalid %q", err, want)
	}
	if _, err := deploys.Create(ctx, replicasDeployment("web", 5), metav1.CreateOptions{}); err != nil {
		t.Fatalf("replicas 5: %v", err)
	}
	out, _ := newKubectl(t, c).run("create", "deployment", "web2", "--image=nginx", "--replicas=6")
	if wantOut := "error: failed to create deployment: " + strings.Replace(want, `"web"`, `"web2"`, 1) + "\n"; out != wantOut {
		t.Errorf("kubectl: %q, want %q", out, wantOut)
	}

	t.Run("params", func(t *testing.T) { testPolicyParams(t, c) })
}

// testPolicyParams takes the limit from a ConfigMap in the request's
// namespace and only warns.
func testPolicyParams(t *testing.T, c *testcluster.Cluster) {
	ctx := context.Background()
	arv1 := c.Client.AdmissionregistrationV1()
	if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"}, Data: map[string]string{"maxReplicas": "2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := arv1.ValidatingAdmissionPolicies().Create(ctx, &admissionregv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "param-limit"},
		Spec: admissionregv1.ValidatingAdmissionPolicySpec{
			ParamKind:        &admissionregv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: &admissionregv1.MatchResources{ResourceRules: deploymentsRule()},
			Variables:        []admissionregv1.Variable{{Name: "limit", Expression: "int(params.data.maxReplicas)"}},
			Validations: []admissionregv1.Validation{{
				Expression: "object.spec.replicas <= variables.limit", MessageExpression: "'replicas must be at most ' + string(variables.limit)",
			}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := arv1.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "param-limit-binding"},
		Spec: admissionregv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "param-limit", ValidationActions: []admissionregv1.ValidationAction{admissionregv1.Warn},
			ParamRef: &admissionregv1.ParamRef{Name: "limits", ParameterNotFoundAction: new(admissionregv1.DenyAction)},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	warnings := &warningRecorder{}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = warnings
	deploys := kubernetes.NewForConfigOrDie(cfg).AppsV1().Deployments("default")
	want := "Validation failed for ValidatingAdmissionPolicy 'param-limit' with binding 'param-limit-binding': replicas must be at most 2"
	probe := 0
	waitFor(t, func() bool {
		probe++
		if _, err := deploys.Create(ctx, replicasDeployment(fmt.Sprintf("warned-%d", probe), 3), metav1.CreateOptions{}); err != nil {
			t.Fatalf("Warn binding refused: %v", err)
		}
		return warnings.has(want)
	}, "the param policy's warning")
	// Without its param, Deny parameterNotFoundAction fails the binding.
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "noparams"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := kubernetes.NewForConfigOrDie(cfg).AppsV1().Deployments("noparams").Create(ctx, replicasDeployment("x", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("Warn binding without params refused: %v", err)
	}
	if w := "Validation failed for ValidatingAdmissionPolicy 'param-limit' with binding 'param-limit-binding': failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"; !warnings.has(w) {
		t.Errorf("warnings %v, want %q", warnings.all(), w)
	}
}
