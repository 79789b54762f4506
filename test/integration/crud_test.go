package integration

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox:1.35"}}},
			},
		},
	}
}

// Both wire formats a client may speak must give the same behaviour.
func clients(t *testing.T, c *testcluster.Cluster) map[string]kubernetes.Interface {
	return map[string]kubernetes.Interface{
		"json":     kubernetes.NewForConfigOrDie(c.JSONConfig()),
		"protobuf": kubernetes.NewForConfigOrDie(c.ProtobufConfig()),
	}
}

func TestCreateGetUpdateDelete(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	for name, cs := range clients(t, c) {
		t.Run(name, func(t *testing.T) {
			cms := cs.CoreV1().ConfigMaps("default")
			created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "gen-"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(created.Name) != len("gen-")+5 || created.UID == "" || created.CreationTimestamp.IsZero() || created.ResourceVersion == "" {
				t.Fatalf("server-owned metadata missing: %+v", created.ObjectMeta)
			}
			got, err := cms.Get(ctx, created.Name, metav1.GetOptions{})
			if err != nil || got.Data["k"] != "v" || got.UID != created.UID {
				t.Fatalf("get = %+v, %v", got, err)
			}
			got.Data["k"] = "w"
			updated, err := cms.Update(ctx, got, metav1.UpdateOptions{})
			if err != nil || updated.ResourceVersion == got.ResourceVersion {
				t.Fatalf("update = %+v, %v", updated, err)
			}
			// The stale copy must conflict.
			got.Data["k"] = "x"
			if _, err := cms.Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
				t.Fatalf("stale update: want 409 Conflict, got %v", err)
			}
			if err := cms.Delete(ctx, created.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := cms.Get(ctx, created.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("after delete: want 404, got %v", err)
			}
		})
	}
}

func TestDeploymentDefaultsAndGeneration(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	d, err := c.Client.AppsV1().Deployments("default").Create(ctx, deployment("web", 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate.MaxSurge.String() != "25%" ||
		*d.Spec.RevisionHistoryLimit != 10 || *d.Spec.ProgressDeadlineSeconds != 600 || d.Generation != 1 {
		t.Fatalf("defaults not applied: %+v", d.Spec)
	}
	if c := d.Spec.Template.Spec.Containers[0]; c.ImagePullPolicy != corev1.PullIfNotPresent || c.TerminationMessagePath != "/dev/termination-log" {
		t.Fatalf("container defaults: %+v", c)
	}
	d.Spec.Template.Spec.Containers[0].Image = "busybox:1.36"
	d, err = c.Client.AppsV1().Deployments("default").Update(ctx, d, metav1.UpdateOptions{})
	if err != nil || d.Generation != 2 {
		t.Fatalf("spec change must bump generation: %v %v", d.Generation, err)
	}
	// A no-op update keeps the resourceVersion, as Kubernetes does.
	again, err := c.Client.AppsV1().Deployments("default").Update(ctx, d, metav1.UpdateOptions{})
	if err != nil || again.ResourceVersion != d.ResourceVersion {
		t.Fatalf("no-op update changed resourceVersion %s -> %s (%v)", d.ResourceVersion, again.ResourceVersion, err)
	}
}

func TestValidationErrors(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	bad := deployment("Bad_Name", 1)
	bad.Spec.Template.Labels = map[string]string{"app": "other"}
	_, err := c.Client.AppsV1().Deployments("default").Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want 422 Invalid, got %v", err)
	}
	fields := map[string]bool{}
	for _, cause := range err.(apierrors.APIStatus).Status().Details.Causes {
		fields[cause.Field] = true
	}
	for _, f := range []string{"metadata.name", "spec.template.metadata.labels"} {
		if !fields[f] {
			t.Errorf("no cause for %s in %v", f, err)
		}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	_, err = c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("pod without image: want 422, got %v", err)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	cm, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, configMap("dry", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil || cm.Name != "dry" {
		t.Fatalf("dry-run create: %v", err)
	}
	if _, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run object was stored: %v", err)
	}
}

func TestPatchTypes(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	deps := c.Client.AppsV1().Deployments("default")
	if _, err := deps.Create(ctx, deployment("p", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	patches := []struct {
		pt    types.PatchType
		patch string
		check func(*appsv1.Deployment) bool
	}{
		{types.StrategicMergePatchType, `{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}`,
			func(d *appsv1.Deployment) bool { return len(d.Spec.Template.Spec.Containers) == 2 }},
		{types.MergePatchType, `{"metadata":{"labels":{"tier":"web"}}}`,
			func(d *appsv1.Deployment) bool { return d.Labels["tier"] == "web" }},
		{types.JSONPatchType, `[{"op":"replace","path":"/spec/replicas","value":3}]`,
			func(d *appsv1.Deployment) bool { return *d.Spec.Replicas == 3 }},
	}
	for _, p := range patches {
		d, err := deps.Patch(ctx, "p", p.pt, []byte(p.patch), metav1.PatchOptions{})
		if err != nil || !p.check(d) {
			t.Fatalf("%s: %v", p.pt, err)
		}
	}
}
