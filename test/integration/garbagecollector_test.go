package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/garbagecollector"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func ownedConfigMap(name string, owner *corev1.ConfigMap, finalizers ...string) *corev1.ConfigMap {
	yes := true
	cm := configMap(name, nil)
	cm.Finalizers = finalizers
	cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, BlockOwnerDeletion: &yes}}
	return cm
}

func mustCreateCM(t *testing.T, c *testcluster.Cluster, cm *corev1.ConfigMap) *corev1.ConfigMap {
	t.Helper()
	out, err := c.Client.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func cmGone(c *testcluster.Cluster, name string) func() bool {
	return func() bool {
		_, err := c.Client.CoreV1().ConfigMaps("default").Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}
}

func deleteCM(t *testing.T, c *testcluster.Cluster, name string, policy metav1.DeletionPropagation) {
	t.Helper()
	if err := c.Client.CoreV1().ConfigMaps("default").Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
}

func TestGarbageCollector(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"garbagecollector": garbagecollector.New}, nil)

	t.Run("background", func(t *testing.T) {
		owner := mustCreateCM(t, c, configMap("bg", nil))
		mustCreateCM(t, c, ownedConfigMap("bg-dep", owner))
		deleteCM(t, c, "bg", metav1.DeletePropagationBackground)
		waitLong(t, 20*time.Second, cmGone(c, "bg-dep"), "dependent of a deleted owner to go")
	})
	t.Run("dangling owner", func(t *testing.T) {
		ghost := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "never", UID: types.UID("00000000-0000-0000-0000-000000000001")}}
		mustCreateCM(t, c, ownedConfigMap("orphaned-at-birth", ghost))
		waitLong(t, 20*time.Second, cmGone(c, "orphaned-at-birth"), "dependent of a missing owner to go")
	})
	t.Run("foreground", func(t *testing.T) {
		owner := mustCreateCM(t, c, configMap("fg", nil))
		mustCreateCM(t, c, ownedConfigMap("fg-dep", owner, "example.com/hold"))
		deleteCM(t, c, "fg", metav1.DeletePropagationForeground)
		waitLong(t, 20*time.Second, func() bool {
			dep, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "fg-dep", metav1.GetOptions{})
			return err == nil && dep.DeletionTimestamp != nil
		}, "dependent to be deleted first")
		// The blocking dependent holds the owner.
		time.Sleep(500 * time.Millisecond)
		if cmGone(c, "fg")() {
			t.Fatal("owner went before its blocking dependent")
		}
		dep, _ := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "fg-dep", metav1.GetOptions{})
		dep.Finalizers = nil
		if _, err := c.Client.CoreV1().ConfigMaps("default").Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitLong(t, 20*time.Second, cmGone(c, "fg"), "owner to go after its dependent")
	})
	t.Run("orphan", func(t *testing.T) {
		owner := mustCreateCM(t, c, configMap("or", nil))
		mustCreateCM(t, c, ownedConfigMap("or-dep", owner))
		deleteCM(t, c, "or", metav1.DeletePropagationOrphan)
		waitLong(t, 20*time.Second, cmGone(c, "or"), "orphaning owner to go")
		dep, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "or-dep", metav1.GetOptions{})
		if err != nil || len(dep.OwnerReferences) != 0 {
			t.Fatalf("orphan: %v, ownerReferences %v", err, dep.OwnerReferences)
		}
	})
}
