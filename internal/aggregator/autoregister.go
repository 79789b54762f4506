package aggregator

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// AutoManagedLabel marks the APIServices the server keeps itself: "onstart"
// for built-in group/versions (set right when the server starts, then left
// to the user) and "true" for custom resource definitions' (kept as long
// as the definition serves them), as Kubernetes' autoregister does.
const AutoManagedLabel = "kube-aggregator.kubernetes.io/automanaged"

// Priority is an APIService's group and version priority.
type Priority struct{ Group, Version int32 }

// Priorities are Kubernetes' (pkg/controlplane/apiserver and
// cmd/kube-apiserver/app aggregator.go) for the group/versions skiff
// serves; a group/version without one gets no APIService, as there.
var Priorities = map[schema.GroupVersion]Priority{
	{Version: "v1"}:                                        {18000, 1},
	{Group: "apps", Version: "v1"}:                         {17800, 15},
	{Group: "events.k8s.io", Version: "v1"}:                {17750, 15},
	{Group: "authentication.k8s.io", Version: "v1"}:        {17700, 15},
	{Group: "authorization.k8s.io", Version: "v1"}:         {17600, 15},
	{Group: "autoscaling", Version: "v1"}:                  {17500, 15},
	{Group: "autoscaling", Version: "v2"}:                  {17500, 30},
	{Group: "batch", Version: "v1"}:                        {17400, 15},
	{Group: "certificates.k8s.io", Version: "v1"}:          {17300, 15},
	{Group: "networking.k8s.io", Version: "v1"}:            {17200, 15},
	{Group: "policy", Version: "v1"}:                       {17100, 15},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:    {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:               {16800, 15},
	{Group: "apiextensions.k8s.io", Version: "v1"}:         {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1"}: {16700, 15},
	{Group: "scheduling.k8s.io", Version: "v1"}:            {16600, 15},
	{Group: "coordination.k8s.io", Version: "v1"}:          {16500, 15},
	{Group: "node.k8s.io", Version: "v1"}:                  {16300, 15},
	{Group: "discovery.k8s.io", Version: "v1"}:             {16200, 15},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}: {16100, 21},
}

// crdPriority is what Kubernetes' crdregistration controller gives every
// custom resource group/version.
var crdPriority = Priority{1000, 100}

// localMessage is the Available condition of every local APIService.
const (
	reasonLocal  = "Local"
	localMessage = "Local APIServices are always available"
)

// register creates or corrects the local APIServices: on the first run
// the "onstart" and "true" ones, later only the "true" ones; and deletes
// "true" ones (and on the first run "onstart" ones) nothing serves now.
func (a *Aggregator) register(ctx context.Context, first bool) error {
	builtin, custom := a.cfg.Local()
	want := map[string]*apiregv1.APIService{}
	for _, gv := range builtin {
		if p, ok := Priorities[gv]; ok && first {
			want[name(gv)] = localAPIService(gv, p, "onstart")
		}
	}
	for _, gv := range custom {
		if _, ok := want[name(gv)]; !ok {
			want[name(gv)] = localAPIService(gv, crdPriority, "true")
		}
	}
	existing, err := a.list(ctx)
	if err != nil {
		return err
	}
	for _, cur := range existing {
		l := cur.Labels[AutoManagedLabel]
		if want[cur.Name] == nil && (l == "true" || (first && l == "onstart")) {
			if _, _, err := a.cfg.APIServices.Delete(ctx, "", cur.Name, nil, false); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	for _, obj := range want {
		if err := a.ensure(ctx, obj); err != nil {
			return err
		}
	}
	return nil
}

// ensure creates obj, or replaces the spec and automanaged label of the
// stored one when they differ.
func (a *Aggregator) ensure(ctx context.Context, obj *apiregv1.APIService) error {
	st := a.cfg.APIServices
	cur, err := st.Get(ctx, "", obj.Name, "0")
	if apierrors.IsNotFound(err) {
		_, err = st.Create(ctx, "", obj, false)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	c := cur.(*apiregv1.APIService)
	if equality.Semantic.DeepEqual(c.Spec, obj.Spec) && c.Labels[AutoManagedLabel] == obj.Labels[AutoManagedLabel] {
		return nil
	}
	_, _, err = st.Update(ctx, "", obj.Name, "", func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(st.GroupResource(), obj.Name)
		}
		next := cur.(*apiregv1.APIService).DeepCopy()
		next.Spec = obj.Spec
		if next.Labels == nil {
			next.Labels = map[string]string{}
		}
		next.Labels[AutoManagedLabel] = obj.Labels[AutoManagedLabel]
		return next, nil
	}, false)
	return err
}

func (a *Aggregator) list(ctx context.Context) ([]apiregv1.APIService, error) {
	obj, err := a.cfg.APIServices.List(ctx, "", generic.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	return obj.(*apiregv1.APIServiceList).Items, nil
}

func localAPIService(gv schema.GroupVersion, p Priority, managed string) *apiregv1.APIService {
	obj := &apiregv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: name(gv), Labels: map[string]string{AutoManagedLabel: managed}},
		Spec:       apiregv1.APIServiceSpec{Group: gv.Group, Version: gv.Version, GroupPriorityMinimum: p.Group, VersionPriority: p.Version},
	}
	obj.SetGroupVersionKind(apiregv1.SchemeGroupVersion.WithKind("APIService"))
	return obj
}

// name is an APIService's name: version.group ("v1." for the core group).
func name(gv schema.GroupVersion) string { return gv.Version + "." + gv.Group }
