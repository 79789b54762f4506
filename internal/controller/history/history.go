package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"reflect"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// maxPrefix is the longest owner name a revision name keeps (Kubernetes'
// 223, leaving room for the hash within 253).
const maxPrefix = 223

// ErrCollision means a revision of the wanted name holds other data; the
// owner's collisionCount was bumped and the sync should be retried.
var ErrCollision = errors.New("controller revision hash collision")

// Owner is the DaemonSet or StatefulSet whose revisions are kept.
type Owner struct {
	Object   metav1.Object
	GVK      schema.GroupVersionKind
	Selector labels.Selector
	// CollisionCount is the owner's status.collisionCount; Ensure bumps
	// it on a collision.
	CollisionCount *int32
}

// NewOwner returns the Owner of object with kind gvk and selector sel,
// with a CollisionCount copied from status (nil counts as 0): on
// ErrCollision the caller writes the bumped count back to its status.
func NewOwner(object metav1.Object, gvk schema.GroupVersionKind, sel labels.Selector, status *int32) Owner {
	var n int32
	if status != nil {
		n = *status
	}
	return Owner{Object: object, GVK: gvk, Selector: sel, CollisionCount: &n}
}

// Sync lists the revisions of o, oldest first, and ensures the one
// holding template (see Ensure), labelled with the template's labels.
// revs are the revisions as listed, before Ensure.
func Sync(ctx context.Context, client kubernetes.Interface, lister appslisters.ControllerRevisionLister, o Owner, template *corev1.PodTemplateSpec) (revs []*appsv1.ControllerRevision, cur *appsv1.ControllerRevision, err error) {
	if revs, err = List(lister, o); err != nil {
		return nil, nil, err
	}
	data, err := Data(template)
	if err != nil {
		return nil, nil, err
	}
	cur, err = Ensure(ctx, client, o, revs, data, template.Labels)
	return revs, cur, err
}

// Data is the revision contents for a pod template, as Kubernetes stores
// them: a patch replacing spec.template.
func Data(template *corev1.PodTemplateSpec) ([]byte, error) {
	raw, err := json.Marshal(template)
	if err != nil {
		return nil, err
	}
	var t map[string]any
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	t["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": t}})
}

// Template reads the pod template back from a revision.
func Template(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var d struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(rev.Data.Raw, &d); err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev.Name, err)
	}
	return &d.Spec.Template, nil
}

// Hash returns the controller-revision-hash of data with the owner's
// collision count (nil and 0 hash alike).
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil && *collisionCount != 0 {
		h.Write([]byte(strconv.FormatInt(int64(*collisionCount), 10)))
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// Name returns the name of the revision of owner with hash.
func Name(owner, hash string) string {
	if len(owner) > maxPrefix {
		owner = owner[:maxPrefix]
	}
	return owner + "-" + hash
}

// List returns the revisions owner controls, oldest first.
func List(lister appslisters.ControllerRevisionLister, o Owner) ([]*appsv1.ControllerRevision, error) {
	all, err := lister.ControllerRevisions(o.Object.GetNamespace()).List(o.Selector)
	if err != nil {
		return nil, err
	}
	out := podutil.ControlledBy(all, o.Object.GetUID())
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Revision != out[j].Revision {
			return out[i].Revision < out[j].Revision
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Ensure returns the revision of owner holding data, creating it or
// renumbering it as the newest. revs are the owner's revisions, oldest
// first; labels label a new revision (the template's).
func Ensure(ctx context.Context, client kubernetes.Interface, o Owner, revs []*appsv1.ControllerRevision, data []byte, lbls map[string]string) (*appsv1.ControllerRevision, error) {
	hash := Hash(data, o.CollisionCount)
	next := int64(1)
	if len(revs) > 0 {
		next = revs[len(revs)-1].Revision + 1
	}
	for _, r := range revs {
		if !sameData(r.Data.Raw, data) {
			continue
		}
		if r == revs[len(revs)-1] {
			return r, nil
		}
		r = r.DeepCopy()
		r.Revision = next
		updated, err := client.AppsV1().ControllerRevisions(r.Namespace).Update(ctx, r, metav1.UpdateOptions{})
		if err != nil {
			return nil, fmt.Errorf("renumber revision %s/%s: %w", r.Namespace, r.Name, err)
		}
		return updated, nil
	}
	l := maps.Clone(lbls)
	if l == nil {
		l = map[string]string{}
	}
	l[appsv1.ControllerRevisionHashLabelKey] = hash
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: Name(o.Object.GetName(), hash), Namespace: o.Object.GetNamespace(), Labels: l,
			OwnerReferences: []metav1.OwnerReference{*podutil.NewControllerRef(o.Object, o.GVK)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: next,
	}
	created, err := client.AppsV1().ControllerRevisions(rev.Namespace).Create(ctx, rev, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		if err != nil {
			return nil, fmt.Errorf("create revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		return created, nil
	}
	existing, err := client.AppsV1().ControllerRevisions(rev.Namespace).Get(ctx, rev.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if podutil.IsControlledBy(existing, o.Object.GetUID()) && sameData(existing.Data.Raw, data) {
		return existing, nil
	}
	*o.CollisionCount++
	return nil, ErrCollision
}

// sameData compares revision contents as JSON values, not bytes.
func sameData(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// DefaultHistoryLimit is the revisions kept when the owner's
// spec.revisionHistoryLimit is unset (Kubernetes' 10).
const DefaultHistoryLimit = 10

// Truncate deletes the oldest revisions beyond limit (the owner's
// spec.revisionHistoryLimit; nil means DefaultHistoryLimit) that are not
// live (in use by the owner's status or pods).
func Truncate(ctx context.Context, client kubernetes.Interface, revs []*appsv1.ControllerRevision, live map[string]bool, limit *int32) error {
	keep := DefaultHistoryLimit
	if limit != nil {
		keep = int(*limit)
	}
	var old []*appsv1.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			old = append(old, r)
		}
	}
	var errs []error
	for _, r := range old[:max(len(old)-keep, 0)] {
		err := client.AppsV1().ControllerRevisions(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete revision %s/%s: %w", r.Namespace, r.Name, err))
		}
	}
	return errors.Join(errs...)
}
