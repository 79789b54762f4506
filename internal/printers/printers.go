// Package printers renders built-in objects as the rows of a
// meta.k8s.io Table, with the columns Kubernetes' API server prints for
// them (kubectl get asks the server for Tables and prints them as is).
//
// Rows always hold every column, wide ones included: the column's
// Priority tells kubectl which ones only -o wide shows.
package printers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

// RowFunc returns the cells of obj's row in column order. now is the
// instant ages are measured from. Cells are strings, int64s or bools.
type RowFunc func(obj runtime.Object, now time.Time) ([]any, error)

type printer struct {
	columns []metav1.TableColumnDefinition
	row     RowFunc
}

// For returns the columns and row function of a kind. ok is false for
// kinds Kubernetes prints with only a name and creation time (roles,
// cluster roles, limit ranges) and for kinds it does not know.
func For(gvk schema.GroupVersionKind) (columns []metav1.TableColumnDefinition, row RowFunc, ok bool) {
	p, ok := byKind[gvk]
	return p.columns, p.row, ok
}

var byKind = merge(coreKinds, appsKinds, otherKinds, flowcontrolKinds, storageKinds, componentStatusKinds, hpaV1Kinds, certificateKinds, admissionKinds, apiregistrationKinds)

func merge(sets ...map[schema.GroupVersionKind]printer) map[schema.GroupVersionKind]printer {
	all := map[schema.GroupVersionKind]printer{}
	for _, set := range sets {
		for gvk, p := range set {
			all[gvk] = p
		}
	}
	return all
}

// typed adapts a row function of one concrete type.
func typed[T runtime.Object](f func(T, time.Time) []any) RowFunc {
	return func(obj runtime.Object, now time.Time) ([]any, error) {
		o, ok := obj.(T)
		if !ok {
			var want T
			return nil, fmt.Errorf("print %T: want %T", obj, want)
		}
		return f(o, now), nil
	}
}

var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// Column helpers: col is shown by default, wide only with -o wide.
func col(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: desc}
}

func wide(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Priority: 1, Description: desc}
}

var (
	nameColumn = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]}
	ageColumn  = col("Age", "string", objectMetaDoc["creationTimestamp"])

	containersColumn = wide("Containers", "string", "Names of each container in the template.")
	imagesColumn     = wide("Images", "string", "Images referenced by each container in the template.")
)

// age is how long ago t was, as kubectl shows it ("5m", "3d4h").
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// containerCells lists the containers' names and images, comma-separated.
func containerCells(cs []corev1.Container) (names, images string) {
	n := make([]string, len(cs))
	im := make([]string, len(cs))
	for i, c := range cs {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// listWithMore joins the first max entries and counts the rest.
func listWithMore(list []string, max int) string {
	if len(list) > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:max], ","), len(list)-max)
	}
	if len(list) == 0 {
		return "<unset>"
	}
	return strings.Join(list, ",")
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func boolPtr(b *bool) string {
	switch {
	case b == nil:
		return "<unset>"
	case *b:
		return "True"
	}
	return "False"
}

func replicas(r *int32) int64 {
	if r == nil {
		return 1 // the API default
	}
	return int64(*r)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
