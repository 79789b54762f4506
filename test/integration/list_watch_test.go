package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func createConfigMaps(t *testing.T, c *testcluster.Cluster, ns string, n int) {
	t.Helper()
	ctx := context.Background()
	sem := make(chan struct{}, 16)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem }()
			cm := configMap(fmt.Sprintf("cm-%04d", i), map[string]string{"i": fmt.Sprint(i)})
			cm.Labels = map[string]string{"parity": fmt.Sprint(i % 2)}
			_, err := c.Client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
			errs <- err
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestPaginationAcross1000(t *testing.T) {
	c := testcluster.Start(t)
	createConfigMaps(t, c, "default", 1000)
	ctx := context.Background()
	seen := map[string]bool{}
	opts := metav1.ListOptions{Limit: 70}
	pages := 0
	var firstRV string
	for {
		list, err := c.Client.CoreV1().ConfigMaps("default").List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if firstRV == "" {
			firstRV = list.ResourceVersion
			// Objects written after the first page must not appear later.
			if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, configMap("zz-late", nil), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if list.ResourceVersion != firstRV {
			t.Fatalf("page %d at resourceVersion %s, first at %s", pages, list.ResourceVersion, firstRV)
		}
		for _, cm := range list.Items {
			if seen[cm.Name] {
				t.Fatalf("%s returned twice", cm.Name)
			}
			seen[cm.Name] = true
		}
		if list.Continue == "" {
			break
		}
		if list.RemainingItemCount == nil {
			t.Fatal("remainingItemCount missing on an unfiltered page")
		}
		opts.Continue = list.Continue
	}
	if len(seen) != 1000 || seen["zz-late"] || pages != 15 {
		t.Fatalf("got %d objects in %d pages (late object seen: %v)", len(seen), pages, seen["zz-late"])
	}
}

func TestLabelAndFieldSelectors(t *testing.T) {
	c := testcluster.Start(t)
	createConfigMaps(t, c, "default", 10)
	ctx := context.Background()
	list, err := c.Client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{LabelSelector: "parity=1"})
	if err != nil || len(list.Items) != 5 {
		t.Fatalf("label selector: %d items, %v", len(list.Items), err)
	}
	list, err = c.Client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=cm-0003"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("field selector: %d items, %v", len(list.Items), err)
	}
	_, err = c.Client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{FieldSelector: "spec.nope=1"})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("unsupported field: want 400, got %v", err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for sel, want := range map[string]int{"spec.nodeName=n1": 1, "spec.nodeName=n2": 0, "status.phase=Pending": 1} {
		pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil || len(pods.Items) != want {
			t.Errorf("%s: %d pods, %v", sel, len(pods.Items), err)
		}
	}
}

func TestWatchFromResourceVersion(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	cms := c.Client.CoreV1().ConfigMaps("default")
	first, err := cms.Create(ctx, configMap("a", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 5; i++ {
		cm, err := cms.Create(ctx, configMap(fmt.Sprintf("b%d", i), nil), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, "ADDED "+cm.Name+" "+cm.ResourceVersion)
	}
	if err := cms.Delete(ctx, "b0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	want = append(want, "DELETED b0")
	for i, exp := range want {
		select {
		case ev := <-w.ResultChan():
			cm := ev.Object.(*corev1.ConfigMap)
			got := string(ev.Type) + " " + cm.Name + " " + cm.ResourceVersion
			if ev.Type == watch.Deleted {
				got = string(ev.Type) + " " + cm.Name
			}
			if got != exp {
				t.Fatalf("event %d = %q, want %q", i, got, exp)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d (%s) not delivered", i, exp)
		}
	}
	// A later write arrives live.
	if _, err := cms.Create(ctx, configMap("c", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		if ev.Object.(*corev1.ConfigMap).Name != "c" || ev.Type != watch.Added {
			t.Fatalf("live event = %v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("live event not delivered")
	}
}

func TestWatchSendInitialEvents(t *testing.T) {
	c := testcluster.Start(t)
	createConfigMaps(t, c, "default", 3)
	ctx := context.Background()
	yes := true
	w, err := c.Client.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{
		SendInitialEvents: &yes, AllowWatchBookmarks: true, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	added := 0
	for {
		select {
		case ev := <-w.ResultChan():
			switch ev.Type {
			case watch.Added:
				added++
			case watch.Bookmark:
				cm := ev.Object.(*corev1.ConfigMap)
				if cm.Annotations[metav1.InitialEventsAnnotationKey] != "true" || added != 3 {
					t.Fatalf("bookmark after %d objects with annotations %v", added, cm.Annotations)
				}
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no initial-events-end bookmark after %d objects", added)
		}
	}
}

func TestGoneAfterCompaction(t *testing.T) {
	c := testcluster.Start(t, func(cfg *server.Config) {
		cfg.WatchCacheSize = 10
		cfg.CompactionInterval = 500 * time.Millisecond
	})
	ctx := context.Background()
	cms := c.Client.CoreV1().ConfigMaps("default")
	first, err := cms.Create(ctx, configMap("first", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	createConfigMaps(t, c, "default", 30)
	// The watch window (10 events) no longer reaches back to first.
	_, err = cms.Watch(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion})
	if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Fatalf("watch from an old resourceVersion: want 410 Gone, got %v", err)
	}
	// After two compaction passes etcd has dropped first's revision too.
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err = cms.List(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("exact list at a compacted revision: want 410, got %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
