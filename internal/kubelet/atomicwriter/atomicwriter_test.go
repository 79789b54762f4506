package atomicwriter

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dump lists dir's entries: symlinks with their targets, files with mode
// and content; the timestamped directory's name is replaced by TS.
func dump(t *testing.T, dir string) []string {
	t.Helper()
	ts, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if target == ts {
				target = "TS"
			}
			out = append(out, rel+" -> "+target)
		case !info.IsDir():
			b, _ := os.ReadFile(p)
			rel = "TS" + rel[len(ts):]
			out = append(out, rel+" "+info.Mode().Perm().String()+" "+string(b))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vol")
	now := time.Unix(0, 0)
	first := map[string]File{"a": {Data: []byte("1"), Mode: 0o644}, "sub/b": {Data: []byte("2"), Mode: 0o400}}
	if err := Write(dir, first, now); err != nil {
		t.Fatal(err)
	}
	want := []string{"..data -> TS", "TS/a -rw-r--r-- 1", "TS/sub/b -r-------- 2", "a -> ..data/a", "sub -> ..data/sub"}
	if d := cmp.Diff(want, dump(t, dir)); d != "" {
		t.Errorf("first write (-want +got):\n%s", d)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "b")); err != nil || string(b) != "2" {
		t.Errorf("read through links: %q %v", b, err)
	}
	ts1, _ := os.Readlink(filepath.Join(dir, dataLink))
	if err := Write(dir, first, now); err != nil {
		t.Fatal(err)
	}
	if ts, _ := os.Readlink(filepath.Join(dir, dataLink)); ts != ts1 {
		t.Errorf("unchanged payload rewritten: %s → %s", ts1, ts)
	}
	second := map[string]File{"a": {Data: []byte("3"), Mode: 0o600}, "c": {Data: []byte("4"), Mode: 0o644}}
	if err := Write(dir, second, now); err != nil {
		t.Fatal(err)
	}
	want = []string{"..data -> TS", "TS/a -rw------- 3", "TS/c -rw-r--r-- 4", "a -> ..data/a", "c -> ..data/c"}
	if d := cmp.Diff(want, dump(t, dir)); d != "" {
		t.Errorf("update (-want +got):\n%s", d)
	}
	if _, err := os.Stat(filepath.Join(dir, ts1)); !os.IsNotExist(err) {
		t.Errorf("old timestamped dir kept: %v", err)
	}
}

func TestWriteRejectsEscapes(t *testing.T) {
	for _, p := range []string{"../x", "/abs", "a/../../x", "..hidden", ""} {
		if err := Write(t.TempDir(), map[string]File{p: {Mode: 0o644}}, time.Now()); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
}
