package apps_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/registry/apps"
	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
	wt "github.com/skiff-sh/skiff/internal/registry/workload/workloadtest"
)

var (
	strategies = apps.Strategies()
	appLabels  = map[string]string{"app": "web"}
	selector   = &metav1.LabelSelector{MatchLabels: appLabels}
)

func status(resource string) rest.StatusStrategy {
	return strategies[resource].(rest.StatusStrategy)
}

func deployment(mutate func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: wt.Meta("web"), Spec: appsv1.DeploymentSpec{Selector: selector.DeepCopy(), Template: wt.Template(appLabels)}}
	if mutate != nil {
		mutate(d)
	}
	return d
}

func TestDeploymentDefaults(t *testing.T) {
	d := deployment(func(d *appsv1.Deployment) { d.Status.Replicas = 3 })
	wt.Expect(t, wt.Create(strategies["deployments"], d))
	spec := d.Spec
	ru := spec.Strategy.RollingUpdate
	switch {
	case *spec.Replicas != 1, spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType,
		ru.MaxSurge.String() != "25%", ru.MaxUnavailable.String() != "25%",
		*spec.RevisionHistoryLimit != 10, *spec.ProgressDeadlineSeconds != 600:
		t.Errorf("defaults: %+v", spec)
	case spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways:
		t.Errorf("template not defaulted: %+v", spec.Template.Spec)
	case d.Status.Replicas != 0:
		t.Errorf("create kept status %+v", d.Status)
	}
}

func TestDeploymentValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   []string
	}{
		{"valid", nil, nil},
		{"no selector", func(d *appsv1.Deployment) { d.Spec.Selector = nil }, []string{"spec.selector: Required value"}},
		{"empty selector", func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }, []string{"spec.selector: Invalid value"}},
		{"labels mismatch", func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "db"} }, []string{"spec.template.metadata.labels: Invalid value"}},
		{"restart never", func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }, []string{"spec.template.spec.restartPolicy: Unsupported value"}},
		{"negative replicas", func(d *appsv1.Deployment) { d.Spec.Replicas = workload.Ptr[int32](-1) }, []string{"spec.replicas: Invalid value"}},
		{"negative minReadySeconds", func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = -1 }, []string{"spec.minReadySeconds: Invalid value"}},
		{"deadline below minReady", func(d *appsv1.Deployment) {
			d.Spec.MinReadySeconds, d.Spec.ProgressDeadlineSeconds = 10, workload.Ptr[int32](10)
		}, []string{"spec.progressDeadlineSeconds: Invalid value"}},
		{"both zero", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: workload.Ptr(intstr.FromInt32(0)), MaxUnavailable: workload.Ptr(intstr.FromString("0%"))}
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value"}},
		{"above 100%", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: workload.Ptr(intstr.FromString("101%"))}
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value"}},
		{"bad percent", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: workload.Ptr(intstr.FromString("x"))}
		}, []string{"spec.strategy.rollingUpdate.maxSurge: Invalid value"}},
		{"bad type", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "Blue" }, []string{"spec.strategy.type: Unsupported value"}},
		{"recreate with rolling", func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{}}
		}, []string{"spec.strategy.rollingUpdate: Forbidden"}},
		{"active deadline", func(d *appsv1.Deployment) { d.Spec.Template.Spec.ActiveDeadlineSeconds = workload.Ptr[int64](5) }, []string{"spec.template.spec.activeDeadlineSeconds: Forbidden"}},
		{"bad container", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers = nil }, []string{"spec.template.spec.containers: Required value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategies["deployments"], deployment(c.mutate)), c.want...)
		})
	}
}

