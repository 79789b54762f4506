// Package storage keeps API objects in etcd under
// /registry/<resource>/<namespace>/<name>, with resourceVersion equal to the
// etcd mod revision, and serves lists and watches from a watch cache.
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Store reads and writes the objects of one resource in etcd. It is safe
// for concurrent use.
type Store struct {
	client   *clientv3.Client
	codec    runtime.Codec
	newFunc  func() runtime.Object
	gvk      schema.GroupVersionKind
	resource schema.GroupResource
	// Prefix is the key prefix of the resource, ending in "/".
	Prefix string
	// Metrics records etcd latency; nil records nothing.
	Metrics *Metrics
}

// NewStore returns a store for resource under prefix. codec encodes for
// etcd; newFunc makes an empty object of kind gvk to decode into. Objects
// the store returns carry their apiVersion and kind, so encoders never
// need to set them on shared objects.
func NewStore(client *clientv3.Client, codec runtime.Codec, resource schema.GroupResource, gvk schema.GroupVersionKind, prefix string, newFunc func() runtime.Object) *Store {
	return &Store{client: client, codec: codec, newFunc: newFunc, gvk: gvk, resource: resource, Prefix: prefix}
}

func (s *Store) newObject() runtime.Object {
	obj := s.newFunc()
	obj.GetObjectKind().SetGroupVersionKind(s.gvk)
	return obj
}

// Key returns the etcd key of an object.
func (s *Store) Key(namespace, name string) string {
	if namespace == "" {
		return s.Prefix + name
	}
	return s.Prefix + namespace + "/" + name
}

// NamespacePrefix returns the key prefix of a namespace's objects, or the
// resource prefix for an empty namespace.
func (s *Store) NamespacePrefix(namespace string) string {
	if namespace == "" {
		return s.Prefix
	}
	return s.Prefix + namespace + "/"
}

func (s *Store) encode(obj runtime.Object) ([]byte, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	// The revision is the etcd mod revision; never store a stale copy of it.
	rv := m.GetResourceVersion()
	m.SetResourceVersion("")
	obj.GetObjectKind().SetGroupVersionKind(s.gvk)
	data, err := runtime.Encode(s.codec, obj)
	m.SetResourceVersion(rv)
	return data, err
}

func (s *Store) decode(data []byte, rev int64) (runtime.Object, error) {
	obj, _, err := s.codec.Decode(data, nil, s.newObject())
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", s.resource, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(s.gvk)
	setRV(obj, rev)
	return obj, nil
}

func setRV(obj runtime.Object, rev int64) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetResourceVersion(strconv.FormatInt(rev, 10))
	}
}

// Create stores obj under key if no object is there yet and returns it with
// its resourceVersion.
func (s *Store) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	defer s.Metrics.observe("create", s.resource.String(), time.Now())
	data, err := s.encode(obj)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(data))).Commit()
	if err != nil {
		return nil, s.etcdError(err)
	}
	if !resp.Succeeded {
		return nil, apierrors.NewAlreadyExists(s.resource, nameOf(obj))
	}
	out := obj.DeepCopyObject()
	setRV(out, resp.Header.Revision)
	return out, nil
}

