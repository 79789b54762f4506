package apiserver

import (
	"encoding/json"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/printers"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

var metaV1 = metav1.SchemeGroupVersion

// respond writes obj, transformed into a Table or partial metadata when
// the client asked for that.
func respond(w http.ResponseWriter, r *http.Request, out output, code int, store *generic.Store, obj runtime.Object) error {
	obj, err := transform(r, out.as, store, obj)
	if err != nil {
		return err
	}
	writeObject(w, out, code, obj)
	return nil
}

func transform(r *http.Request, as string, store *generic.Store, obj runtime.Object) (runtime.Object, error) {
	if _, isStatus := obj.(*metav1.Status); isStatus || as == "" {
		return obj, nil
	}
	switch as {
	case "Table":
		return toTable(r, store, obj, true)
	case "PartialObjectMetadata", "PartialObjectMetadataList":
		return toPartial(obj)
	}
	return obj, nil
}

func partialOf(obj runtime.Object) (*metav1.PartialObjectMetadata, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	// All of the metadata: controllers such as the garbage collector need
	// owner references, finalizers and deletion timestamps.
	var om metav1.ObjectMeta
	if a, ok := obj.(metav1.ObjectMetaAccessor); ok {
		om = *a.GetObjectMeta().(*metav1.ObjectMeta).DeepCopy()
	} else {
		om = *objectMetaOf(m)
	}
	p := &metav1.PartialObjectMetadata{ObjectMeta: om}
	p.SetGroupVersionKind(metaV1.WithKind("PartialObjectMetadata"))
	return p, nil
}

func objectMetaOf(m metav1.Object) *metav1.ObjectMeta {
	if om, ok := m.(*metav1.ObjectMeta); ok {
		return om.DeepCopy()
	}
	return &metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(), ResourceVersion: m.GetResourceVersion(), Labels: m.GetLabels(), Annotations: m.GetAnnotations(), CreationTimestamp: m.GetCreationTimestamp()}
}

func toPartial(obj runtime.Object) (runtime.Object, error) {
	if !meta.IsListType(obj) {
		return partialOf(obj)
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, err
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(metaV1.WithKind("PartialObjectMetadataList"))
	if lm, err := meta.ListAccessor(obj); err == nil {
		list.ResourceVersion, list.Continue, list.RemainingItemCount = lm.GetResourceVersion(), lm.GetContinue(), lm.GetRemainingItemCount()
	}
	for _, it := range items {
		p, err := partialOf(it)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, *p)
	}
	return list, nil
}

// defaultColumns are Kubernetes' columns for kinds without their own.
var defaultColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
	{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
}

// toTable renders obj (or a list) as a Table; withColumns false leaves the
// column definitions out, as later watch events do.
func toTable(r *http.Request, store *generic.Store, obj runtime.Object, withColumns bool) (*metav1.Table, error) {
	t := &metav1.Table{}
	t.SetGroupVersionKind(metaV1.WithKind("Table"))
	items := []runtime.Object{obj}
	if meta.IsListType(obj) {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
		if lm, err := meta.ListAccessor(obj); err == nil {
			t.ResourceVersion, t.Continue, t.RemainingItemCount = lm.GetResourceVersion(), lm.GetContinue(), lm.GetRemainingItemCount()
		}
	} else if m, err := meta.Accessor(obj); err == nil {
		t.ResourceVersion = m.GetResourceVersion()
	}
	columns, cells, ok := printers.For(store.Resource.GVK())
	if c, custom := store.Strategy.(CustomStrategy); custom {
		columns, cells, ok = c.Table()
	}
	if !ok {
		columns, cells = defaultColumns, defaultCells
	}
	if withColumns {
		t.ColumnDefinitions = columns
	}
	includeObject := r.URL.Query().Get("includeObject")
	now := time.Now()
	for _, it := range items {
		row, err := tableRow(it, cells, now, includeObject)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	if t.Rows == nil {
		t.Rows = []metav1.TableRow{}
	}
	return t, nil
}

// defaultCells fills defaultColumns.
func defaultCells(obj runtime.Object, _ time.Time) ([]any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return []any{m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)}, nil
}

func tableRow(obj runtime.Object, cells printers.RowFunc, now time.Time, includeObject string) (metav1.TableRow, error) {
	var row metav1.TableRow
	var err error
	if row.Cells, err = cells(obj, now); err != nil {
		return row, err
	}
	switch includeObject {
	case "None":
	case "Object":
		row.Object.Raw, err = json.Marshal(obj)
	default:
		var p *metav1.PartialObjectMetadata
		if p, err = partialOf(obj); err == nil {
			row.Object.Raw, err = json.Marshal(p)
		}
	}
	return row, err
}
