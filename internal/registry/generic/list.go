package generic

import (
	"context"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/storage"
)

// List returns the objects of namespace ns (all namespaces when empty)
// with Kubernetes' resourceVersion semantics: unset is a consistent read,
// "0" is whatever the cache has, N is not older than N (or exactly N with
// resourceVersionMatch=Exact or a limit).
func (s *Store) List(ctx context.Context, ns string, opts ListOptions) (runtime.Object, error) {
	rv, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if err := checkListOptions(opts); err != nil {
		return nil, err
	}
	pred := s.Predicate(opts.Label, opts.Field)
	prefix := s.Storage.NamespacePrefix(ns)
	exact := opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact ||
		(opts.ResourceVersionMatch == "" && opts.Limit > 0 && rv > 0)
	if s.Cache == nil || opts.Continue != "" || exact || (opts.Limit > 0 && opts.ResourceVersion == "") {
		return s.listFromEtcd(ctx, prefix, rv, opts, pred)
	}
	switch {
	case opts.ResourceVersion == "":
		err = s.Cache.WaitConsistent(ctx)
	case rv > 0:
		err = s.Cache.WaitFresh(ctx, rv)
	}
	if err != nil {
		return nil, err
	}
	items, rev := s.Cache.List(prefix, pred)
	return s.makeList(items, rev, "", nil)
}

func checkListOptions(opts ListOptions) error {
	if opts.ResourceVersionMatch != "" && opts.ResourceVersion == "" {
		return apierrors.NewBadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided")
	}
	if opts.Continue != "" && opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		return apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
	}
	switch opts.ResourceVersionMatch {
	case "", metav1.ResourceVersionMatchExact, metav1.ResourceVersionMatchNotOlderThan:
	default:
		return apierrors.NewBadRequest("resourceVersionMatch must be one of Exact, NotOlderThan")
	}
	if opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact && opts.ResourceVersion == "0" {
		return apierrors.NewBadRequest("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
	}
	return nil
}

func (s *Store) listFromEtcd(ctx context.Context, prefix string, rv int64, opts ListOptions, pred storage.Predicate) (runtime.Object, error) {
	lo := storage.ListOptions{Limit: opts.Limit, Continue: opts.Continue, Predicate: pred}
	if opts.Continue == "" {
		lo.Revision = rv
		if opts.ResourceVersionMatch == metav1.ResourceVersionMatchNotOlderThan {
			lo.Revision = 0
		}
	}
	res, err := s.Storage.List(ctx, prefix, lo)
	if err != nil {
		return nil, err
	}
	return s.makeList(res.Items, res.Revision, res.Continue, res.Remaining)
}

func (s *Store) makeList(items []runtime.Object, rev int64, cont string, remaining *int64) (runtime.Object, error) {
	list := s.NewList()
	if err := meta.SetList(list, items); err != nil {
		return nil, err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	lm.SetResourceVersion(strconv.FormatInt(rev, 10))
	lm.SetContinue(cont)
	lm.SetRemainingItemCount(remaining)
	return list, nil
}

// WatchOptions select what Watch streams.
type WatchOptions struct {
	ListOptions
	SendInitialEvents *bool
	AllowBookmarks    bool
}

// Watch streams changes in namespace ns with Kubernetes' semantics: from
// resourceVersion N the events after N; unset or "0", the current state
// first; sendInitialEvents=true, the state then an initial-events-end
// bookmark.
func (s *Store) Watch(ctx context.Context, ns string, opts WatchOptions) (watch.Interface, error) {
	rv, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	wo := storage.WatchOptions{Revision: rv, Bookmarks: opts.AllowBookmarks, Predicate: s.Predicate(opts.Label, opts.Field)}
	if err := s.watchStart(ctx, &wo, opts); err != nil {
		return nil, err
	}
	return s.Cache.Watch(ctx, s.Storage.NamespacePrefix(ns), wo)
}

func (s *Store) watchStart(ctx context.Context, wo *storage.WatchOptions, opts WatchOptions) error {
	if opts.SendInitialEvents == nil {
		if opts.ResourceVersionMatch != "" {
			return apierrors.NewBadRequest("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
		}
		switch opts.ResourceVersion {
		case "":
			wo.SendInitialEvents = true
			return s.Cache.WaitConsistent(ctx)
		case "0":
			wo.SendInitialEvents = true
		}
		return nil
	}
	if opts.ResourceVersionMatch != metav1.ResourceVersionMatchNotOlderThan {
		return apierrors.NewBadRequest("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
	}
	if *opts.SendInitialEvents && !opts.AllowBookmarks {
		return apierrors.NewBadRequest("sendInitialEvents requires setting allowWatchBookmarks to true")
	}
	wo.SendInitialEvents, wo.InitialEventsEnd = *opts.SendInitialEvents, *opts.SendInitialEvents
	if opts.ResourceVersion != "" {
		return nil
	}
	if err := s.Cache.WaitConsistent(ctx); err != nil {
		return err
	}
	if !wo.SendInitialEvents {
		wo.Revision = s.Cache.Revision()
	}
	return nil
}
