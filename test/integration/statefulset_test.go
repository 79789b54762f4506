package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/statefulset"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func statefulSet(name string, replicas int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: name,
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template:    podTemplate(name),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}
}

// livePodNames returns the names of the live pods of app.
func livePodNames(t *testing.T, c *testcluster.Cluster, app string) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for _, p := range listPods(t, c.Client, "default", "app="+app) {
		if p.DeletionTimestamp == nil {
			out[p.Name] = &p
		}
	}
	return out
}

func TestStatefulSetOrderedCreationAndClaims(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"statefulset": statefulset.New}, nil)
	sets := c.Client.AppsV1().StatefulSets("default")
	if _, err := sets.Create(ctx, statefulSet("web", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := fmt.Sprintf("web-%d", i)
		waitFor(t, func() bool { return livePodNames(t, c, "web")[name] != nil }, name+" created")
		pods := livePodNames(t, c, "web")
		if len(pods) != i+1 {
			t.Fatalf("%d pods exist before %s is ready", len(pods), name)
		}
		p := pods[name]
		if p.Spec.Hostname != name || p.Spec.Subdomain != "web" || p.Labels[appsv1.StatefulSetPodNameLabel] != name ||
			p.Labels[appsv1.PodIndexLabel] != fmt.Sprint(i) || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "data-"+name {
			t.Errorf("pod %s identity: hostname %q subdomain %q labels %v volumes %+v", name, p.Spec.Hostname, p.Spec.Subdomain, p.Labels, p.Spec.Volumes)
		}
		if _, err := c.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data-"+name, metav1.GetOptions{}); err != nil {
			t.Errorf("claim of %s: %v", name, err)
		}
		// Nothing more is created while the newest pod is not ready.
		time.Sleep(200 * time.Millisecond)
		if n := len(livePodNames(t, c, "web")); n != i+1 {
			t.Fatalf("%d pods while %s is not ready", n, name)
		}
		markPodsReady(t, c, "web")
	}
	waitFor(t, func() bool {
		s, err := sets.Get(ctx, "web", metav1.GetOptions{})
		st := s.Status
		return err == nil && st.Replicas == 3 && st.ReadyReplicas == 3 && st.AvailableReplicas == 3 && st.CurrentReplicas == 3 &&
			st.UpdatedReplicas == 3 && st.CurrentRevision != "" && st.CurrentRevision == st.UpdateRevision && st.ObservedGeneration == s.Generation
	}, "status with three ready replicas")

	// A new template rolls out from the highest ordinal down.
	s, err := sets.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	oldRev := s.Status.CurrentRevision
	s.Spec.Template.Spec.Containers[0].Image = "busybox:1.36"
	if _, err := sets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		p := livePodNames(t, c, "web")["web-2"]
		return p != nil && p.Spec.Containers[0].Image == "busybox:1.36"
	}, "web-2 replaced first")
	if p := livePodNames(t, c, "web")["web-0"]; p == nil || p.Labels[appsv1.ControllerRevisionHashLabelKey] != oldRev {
		t.Errorf("web-0 changed before web-2 was ready: %v", p)
	}
	waitLong(t, 30*time.Second, func() bool {
		markPodsReady(t, c, "web")
		s, err := sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && s.Status.CurrentRevision == s.Status.UpdateRevision && s.Status.CurrentRevision != oldRev &&
			s.Status.UpdatedReplicas == 3 && s.Status.ReadyReplicas == 3
	}, "rolling update complete")

	// Scaling down removes the highest ordinal first and keeps claims.
	s, err = sets.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	s.Spec.Replicas = &one
	if _, err := sets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		pods := livePodNames(t, c, "web")
		if pods["web-2"] != nil && pods["web-1"] == nil {
			t.Fatal("web-1 removed before web-2")
		}
		return len(pods) == 1 && pods["web-0"] != nil
	}, "scale down to web-0")
	if _, err := c.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data-web-2", metav1.GetOptions{}); err != nil {
		t.Errorf("claim of a removed pod deleted: %v", err)
	}
}
