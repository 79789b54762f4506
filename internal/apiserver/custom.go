package apiserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/skiff-sh/skiff/internal/openapi"
	"github.com/skiff-sh/skiff/internal/printers"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// CustomStrategy is implemented by the strategies of custom resources,
// whose objects are *unstructured.Unstructured described by a schema
// instead of a Go type.
type CustomStrategy interface {
	// UnknownFields lists the fields of a request body the schema does
	// not know ("spec.foo"), which pruning drops.
	UnknownFields(obj map[string]any) []string
	// Table returns the columns of the resource's tables.
	Table() ([]metav1.TableColumnDefinition, printers.RowFunc, bool)
	// ScalePaths returns the field paths of the scale subresource
	// (".spec.replicas", ".status.replicas", ".status.selector").
	ScalePaths() (spec, status, selector string)
	// Schema returns the structural schema, nil when there is none.
	Schema() *apiextensionsv1.JSONSchemaProps
}

// customOpenAPI is an OpenAPI handler that also describes custom
// resources.
type customOpenAPI interface {
	SetCustom(custom []openapi.Custom)
}

// AddStores serves more resources (those of a custom resource
// definition); a store for a resource already served replaces it.
// Discovery changes at once.
func (s *Server) AddStores(stores ...*generic.Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range stores {
		gvr := st.Resource.GroupVersionResource
		if _, ok := s.stores[gvr]; ok {
			s.removeLocked(gvr)
		}
		s.order = append(s.order, st)
		s.stores[gvr] = st
		s.handlers[gvr] = &resourceHandler{store: st, fieldNames: fieldNames(st), fields: newFieldManagers(s.types, st)}
	}
	s.servedChangedLocked()
}

// RemoveResources stops serving resources and drops them from discovery.
func (s *Server) RemoveResources(gvrs ...schema.GroupVersionResource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, gvr := range gvrs {
		s.removeLocked(gvr)
	}
	s.servedChangedLocked()
}

// servedChangedLocked updates discovery and the OpenAPI documents to the
// resources served now.
func (s *Server) servedChangedLocked() {
	s.discovery = s.buildDiscoveryLocked()
	o, ok := s.cfg.OpenAPI.(customOpenAPI)
	if !ok {
		return
	}
	var custom []openapi.Custom
	for _, st := range s.order {
		if c, ok := st.Strategy.(CustomStrategy); ok {
			custom = append(custom, openapi.Custom{Resource: st.Resource, Schema: c.Schema()})
		}
	}
	o.SetCustom(custom)
}