func TestDeploymentUpdate(t *testing.T) {
	s := strategies["deployments"]
	old := deployment(nil)
	wt.Expect(t, wt.Create(s, old))
	old.Status.Replicas = 1

	scaled := old.DeepCopy()
	scaled.Spec.Replicas = workload.Ptr[int32](3)
	scaled.Status = appsv1.DeploymentStatus{}
	wt.Expect(t, wt.Update(s, scaled, old))
	if scaled.Generation != 2 || scaled.Status.Replicas != 1 {
		t.Errorf("generation %d status %+v", scaled.Generation, scaled.Status)
	}

	annotated := old.DeepCopy()
	annotated.Annotations = map[string]string{"a": "b"}
	wt.Expect(t, wt.Update(s, annotated, old))
	if annotated.Generation != 2 {
		t.Errorf("annotation change: generation %d", annotated.Generation)
	}

	moved := old.DeepCopy()
	moved.Spec.Selector.MatchLabels["tier"] = "x"
	moved.Spec.Template.Labels = map[string]string{"app": "web", "tier": "x"}
	errs := wt.Update(s, moved, old)
	wt.Expect(t, errs, "spec.selector: Invalid value")
	if len(errs) == 1 && errs[0].Detail != "field is immutable" {
		t.Errorf("detail %q", errs[0].Detail)
	}
}

func TestDeploymentStatus(t *testing.T) {
	old := deployment(nil)
	wt.Create(strategies["deployments"], old)
	cases := []struct {
		name string
		st   appsv1.DeploymentStatus
		want []string
	}{
		{"valid", appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2, AvailableReplicas: 1}, nil},
		{"negative", appsv1.DeploymentStatus{ObservedGeneration: -1}, []string{"status.observedGeneration: Invalid value"}},
		{"ready above replicas", appsv1.DeploymentStatus{Replicas: 1, ReadyReplicas: 2}, []string{"status.readyReplicas: Invalid value"}},
		{"available above ready", appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 1, AvailableReplicas: 2}, []string{"status.availableReplicas: Invalid value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := old.DeepCopy()
			obj.ResourceVersion = "1"
			obj.Spec.Replicas = workload.Ptr[int32](9)
			obj.Status = c.st
			old := old.DeepCopy()
			old.ResourceVersion = "1"
			status("deployments").PrepareForStatusUpdate(obj, old)
			if *obj.Spec.Replicas != 1 || obj.Status.Replicas != c.st.Replicas {
				t.Errorf("status update changed spec or lost status: %+v", obj)
			}
			wt.Expect(t, status("deployments").ValidateStatusUpdate(obj, old), c.want...)
		})
	}
}

func TestReplicaSet(t *testing.T) {
	s := strategies["replicasets"]
	rs := &appsv1.ReplicaSet{ObjectMeta: wt.Meta("web-1"), Spec: appsv1.ReplicaSetSpec{Selector: selector.DeepCopy(), Template: wt.Template(appLabels)}}
	wt.Expect(t, wt.Create(s, rs))
	if *rs.Spec.Replicas != 1 {
		t.Errorf("replicas %d", *rs.Spec.Replicas)
	}
	rs.Status.Replicas = 2
	fs := s.(rest.FieldsStrategy).SelectableFields(rs)
	if fs["status.replicas"] != "2" || fs["metadata.name"] != "web-1" || fs["metadata.namespace"] != "default" {
		t.Errorf("fields %v", fs)
	}
	bad := rs.DeepCopy()
	bad.Spec.Selector = nil
	wt.Expect(t, wt.Create(s, bad), "spec.selector: Required value")
	st := rs.DeepCopy()
	st.ResourceVersion, rs.ResourceVersion = "1", "1"
	st.Status = appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 2}
	wt.Expect(t, status("replicasets").ValidateStatusUpdate(st, rs), "status.fullyLabeledReplicas: Invalid value")
}

