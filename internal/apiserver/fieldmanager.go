package apiserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/skiff-sh/skiff/internal/openapi"
	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// typeConverter is the structured-merge-diff view of every served kind.
// Converting the OpenAPI models is the costly part of field management, so
// it happens once, on the first write.
type typeConverter struct {
	once      sync.Once
	resources []registry.Resource
	tc        managedfields.TypeConverter
	err       error
}

func (t *typeConverter) get() (managedfields.TypeConverter, error) {
	t.once.Do(func() {
		t.tc, t.err = managedfields.NewTypeConverter(openapi.Schemas(t.resources), false)
		t.resources = nil
	})
	return t.tc, t.err
}

// fieldManagers keep metadata.managedFields of one resource: a
// FieldManager per subresource written, each built on first use.
type fieldManagers struct {
	types    *typeConverter
	resource registry.Resource
	newFunc  func() runtime.Object

	// customStrategy is set for custom resources, whose fields are
	// typed by their own schema (customTypes, built on first use).
	customStrategy CustomStrategy
	customOnce     sync.Once
	customTypes    managedfields.TypeConverter

	mu    sync.Mutex
	bySub map[string]*managedfields.FieldManager
}

func newFieldManagers(types *typeConverter, st *generic.Store) *fieldManagers {
	cs, _ := st.Strategy.(CustomStrategy)
	return &fieldManagers{types: types, resource: st.Resource, newFunc: st.NewFunc, customStrategy: cs, bySub: map[string]*managedfields.FieldManager{}}
}

// get returns the FieldManager for writes of sub ("" for the resource
// itself); scale writes manage autoscaling/v1 Scale objects, for custom
// resources too.
func (f *fieldManagers) get(sub string) (*managedfields.FieldManager, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fm := f.bySub[sub]; fm != nil {
		return fm, nil
	}
	if f.customStrategy != nil && sub != "scale" {
		fm, err := f.newCustomFieldManager(sub)
		if err == nil {
			f.bySub[sub] = fm
		}
		return fm, err
	}
	tc, err := f.types.get()
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("field management: %w", err))
	}
	kind, reset := f.resource.GVK(), resetFields(f.resource, sub)
	if sub == "scale" {
		kind, reset = scaleGVK, nil
	}
	fm, err := managedfields.NewDefaultFieldManager(tc, runtime.UnsafeObjectConvertor(Scheme), Scheme, Scheme, kind, kind.GroupVersion(), sub, reset)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	f.bySub[sub] = fm
	return fm, nil
}

// resetFields are the fields a write of sub cannot set, as in Kubernetes'
// strategies: the status through the resource, the spec through status.
func resetFields(r registry.Resource, sub string) map[fieldpath.APIVersion]fieldpath.Filter {
	var reset string
	switch {
	case sub == "" && r.HasSubresource("status"):
		reset = "status"
	case sub == "status":
		reset = "spec"
	default:
		return nil
	}
	return map[fieldpath.APIVersion]fieldpath.Filter{
		fieldpath.APIVersion(r.GroupVersion().String()): fieldpath.NewExcludeSetFilter(fieldpath.NewSet(fieldpath.MakePathOrDie(reset))),
	}
}

// update records in obj the fields manager changed from live; live is nil
// on create.
func (f *fieldManagers) update(sub string, live, obj runtime.Object, manager string) (runtime.Object, error) {
	if f.customStrategy != nil && sub != "scale" {
		// Fields the schema does not know go before they are typed, as
		// Kubernetes prunes custom objects when it decodes them.
		customDefaulter{f.customStrategy}.Default(obj)
	}
	fm, err := f.get(sub)
	if err != nil {
		return nil, err
	}
	if live == nil {
		live = f.newFunc()
	}
	return fm.UpdateNoErrors(live, obj, manager), nil
}

// tracked wraps mutate so that what it returns records manager's fields.
func (h *resourceHandler) tracked(sub, manager string, mutate generic.Mutator) generic.Mutator {
	return func(cur runtime.Object) (runtime.Object, error) {
		obj, err := mutate(cur)
		if err != nil {
			return nil, err
		}
		// A write that changes nothing would leave managedFields as they
		// are: skipping the FieldManager keeps such writes (controllers
		// asserting a status again) as cheap as before.
		if cur != nil && apiequality.Semantic.DeepEqual(obj, cur) {
			return obj, nil
		}
		return h.fields.update(sub, cur, obj, manager)
	}
}