func (s *Server) removeLocked(gvr schema.GroupVersionResource) {
	delete(s.stores, gvr)
	delete(s.handlers, gvr)
	for i, st := range s.order {
		if st.Resource.GroupVersionResource == gvr {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

func (s *Server) handler(gvr schema.GroupVersionResource) (*resourceHandler, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.handlers[gvr]
	return h, ok
}

func (s *Server) store(gvr schema.GroupVersionResource) *generic.Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stores[gvr]
}

func (s *Server) currentDiscovery() *discovery {
	gen, _ := s.remoteVersions()
	s.mu.RLock()
	d := s.discovery
	s.mu.RUnlock()
	if d.remoteGen == gen {
		return d
	}
	// Extension servers' group/versions changed: rebuild.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discovery.remoteGen != gen {
		s.discovery = s.buildDiscoveryLocked()
	}
	return s.discovery
}

// checkCustom applies what differs for custom resources before the
// generic handler runs: strategic merge patches are refused with 415, as
// custom resources have no patch strategies, and fields the schema does
// not know are reported under fieldValidation Strict (400) or Warn (a
// warning), as Kubernetes' pruning decoder does.
func checkCustom(w http.ResponseWriter, r *http.Request, ri *requestInfo, h *resourceHandler) error {
	c, ok := h.store.Strategy.(CustomStrategy)
	if !ok {
		return nil
	}
	mt := contentType(r)
	if ri.Verb == "patch" && mt == string(types.StrategicMergePatchType) {
		return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "patch", schema.GroupResource{}, "",
			fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s", types.JSONPatchType, types.MergePatchType, types.ApplyYAMLPatchType), 0, false)
	}
	whole := ri.Verb == "create" || ri.Verb == "update" || (ri.Verb == "patch" && mt == string(types.MergePatchType))
	if !whole || ri.Subresource == "scale" {
		return nil
	}
	fv, err := parseFieldValidation(r)
	if err != nil || fv == validationIgnore {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var obj map[string]any
	if yaml.Unmarshal(body, &obj) != nil {
		return nil // the handler reports the malformed body
	}
	unknown := c.UnknownFields(obj)
	if len(unknown) == 0 {
		return nil
	}
	msgs := make([]string, len(unknown))
	for i, f := range unknown {
		msgs[i] = fmt.Sprintf("unknown field %q", f)
	}
	if fv == validationStrict {
		msg := "strict decoding error: " + strings.Join(msgs, ", ")
		if ri.Verb == "patch" {
			return apierrors.NewBadRequest(msg)
		}
		return cannotHandle(h.store.Resource.GVK(), msg)
	}
	for _, m := range msgs {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", m))
	}
	return nil
}

// serveCustomScale serves the scale subresource of a custom resource,
// whose replicas live at the paths its definition names.
func (h *resourceHandler) serveCustomScale(w http.ResponseWriter, r *http.Request, ri *requestInfo, c CustomStrategy) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	specPath, statusPath, selectorPath := c.ScalePaths()
	paths := scalePaths{spec: fieldsOf(specPath), status: fieldsOf(statusPath), selector: fieldsOf(selectorPath)}
	if ri.Verb == "get" {
		obj, err := h.store.Get(r.Context(), h.namespace(ri), ri.Name, "")
		if err != nil {
			return err
		}
		writeObject(w, out, http.StatusOK, paths.scaleOf(obj))
		return nil
	}
	newScale, err := h.scaleInput(w, r, ri)
	if err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	obj, _, err := h.store.Update(r.Context(), h.namespace(ri), ri.Name, "", func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(h.store.GroupResource(), ri.Name)
		}
		s, entries, err := h.desiredScale(cur, paths.scaleOf(cur), paths.replicasPath(), newScale)
		if err != nil {
			return nil, err
		}
		next := cur.DeepCopyObject().(*unstructured.Unstructured)
		if err := unstructured.SetNestedField(next.Object, int64(s.Spec.Replicas), paths.spec...); err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		next.SetResourceVersion("")
		next.SetManagedFields(entries)
		return next, nil
	}, dry)
	if err != nil {
		return err
	}
	writeObject(w, out, http.StatusOK, paths.scaleOf(obj))
	return nil
}

type scalePaths struct{ spec, status, selector []string }

// replicasPath is the spec replicas field as a managed-fields path.
func (p scalePaths) replicasPath() fieldpath.Path {
	elems := make([]any, len(p.spec))
	for i, f := range p.spec {
		elems[i] = f
	}
	return fieldpath.MakePathOrDie(elems...)
}

// fieldsOf splits a simple JSONPath (".spec.replicas").
func fieldsOf(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(path, "."), ".")
}

func (p scalePaths) scaleOf(obj runtime.Object) *autoscalingv1.Scale {
	u := obj.(*unstructured.Unstructured)
	s := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{
		Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(),
		ResourceVersion: u.GetResourceVersion(), CreationTimestamp: u.GetCreationTimestamp(),
	}}
	s.SetGroupVersionKind(scaleGVK)
	if n, ok, _ := unstructured.NestedInt64(u.Object, p.spec...); ok {
		s.Spec.Replicas = int32(n)
	}
	if n, ok, _ := unstructured.NestedInt64(u.Object, p.status...); ok && p.status != nil {
		s.Status.Replicas = int32(n)
	}
	if sel, ok, _ := unstructured.NestedString(u.Object, p.selector...); ok && p.selector != nil {
		s.Status.Selector = sel
	}
	return s
}
