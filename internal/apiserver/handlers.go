package apiserver

import (
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// resourceHandler serves the REST verbs of one resource.
type resourceHandler struct {
	store *generic.Store
	// fieldNames are the field selector keys the resource supports.
	fieldNames map[string]bool
	fields     *fieldManagers
}

func (h *resourceHandler) serve(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	var err error
	switch ri.Verb {
	case "get":
		err = h.get(w, r, ri)
	case "list":
		err = h.list(w, r, ri)
	case "watch":
		err = h.watch(w, r, ri)
	case "create":
		err = h.create(w, r, ri)
	case "update":
		err = h.update(w, r, ri)
	case "patch":
		err = h.patch(w, r, ri)
	case "delete":
		err = h.delete(w, r, ri)
	case "deletecollection":
		err = h.deleteCollection(w, r, ri)
	default:
		err = apierrors.NewMethodNotSupported(h.store.GroupResource(), ri.Verb)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// namespace is the namespace that keys the object: none for
// cluster-scoped resources.
func (h *resourceHandler) namespace(ri *requestInfo) string {
	if h.store.Resource.Namespaced {
		return ri.Namespace
	}
	return ""
}

func (h *resourceHandler) get(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	obj, err := h.store.Get(r.Context(), h.namespace(ri), ri.Name, r.URL.Query().Get("resourceVersion"))
	if err != nil {
		return err
	}
	return respond(w, r, out, http.StatusOK, h.store, obj)
}

func (h *resourceHandler) listOptions(r *http.Request) (generic.ListOptions, error) {
	q := r.URL.Query()
	opts := generic.ListOptions{
		ResourceVersion:      q.Get("resourceVersion"),
		ResourceVersionMatch: metav1.ResourceVersionMatch(q.Get("resourceVersionMatch")),
		Continue:             q.Get("continue"),
		Label:                labels.Everything(),
		Field:                fields.Everything(),
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < 0 {
			return opts, apierrors.NewBadRequest(fmt.Sprintf("invalid limit %q", l))
		}
		opts.Limit = n
	}
	if s := q.Get("labelSelector"); s != "" {
		sel, err := labels.Parse(s)
		if err != nil {
			return opts, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		opts.Label = sel
	}
	if s := q.Get("fieldSelector"); s != "" {
		sel, err := fields.ParseSelector(s)
		if err != nil {
			return opts, apierrors.NewBadRequest(err.Error())
		}
		for _, req := range sel.Requirements() {
			if !h.fieldNames[req.Field] {
				return opts, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
		opts.Field = sel
	}
	return opts, nil
}

func (h *resourceHandler) list(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	opts, err := h.listOptions(r)
	if err != nil {
		return err
	}
	list, err := h.store.List(r.Context(), h.namespace(ri), opts)
	if err != nil {
		return err
	}
	return respond(w, r, out, http.StatusOK, h.store, list)
}

func dryRun(r *http.Request) (bool, error) {
	vals := r.URL.Query()["dryRun"]
	for _, v := range vals {
		if v != "All" {
			return false, apierrors.NewBadRequest(fmt.Sprintf("dryRun: Unsupported value: %q: supported values: \"All\"", v))
		}
	}
	return len(vals) > 0, nil
}

// decodeNew reads the body as a new object of the resource's kind.
func (h *resourceHandler) decodeNew(w http.ResponseWriter, r *http.Request) (runtime.Object, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	obj := h.store.NewFunc()
	if err := decodeBody(w, r, data, obj, h.store.Resource.GVK()); err != nil {
		return nil, err
	}
	return obj, nil
}

// writeRequest is what every create or update request carries: the
// response format, dryRun, the field manager and the decoded body.
type writeRequest struct {
	out     output
	dry     bool
	manager string
	obj     runtime.Object
}

// parseWrite reads a create or update request; optionsKind names the
// options type in errors ("CreateOptions", "UpdateOptions").
func (h *resourceHandler) parseWrite(w http.ResponseWriter, r *http.Request, optionsKind string) (*writeRequest, error) {
	out, err := negotiate(r)
	if err != nil {
		return nil, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	manager, err := requestManager(r, optionsKind)
	if err != nil {
		return nil, err
	}
	obj, err := h.decodeNew(w, r)
	if err != nil {
		return nil, err
	}
	return &writeRequest{out: out, dry: dry, manager: manager, obj: obj}, nil
}

func (h *resourceHandler) create(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	if ri.Name != "" {
		return apierrors.NewMethodNotSupported(h.store.GroupResource(), "create")
	}
	wr, err := h.parseWrite(w, r, "CreateOptions")
	if err != nil {
		return err
	}
	obj, err := h.fields.update("", nil, wr.obj, wr.manager)
	if err != nil {
		return err
	}
	created, err := h.store.Create(r.Context(), h.namespace(ri), obj, wr.dry)
	if err != nil {
		return err
	}
	return respond(w, r, wr.out, http.StatusCreated, h.store, created)
}

func (h *resourceHandler) update(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	wr, err := h.parseWrite(w, r, "UpdateOptions")
	if err != nil {
		return err
	}
	mutate := func(runtime.Object) (runtime.Object, error) { return wr.obj.DeepCopyObject(), nil }
	return h.write(w, r, ri, wr.out, h.tracked(ri.Subresource, wr.manager, mutate), wr.dry)
}

// write runs an update of the main resource or status and answers 200, or
// 201 when PUT created the object.
func (h *resourceHandler) write(w http.ResponseWriter, r *http.Request, ri *requestInfo, out output, mutate generic.Mutator, dry bool) error {
	obj, created, err := h.store.Update(r.Context(), h.namespace(ri), ri.Name, ri.Subresource, mutate, dry)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return respond(w, r, out, code, h.store, obj)
}

func (h *resourceHandler) deleteOptions(w http.ResponseWriter, r *http.Request) (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 {
		if err := decodeOptions(r, data, opts, "DeleteOptions"); err != nil {
			return nil, err
		}
	}
	if err := queryDeleteOptions(r, opts); err != nil {
		return nil, err
	}
	return opts, generic.ValidatePropagation(opts)
}

// queryDeleteOptions takes the options kubectl may pass as parameters.
func queryDeleteOptions(r *http.Request, opts *metav1.DeleteOptions) error {
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", g))
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		pp := metav1.DeletionPropagation(p)
		opts.PropagationPolicy = &pp
	}
	if o := q.Get("orphanDependents"); o != "" {
		b := o == "true"
		opts.OrphanDependents = &b
	}
	if len(q["dryRun"]) > 0 {
		opts.DryRun = q["dryRun"]
	}
	return nil
}

func (h *resourceHandler) delete(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	opts, err := h.deleteOptions(w, r)
	if err != nil {
		return err
	}
	obj, gone, err := h.store.Delete(r.Context(), h.namespace(ri), ri.Name, opts, len(opts.DryRun) > 0)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if !gone && opts.OrphanDependents != nil && !*opts.OrphanDependents {
		code = http.StatusAccepted
	}
	if gone && !h.store.ReturnDeletedObject {
		return respond(w, r, out, code, h.store, h.deletedStatus(obj))
	}
	return respond(w, r, out, code, h.store, obj)
}

func (h *resourceHandler) deletedStatus(obj runtime.Object) *metav1.Status {
	m, _ := meta.Accessor(obj)
	res := h.store.Resource
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusSuccess,
		Details:  &metav1.StatusDetails{Name: m.GetName(), Group: res.Group, Kind: res.Resource, UID: m.GetUID()},
	}
}

func (h *resourceHandler) deleteCollection(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	opts, err := h.deleteOptions(w, r)
	if err != nil {
		return err
	}
	lo, err := h.listOptions(r)
	if err != nil {
		return err
	}
	list, err := h.store.List(r.Context(), h.namespace(ri), lo)
	if err != nil {
		return err
	}
	items, _ := meta.ExtractList(list)
	deleted := make([]runtime.Object, 0, len(items))
	for _, item := range items {
		m, _ := meta.Accessor(item)
		obj, _, err := h.store.Delete(r.Context(), m.GetNamespace(), m.GetName(), opts, len(opts.DryRun) > 0)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		deleted = append(deleted, obj)
	}
	if err := meta.SetList(list, deleted); err != nil {
		return err
	}
	return respond(w, r, out, http.StatusOK, h.store, list)
}

// fieldNames lists the field selector keys a resource supports.
func fieldNames(st *generic.Store) map[string]bool {
	names := map[string]bool{"metadata.name": true}
	if st.Resource.Namespaced {
		names["metadata.namespace"] = true
	}
	if fs, ok := st.Strategy.(rest.FieldsStrategy); ok {
		for k := range fs.SelectableFields(st.NewFunc()) {
			names[k] = true
		}
	}
	return names
}
