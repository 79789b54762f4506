package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/rootcacertpublisher"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestRootCACertPublisher(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"root-ca-cert-publisher": rootcacertpublisher.New}, nil)
	ca := string(c.Config.CAData)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cms := c.Client.CoreV1().ConfigMaps("team")
	published := func() bool {
		cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil && len(cm.Data) == 1 && cm.Data["ca.crt"] == ca && len(cm.Annotations) == 0
	}
	waitFor(t, published, "kube-root-ca.crt in a new namespace")
	cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["ca.crt"] = "tampered"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, published, "changed kube-root-ca.crt restored")
	if err := cms.Delete(ctx, "kube-root-ca.crt", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, published, "deleted kube-root-ca.crt recreated")
	if _, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
		t.Errorf("default namespace has no kube-root-ca.crt: %v", err)
	}
}
