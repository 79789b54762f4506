package cni

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConflist(t *testing.T) {
	b, err := Network{PodCIDR: "10.42.3.7/24", IPAMDir: "/d/ipam"}.Conflist()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CNIVersion, Name string
		Plugins          []map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	bridge := got.Plugins[0]
	ranges := bridge["ipam"].(map[string]any)["ranges"].([]any)[0].([]any)[0].(map[string]any)
	summary := []any{got.CNIVersion, got.Name, bridge["type"], bridge["bridge"], bridge["isGateway"], bridge["ipMasq"], ranges["subnet"], got.Plugins[1]["type"]}
	want := []any{"1.0.0", "skiff", "bridge", "skiff0", true, false, "10.42.3.0/24", "portmap"}
	if d := cmp.Diff(want, summary); d != "" {
		t.Errorf("conflist (-want +got):\n%s\n%s", d, b)
	}
}

func TestConflistRejects(t *testing.T) {
	for name, n := range map[string]Network{
		"ipv6":        {PodCIDR: "fd00::/64", IPAMDir: "/d"},
		"garbage":     {PodCIDR: "x", IPAMDir: "/d"},
		"long bridge": {Bridge: "a-very-long-bridge", IPAMDir: "/d"},
		"no ipam dir": {},
	} {
		if _, err := n.Conflist(); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := (Network{Name: "n1", IPAMDir: "/d"}).Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "10-n1.conflist")); err != nil {
		t.Error(err)
	}
}