func statefulSet(mutate func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	tmpl := wt.Template(appLabels)
	tmpl.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	claim := corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	s := &appsv1.StatefulSet{ObjectMeta: wt.Meta("db"), Spec: appsv1.StatefulSetSpec{
		Selector: selector.DeepCopy(), Template: tmpl, ServiceName: "db", VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim},
	}}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func TestStatefulSetDefaults(t *testing.T) {
	s := statefulSet(nil)
	wt.Expect(t, wt.Create(strategies["statefulsets"], s))
	spec := s.Spec
	claim := spec.VolumeClaimTemplates[0]
	switch {
	case *spec.Replicas != 1, *spec.RevisionHistoryLimit != 10, spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement:
		t.Errorf("defaults %+v", spec)
	case spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType || *spec.UpdateStrategy.RollingUpdate.Partition != 0:
		t.Errorf("update strategy %+v", spec.UpdateStrategy)
	case spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		spec.PersistentVolumeClaimRetentionPolicy.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType:
		t.Errorf("retention %+v", spec.PersistentVolumeClaimRetentionPolicy)
	case *claim.Spec.VolumeMode != corev1.PersistentVolumeFilesystem, claim.Status.Phase != corev1.ClaimPending:
		t.Errorf("claim %+v", claim)
	case len(spec.Template.Spec.Volumes) != 0:
		t.Errorf("validation changed the template: %+v", spec.Template.Spec.Volumes)
	}
}

func TestStatefulSetValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   []string
	}{
		{"valid", nil, nil},
		{"no service name", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "" }, nil},
		{"bad service name", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "a.b" }, []string{"spec.serviceName: Invalid value"}},
		{"dotted name", func(s *appsv1.StatefulSet) { s.Name = "db.v1" }, []string{"metadata.name: Invalid value"}},
		{"bad policy", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Random" }, []string{"spec.podManagementPolicy: Invalid value"}},
		{"negative partition", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: workload.Ptr[int32](-1)}
		}, []string{"spec.updateStrategy.rollingUpdate.partition: Invalid value"}},
		{"ondelete with rolling", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType, RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{}}
		}, []string{"spec.updateStrategy.rollingUpdate: Invalid value"}},
		{"bad retention", func(s *appsv1.StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Keep"}
		}, []string{"spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value"}},
		{"negative ordinal", func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: -1} }, []string{"spec.ordinals.start: Invalid value"}},
		{"empty selector", func(s *appsv1.StatefulSet) { s.Spec.Selector = &metav1.LabelSelector{} }, []string{"spec.selector: Invalid value"}},
		{"unknown mount", func(s *appsv1.StatefulSet) { s.Spec.VolumeClaimTemplates = nil }, []string{"spec.template.spec.containers[0].volumeMounts[0].name: Not found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wt.Expect(t, wt.Create(strategies["statefulsets"], statefulSet(c.mutate)), c.want...)
		})
	}
}

func TestStatefulSetUpdate(t *testing.T) {
	s := strategies["statefulsets"]
	old := statefulSet(nil)
	wt.Expect(t, wt.Create(s, old))
	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   []string
	}{
		{"replicas", func(s *appsv1.StatefulSet) { s.Spec.Replicas = workload.Ptr[int32](5) }, nil},
		{"template", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "nginx:2" }, nil},
		{"history and retention", func(s *appsv1.StatefulSet) {
			s.Spec.RevisionHistoryLimit = workload.Ptr[int32](2)
			s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
		}, nil},
		{"service name", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "other" }, []string{"spec: Forbidden"}},
		{"claims", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.StorageClassName = workload.Ptr("fast")
		}, []string{"spec: Forbidden"}},
		{"selector", func(s *appsv1.StatefulSet) {
			s.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}
		}, []string{"spec: Forbidden"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := old.DeepCopy()
			c.mutate(obj)
			wt.Expect(t, wt.Update(s, obj, old), c.want...)
			if c.want == nil && obj.Generation != 2 {
				t.Errorf("generation %d", obj.Generation)
			}
		})
	}
}

func daemonSet() *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: wt.Meta("agent"), Spec: appsv1.DaemonSetSpec{Selector: selector.DeepCopy(), Template: wt.Template(appLabels)}}
}

