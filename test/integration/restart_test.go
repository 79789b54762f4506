package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestRestartKeepsObjectsAndCA(t *testing.T) {
	cfg := server.Config{DataDir: t.TempDir(), EtcdClientURL: "http://" + testcluster.FreeAddr(t), EtcdPeerURL: "http://" + testcluster.FreeAddr(t)}
	c := testcluster.StartWith(t, cfg)
	ctx := context.Background()
	if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, configMap("keep", map[string]string{"a": "b"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(cfg.DataDir, "tls", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	c.Stop(t)

	c = testcluster.StartWith(t, cfg)
	cm, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "keep", metav1.GetOptions{})
	if err != nil || cm.Data["a"] != "b" {
		t.Fatalf("object lost across restart: %v %v", cm, err)
	}
	again, _ := os.ReadFile(filepath.Join(cfg.DataDir, "tls", "ca.crt"))
	if string(again) != string(ca) {
		t.Fatal("CA regenerated on restart")
	}
}