// requestManager validates the fieldManager parameter, reported as
// options of kind optionsKind ("CreateOptions"), and returns the request's
// manager.
func requestManager(r *http.Request, optionsKind string) (string, error) {
	errs := metav1validation.ValidateFieldManager(r.URL.Query().Get("fieldManager"), field.NewPath("fieldManager"))
	if len(errs) > 0 {
		return "", invalidOptions(optionsKind, errs)
	}
	return managerOf(r), nil
}

// patchOptions validates fieldManager and force for a patch of type pt and
// returns the manager and whether an apply takes conflicting fields.
func patchOptions(r *http.Request, pt types.PatchType) (string, bool, error) {
	q := r.URL.Query()
	opts := &metav1.PatchOptions{FieldManager: q.Get("fieldManager")}
	if v, ok := q["force"]; ok {
		force, err := strconv.ParseBool(v[0])
		if err != nil {
			return "", false, apierrors.NewBadRequest(fmt.Sprintf("invalid force %q", v[0]))
		}
		opts.Force = &force
	}
	if errs := metav1validation.ValidatePatchOptions(opts, pt); len(errs) > 0 {
		return "", false, invalidOptions("PatchOptions", errs)
	}
	return managerOf(r), opts.Force != nil && *opts.Force, nil
}

func invalidOptions(kind string, errs field.ErrorList) error {
	return apierrors.NewInvalid(metav1.SchemeGroupVersion.WithKind(kind).GroupKind(), "", errs)
}

// managerOf is the request's field manager: the fieldManager parameter,
// else, as Kubernetes names it, the printable part of the user agent
// before its first "/" ("kubectl", "kube-controller-manager").
func managerOf(r *http.Request) string {
	if m := r.URL.Query().Get("fieldManager"); m != "" {
		return m
	}
	ua, _, _ := strings.Cut(r.UserAgent(), "/")
	var b strings.Builder
	for _, c := range ua {
		if !unicode.IsPrint(c) {
			continue
		}
		if b.Len()+utf8.RuneLen(c) > metav1validation.FieldManagerMaxLength {
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

// decodeApply reads an apply-patch+yaml body: a partial object.
func decodeApply(body []byte) (*unstructured.Unstructured, error) {
	patch := &unstructured.Unstructured{Object: map[string]any{}}
	if err := yaml.Unmarshal(body, &patch.Object); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	return patch, nil
}

// apply serves a server-side apply: the FieldManager merges the applied
// configuration into the live object, or into an empty one when there is
// none (apply creates), and records manager's ownership of its fields.
func (h *resourceHandler) apply(w http.ResponseWriter, r *http.Request, ri *requestInfo, out output, body []byte, manager string, force, dry bool) error {
	patch, err := decodeApply(body)
	if err != nil {
		return err
	}
	fm, err := h.fields.get(ri.Subresource)
	if err != nil {
		return err
	}
	mutate := func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			if ri.Subresource != "" {
				return nil, apierrors.NewNotFound(h.store.GroupResource(), ri.Name)
			}
			cur = h.store.NewFunc()
		}
		obj, err := fm.Apply(cur, patch.DeepCopy(), manager, force)
		if err != nil {
			return nil, err
		}
		if name := mustAccessor(obj).GetName(); name != ri.Name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", name, ri.Name))
		}
		return obj, nil
	}
	ctx, ns := r.Context(), h.namespace(ri)
	obj, created, err := h.store.Update(ctx, ns, ri.Name, ri.Subresource, mutate, dry)
	if apierrors.IsNotFound(err) && ri.Subresource == "" && !h.store.Resource.CreateOnUpdate {
		if obj, err = mutate(nil); err != nil {
			return err
		}
		obj, err = h.store.Create(ctx, ns, obj, dry)
		created = true
	}
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return respond(w, r, out, code, h.store, obj)
}