func TestDaemonSet(t *testing.T) {
	s := strategies["daemonsets"]
	ds := daemonSet()
	wt.Expect(t, wt.Create(s, ds))
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ru.MaxUnavailable.String() != "1" || ru.MaxSurge.String() != "0" || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("defaults %+v", ds.Spec)
	}
	if g := ds.Annotations[appsv1.DeprecatedTemplateGeneration]; g != "1" {
		t.Errorf("template generation %q", g)
	}
	changed := ds.DeepCopy()
	changed.Spec.Template.Spec.Containers[0].Image = "agent:2"
	wt.Expect(t, wt.Update(s, changed, ds))
	if g := changed.Annotations[appsv1.DeprecatedTemplateGeneration]; g != "2" || changed.Generation != 2 {
		t.Errorf("after template change: template generation %q generation %d", g, changed.Generation)
	}
	other := ds.DeepCopy()
	other.Spec.MinReadySeconds = 3
	wt.Expect(t, wt.Update(s, other, ds))
	if g := other.Annotations[appsv1.DeprecatedTemplateGeneration]; g != "1" || other.Generation != 2 {
		t.Errorf("after spec change: template generation %q generation %d", g, other.Generation)
	}
}

func TestDaemonSetValidate(t *testing.T) {
	cases := []struct {
		name     string
		ru       appsv1.RollingUpdateDaemonSet
		strategy appsv1.DaemonSetUpdateStrategyType
		want     []string
	}{
		{"surge only", appsv1.RollingUpdateDaemonSet{MaxUnavailable: workload.Ptr(intstr.FromInt32(0)), MaxSurge: workload.Ptr(intstr.FromString("10%"))}, "", nil},
		{"both", appsv1.RollingUpdateDaemonSet{MaxSurge: workload.Ptr(intstr.FromInt32(1))}, "", []string{"spec.updateStrategy.rollingUpdate.maxSurge: Invalid value"}},
		{"neither", appsv1.RollingUpdateDaemonSet{MaxUnavailable: workload.Ptr(intstr.FromInt32(0))}, "", []string{"spec.updateStrategy.rollingUpdate.maxUnavailable: Required value"}},
		{"bad type", appsv1.RollingUpdateDaemonSet{}, "Fast", []string{"spec.updateStrategy.type: Unsupported value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := daemonSet()
			ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: c.strategy, RollingUpdate: &c.ru}
			wt.Expect(t, wt.Create(strategies["daemonsets"], ds), c.want...)
		})
	}
}

func TestDaemonSetStatus(t *testing.T) {
	old := daemonSet()
	old.ResourceVersion = "1"
	old.Status.CollisionCount = workload.Ptr[int32](2)
	obj := old.DeepCopy()
	obj.Status = appsv1.DaemonSetStatus{NumberReady: -1, CollisionCount: workload.Ptr[int32](1)}
	status("daemonsets").PrepareForStatusUpdate(obj, old)
	wt.Expect(t, status("daemonsets").ValidateStatusUpdate(obj, old), "status.numberReady: Invalid value", "status.collisionCount: Invalid value")
}

func TestControllerRevision(t *testing.T) {
	s := strategies["controllerrevisions"]
	cr := &appsv1.ControllerRevision{ObjectMeta: wt.Meta("web-1"), Revision: 1, Data: runtime.RawExtension{Raw: []byte(`{"a": 1}`)}}
	wt.Expect(t, wt.Create(s, cr))
	wt.Expect(t, wt.Create(s, &appsv1.ControllerRevision{ObjectMeta: wt.Meta("x"), Revision: -1}), "data: Required value", "revision: Invalid value")

	same := cr.DeepCopy()
	same.Data.Raw = []byte(`{"a":1}`)
	wt.Expect(t, wt.Update(s, same, cr))
	changed := cr.DeepCopy()
	changed.Data.Raw = []byte(`{"a":2}`)
	wt.Expect(t, wt.Update(s, changed, cr), "data: Invalid value")
}
