package storage

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/skiff-sh/skiff/internal/etcd"
)

func loopbackURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

func newTestStore(t *testing.T) *Store {
	t.Helper()
	e, err := etcd.Start(context.Background(), etcd.Config{DataDir: t.TempDir(), ClientURL: loopbackURL(t), PeerURL: loopbackURL(t)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return NewStore(e.Client, protobuf.NewSerializer(scheme.Scheme, scheme.Scheme), corev1.Resource("configmaps"),
		corev1.SchemeGroupVersion.WithKind("ConfigMap"), "/registry/configmaps/", func() runtime.Object { return &corev1.ConfigMap{} })
}

// setKey returns an UpdateFunc that sets data[k]=v and records the
// resourceVersions it was given; with refuseStale it fails, as a
// precondition would, on any version but the latest.
func setKey(k, v string, seen *[]string, latest *string) UpdateFunc {
	return func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap)
		*seen = append(*seen, cm.ResourceVersion)
		if latest != nil && cm.ResourceVersion != *latest {
			return nil, errors.New("stale")
		}
		next := cm.DeepCopy()
		if next.Data == nil {
			next.Data = map[string]string{}
		}
		next.Data[k] = v
		return next, nil
	}
}

// TestUpdateFrom: a current cached copy is written without reading etcd;
// a stale one, or one that made tryUpdate fail, is redone from etcd; the
// cached copy itself is never changed.
func TestUpdateFrom(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	key := s.Key("ns", "cm")
	created, err := s.Create(ctx, key, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cm"}})
	if err != nil {
		t.Fatal(err)
	}
	rv0 := created.(*corev1.ConfigMap).ResourceVersion

	// Current copy: one call, on the cached version.
	var seen []string
	out, err := s.UpdateFrom(ctx, key, "cm", created, setKey("a", "1", &seen, nil))
	if err != nil {
		t.Fatal(err)
	}
	rv1 := out.(*corev1.ConfigMap).ResourceVersion
	if len(seen) != 1 || seen[0] != rv0 || created.(*corev1.ConfigMap).Data != nil {
		t.Fatalf("current copy: tryUpdate saw %v (want [%s]), cached copy %v", seen, rv0, created)
	}

	// Stale copy (rv0): the conditional write fails, and the update is
	// redone on what etcd holds, keeping a=1.
	seen = nil
	out, err = s.UpdateFrom(ctx, key, "cm", created, setKey("b", "2", &seen, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.ConfigMap)
	if len(seen) != 2 || seen[0] != rv0 || seen[1] != rv1 || got.Data["a"] != "1" || got.Data["b"] != "2" {
		t.Fatalf("stale copy: tryUpdate saw %v, result %v", seen, got.Data)
	}

	// A failure computed from a stale copy is not final.
	seen = nil
	latest := got.ResourceVersion
	if _, err := s.UpdateFrom(ctx, key, "cm", created, setKey("c", "3", &seen, &latest)); err != nil {
		t.Fatalf("refused on the stale copy only, got %v", err)
	}
	if len(seen) != 2 || seen[1] != latest {
		t.Fatalf("refusing tryUpdate saw %v, want [%s %s]", seen, rv0, latest)
	}

	// A cached copy of an object gone from etcd: not found.
	if _, err := s.Delete(ctx, key, "cm", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFrom(ctx, key, "cm", created, setKey("d", "4", &seen, nil)); !apierrors.IsNotFound(err) {
		t.Fatalf("update of a deleted object: %v, want NotFound", err)
	}
}
