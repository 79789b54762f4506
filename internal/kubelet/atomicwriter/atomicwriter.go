// Package atomicwriter writes a set of files into a directory so that a
// reader sees either the old set or the new one, never a mix, the way
// Kubernetes updates configMap, secret, downwardAPI and projected
// volumes: the files live in a timestamped directory, a "..data" symlink
// names the current one and is swapped by rename, and each top-level
// entry is a symlink through "..data".
package atomicwriter

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// dataLink is the symlink to the current timestamped directory.
const dataLink = "..data"

// File is one file of a payload.
type File struct {
	Data []byte
	Mode os.FileMode
}

// Write makes dir hold exactly payload (relative path → file). It does
// nothing if dir already holds it.
func Write(dir string, payload map[string]File, now time.Time) error {
	for p := range payload {
		if err := validPath(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	oldTS, _ := os.Readlink(filepath.Join(dir, dataLink))
	var old map[string]File
	if oldTS != "" {
		var err error
		if old, err = readPayload(filepath.Join(dir, oldTS)); err == nil && equal(old, payload) {
			return nil
		}
	}
	ts, err := os.MkdirTemp(dir, now.UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := writePayload(ts, payload); err != nil {
		_ = os.RemoveAll(ts)
		return err
	}
	tmpLink := filepath.Join(dir, dataLink+"_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(ts), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, filepath.Join(dir, dataLink)); err != nil {
		return err
	}
	if err := linkTopLevel(dir, payload); err != nil {
		return err
	}
	removeStale(dir, old, payload)
	if oldTS != "" {
		return os.RemoveAll(filepath.Join(dir, oldTS))
	}
	return nil
}

func validPath(p string) error {
	clean := filepath.Clean(p)
	switch {
	case p == "" || filepath.IsAbs(p) || clean != p:
		return fmt.Errorf("invalid path %q", p)
	case clean == ".." || strings.HasPrefix(clean, "../") || strings.HasPrefix(clean, ".."):
		return fmt.Errorf("invalid path %q: must not start with '..'", p)
	}
	return nil
}

func writePayload(root string, payload map[string]File) error {
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	for p, f := range payload {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.Mode); err != nil { // umask must not apply
			return err
		}
	}
	return nil
}

func readPayload(root string) (map[string]File, error) {
	out := map[string]File{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = File{Data: b, Mode: info.Mode().Perm()}
		return nil
	})
	return out, err
}

func equal(a, b map[string]File) bool {
	if len(a) != len(b) {
		return false
	}
	for p, f := range a {
		g, ok := b[p]
		if !ok || g.Mode.Perm() != f.Mode.Perm() || !bytes.Equal(g.Data, f.Data) {
			return false
		}
	}
	return true
}

// topLevel returns the first path element of every payload path.
func topLevel(payload map[string]File) map[string]bool {
	out := map[string]bool{}
	for p := range payload {
		first, _, _ := strings.Cut(p, "/")
		out[first] = true
	}
	return out
}

func linkTopLevel(dir string, payload map[string]File) error {
	for name := range topLevel(payload) {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataLink, name), link); err != nil {
			return err
		}
	}
	return nil
}

func removeStale(dir string, old, payload map[string]File) {
	keep := topLevel(payload)
	for name := range topLevel(old) {
		if !keep[name] {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}
