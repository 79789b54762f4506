package printers

import (
	"strings"
	"time"

	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// storageKinds are the CSI kinds of storage.k8s.io and node.k8s.io's
// RuntimeClass, with Kubernetes' columns.
var storageKinds = map[schema.GroupVersionKind]printer{
	storagev1.SchemeGroupVersion.WithKind("CSIDriver"):          {csiDriverColumns, typed(csiDriverRow)},
	storagev1.SchemeGroupVersion.WithKind("CSINode"):            {csiNodeColumns, typed(csiNodeRow)},
	storagev1.SchemeGroupVersion.WithKind("CSIStorageCapacity"): {capacityColumns, typed(capacityRow)},
	storagev1.SchemeGroupVersion.WithKind("VolumeAttachment"):   {attachmentColumns, typed(attachmentRow)},
	nodev1.SchemeGroupVersion.WithKind("RuntimeClass"):          {runtimeClassColumns, typed(runtimeClassRow)},
}

var csiDriverDoc = storagev1.CSIDriverSpec{}.SwaggerDoc()

var csiDriverColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("AttachRequired", "boolean", csiDriverDoc["attachRequired"]),
	col("PodInfoOnMount", "boolean", csiDriverDoc["podInfoOnMount"]),
	col("StorageCapacity", "boolean", csiDriverDoc["storageCapacity"]),
	col("TokenRequests", "string", csiDriverDoc["tokenRequests"]),
	col("RequiresRepublish", "boolean", csiDriverDoc["requiresRepublish"]),
	col("Modes", "string", csiDriverDoc["volumeLifecycleModes"]),
	ageColumn,
}

// csiDriverRow shows unset flags as their defaults.
func csiDriverRow(d *storagev1.CSIDriver, now time.Time) []any {
	flag := func(b *bool, def bool) bool {
		if b == nil {
			return def
		}
		return *b
	}
	tokens := "<unset>"
	if len(d.Spec.TokenRequests) > 0 {
		var auds []string
		for _, t := range d.Spec.TokenRequests {
			auds = append(auds, t.Audience)
		}
		tokens = strings.Join(auds, ",")
	}
	modes := "<none>"
	if len(d.Spec.VolumeLifecycleModes) > 0 {
		var ms []string
		for _, m := range d.Spec.VolumeLifecycleModes {
			ms = append(ms, string(m))
		}
		modes = strings.Join(ms, ",")
	}
	return []any{
		d.Name, flag(d.Spec.AttachRequired, true), flag(d.Spec.PodInfoOnMount, false), flag(d.Spec.StorageCapacity, false),
		tokens, flag(d.Spec.RequiresRepublish, false), modes, age(d.CreationTimestamp, now),
	}
}

var csiNodeColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"), ageColumn,
}

func csiNodeRow(n *storagev1.CSINode, now time.Time) []any {
	return []any{n.Name, int64(len(n.Spec.Drivers)), age(n.CreationTimestamp, now)}
}

var capacityDoc = storagev1.CSIStorageCapacity{}.SwaggerDoc()

var capacityColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("StorageClassName", "string", capacityDoc["storageClassName"]),
	col("Capacity", "string", capacityDoc["capacity"]),
	ageColumn,
}

func capacityRow(c *storagev1.CSIStorageCapacity, now time.Time) []any {
	capacity := "<unset>"
	if c.Capacity != nil {
		capacity = c.Capacity.String()
	}
	return []any{c.Name, c.StorageClassName, capacity, age(c.CreationTimestamp, now)}
}

var attachmentDoc = storagev1.VolumeAttachmentSpec{}.SwaggerDoc()

var attachmentColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Attacher", "string", attachmentDoc["attacher"]),
	col("PV", "string", storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
	col("Node", "string", attachmentDoc["nodeName"]),
	col("Attached", "boolean", storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]),
	ageColumn,
}

func attachmentRow(va *storagev1.VolumeAttachment, now time.Time) []any {
	pv := ""
	if va.Spec.Source.PersistentVolumeName != nil {
		pv = *va.Spec.Source.PersistentVolumeName
	}
	return []any{va.Name, va.Spec.Attacher, pv, va.Spec.NodeName, va.Status.Attached, age(va.CreationTimestamp, now)}
}

var runtimeClassColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Handler", "string", nodev1.RuntimeClass{}.SwaggerDoc()["handler"]), ageColumn,
}

func runtimeClassRow(rc *nodev1.RuntimeClass, now time.Time) []any {
	return []any{rc.Name, rc.Handler, age(rc.CreationTimestamp, now)}
}