// Get reads the object under key straight from etcd.
func (s *Store) Get(ctx context.Context, key, name string) (runtime.Object, error) {
	defer s.Metrics.observe("get", s.resource.String(), time.Now())
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return nil, s.etcdError(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, apierrors.NewNotFound(s.resource, name)
	}
	return s.decode(resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// UpdateFunc computes the new object from the current one. Returning a nil
// object with a nil error deletes the object.
type UpdateFunc func(current runtime.Object) (runtime.Object, error)

// Update applies tryUpdate to the current object and writes the result if
// the object did not change in between, retrying otherwise. If tryUpdate
// returns an error the update stops with it.
func (s *Store) Update(ctx context.Context, key, name string, tryUpdate UpdateFunc) (runtime.Object, error) {
	return s.UpdateFrom(ctx, key, name, nil, tryUpdate)
}

// UpdateFrom is Update starting from cached, the watch cache's copy of
// the object (nil if it has none), instead of reading etcd, as
// Kubernetes' GuaranteedUpdate does with its cached object. The write is
// conditional on cached's revision, so a stale copy costs one failed
// transaction; an error or a deletion refused, computed from a copy that
// may be stale, is computed again from etcd.
func (s *Store) UpdateFrom(ctx context.Context, key, name string, cached runtime.Object, tryUpdate UpdateFunc) (runtime.Object, error) {
	if cached != nil {
		if out, ok := s.updateCached(ctx, key, name, cached, tryUpdate); ok {
			return out, nil
		}
	}
	for {
		resp, err := s.client.Get(ctx, key)
		if err != nil {
			return nil, s.etcdError(err)
		}
		if len(resp.Kvs) == 0 {
			return nil, apierrors.NewNotFound(s.resource, name)
		}
		kv := resp.Kvs[0]
		cur, err := s.decode(kv.Value, kv.ModRevision)
		if err != nil {
			return nil, err
		}
		next, err := tryUpdate(cur)
		if err != nil {
			return nil, err
		}
		if next == nil {
			out, err := s.deleteAt(ctx, key, name, kv.ModRevision)
			if errors.Is(err, errConflictRetry) {
				continue
			}
			return out, err
		}
		out, ok, err := s.putAt(ctx, key, next, kv.ModRevision)
		if err != nil || ok {
			return out, err
		}
	}
}

// updateCached applies tryUpdate to a copy of cached and writes the
// result if the object is still at cached's revision; ok reports that.
func (s *Store) updateCached(ctx context.Context, key, name string, cached runtime.Object, tryUpdate UpdateFunc) (runtime.Object, bool) {
	m, err := meta.Accessor(cached)
	if err != nil {
		return nil, false
	}
	rev, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil {
		return nil, false
	}
	next, err := tryUpdate(cached.DeepCopyObject())
	if err != nil {
		return nil, false
	}
	if next == nil {
		out, err := s.deleteAt(ctx, key, name, rev)
		return out, err == nil
	}
	out, ok, err := s.putAt(ctx, key, next, rev)
	return out, ok && err == nil
}

func (s *Store) putAt(ctx context.Context, key string, obj runtime.Object, rev int64) (runtime.Object, bool, error) {
	defer s.Metrics.observe("update", s.resource.String(), time.Now())
	data, err := s.encode(obj)
	if err != nil {
		return nil, false, err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, string(data))).Commit()
	if err != nil {
		return nil, false, s.etcdError(err)
	}
	if !resp.Succeeded {
		return nil, false, nil
	}
	out := obj.DeepCopyObject()
	setRV(out, resp.Header.Revision)
	return out, true, nil
}

// Delete removes the object under key after check accepts the current
// object (check may be nil), and returns the object as it was.
func (s *Store) Delete(ctx context.Context, key, name string, check func(current runtime.Object) error) (runtime.Object, error) {
	var deleted runtime.Object
	_, err := s.Update(ctx, key, name, func(cur runtime.Object) (runtime.Object, error) {
		if check != nil {
			if err := check(cur); err != nil {
				return nil, err
			}
		}
		deleted = cur
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

var errConflictRetry = errors.New("object changed during delete")

func (s *Store) deleteAt(ctx context.Context, key, name string, rev int64) (runtime.Object, error) {
	defer s.Metrics.observe("delete", s.resource.String(), time.Now())
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpDelete(key, clientv3.WithPrevKV())).Commit()
	if err != nil {
		return nil, s.etcdError(err)
	}
	if !resp.Succeeded {
		return nil, errConflictRetry
	}
	dr := resp.Responses[0].GetResponseDeleteRange()
	if len(dr.PrevKvs) == 0 {
		return nil, apierrors.NewNotFound(s.resource, name)
	}
	return s.decode(dr.PrevKvs[0].Value, resp.Header.Revision)
}

// ListResult is one page of a list.
type ListResult struct {
	Items     []runtime.Object
	Revision  int64
	Continue  string
	Remaining *int64
}

// ListOptions select a page of a list served from etcd.
type ListOptions struct {
	// Revision reads at this revision; 0 reads the latest.
	Revision int64
	// Limit is the page size; 0 means all.
	Limit int64
	// Continue is the token from a previous page.
	Continue  string
	Predicate Predicate
}

// List reads objects under prefix from etcd, in key order.
func (s *Store) List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error) {
	defer s.Metrics.observe("list", s.resource.String(), time.Now())
	start, rev := prefix, opts.Revision
	if opts.Continue != "" {
		k, r, err := decodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		start, rev = k, r
	}
	end := clientv3.GetPrefixRangeEnd(prefix)
	res := &ListResult{Revision: rev}
	lastKey := ""
	for {
		ops := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithRev(res.Revision)}
		if opts.Limit > 0 {
			ops = append(ops, clientv3.WithLimit(opts.Limit-int64(len(res.Items))+1))
		}
		resp, err := s.client.Get(ctx, start, ops...)
		if err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) && opts.Continue == "" {
				return nil, apierrors.NewResourceExpired("The resourceVersion for the provided list is too old.")
			}
			if errors.Is(err, rpctypes.ErrCompacted) {
				return nil, apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
			}
			return nil, s.etcdError(err)
		}
		if res.Revision == 0 {
			res.Revision = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
				return s.finishPage(res, prefix, lastKey, resp.Count-int64(i), opts.Predicate)
			}
			lastKey = string(kv.Key)
			obj, err := s.decode(kv.Value, kv.ModRevision)
			if err != nil {
				return nil, err
			}
			if opts.Predicate.Matches(obj) {
				res.Items = append(res.Items, obj)
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return res, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// finishPage sets the continue token after lastKey; remaining counts the
// keys not yet returned, which Kubernetes reports only without filtering.
func (s *Store) finishPage(res *ListResult, prefix, lastKey string, remaining int64, pred Predicate) (*ListResult, error) {
	tok, err := encodeContinue(lastKey+"\x00", prefix, res.Revision)
	if err != nil {
		return nil, err
	}
	res.Continue = tok
	if pred.Everything() {
		res.Remaining = &remaining
	}
	return res, nil
}

// CurrentRevision returns etcd's latest revision.
func (s *Store) CurrentRevision(ctx context.Context) (int64, error) {
	defer s.Metrics.observe("count", s.resource.String(), time.Now())
	resp, err := s.client.Get(ctx, s.Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, s.etcdError(err)
	}
	return resp.Header.Revision, nil
}

func (s *Store) etcdError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apierrors.NewTimeoutError(fmt.Sprintf("etcd request for %s: %v", s.resource, err), 1)
	}
	return apierrors.NewInternalError(fmt.Errorf("etcd: %w", err))
}

func nameOf(obj runtime.Object) string {
	_, name := namespaceName(obj)
	return name
}

func namespaceName(obj runtime.Object) (string, string) {
	if m, err := meta.Accessor(obj); err == nil {
		return m.GetNamespace(), m.GetName()
	}
	return "", ""
}
