package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/serviceaccount"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestServiceAccountControllerDefaultAccount(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"serviceaccount": serviceaccount.New}, nil)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sas := c.Client.CoreV1().ServiceAccounts("team")
	exists := func() bool {
		_, err := sas.Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	}
	waitFor(t, exists, "default ServiceAccount in a new namespace")
	if err := sas.Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, exists, "deleted default ServiceAccount recreated")
	if _, err := c.Client.CoreV1().ServiceAccounts("kube-system").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Errorf("kube-system has no default ServiceAccount: %v", err)
	}
}
