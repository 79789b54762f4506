package podspec

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive"

// validateVolumes checks the pod's volumes and returns their names, which
// volume mounts refer to.
func validateVolumes(vols []corev1.Volume, p *field.Path) (sets.Set[string], field.ErrorList) {
	var errs field.ErrorList
	names := sets.New[string]()
	for i := range vols {
		v, ip := &vols[i], p.Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(ip.Child("name"), ""))
		case names.Has(v.Name):
			errs = append(errs, field.Duplicate(ip.Child("name"), v.Name))
		default:
			for _, msg := range content.IsDNS1123Label(v.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), v.Name, msg))
			}
		}
		names.Insert(v.Name)
		errs = append(errs, ValidateOneSource(&v.VolumeSource, ip)...)
		errs = append(errs, validateVolumeSource(&v.VolumeSource, ip)...)
	}
	return names, errs
}

// ValidateOneSource checks that exactly one pointer field of src, a
// pointer to a volume source struct (VolumeSource, PersistentVolumeSource),
// is set. Kubernetes reports a missing one on the struct's path and each
// extra one on its own.
func ValidateOneSource(src any, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	v := reflect.ValueOf(src).Elem()
	n := 0
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		if n++; n > 1 {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			errs = append(errs, field.Forbidden(p.Child(name), "may not specify more than 1 volume type"))
		}
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a volume type"))
	}
	return errs
}

// validateVolumeSource checks the required fields of common volume types.
func validateVolumeSource(v *corev1.VolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	required := func(val string, fp *field.Path) {
		if val == "" {
			errs = append(errs, field.Required(fp, ""))
		}
	}
	switch {
	case v.HostPath != nil:
		required(v.HostPath.Path, p.Child("hostPath", "path"))
	case v.Secret != nil:
		sp := p.Child("secret")
		required(v.Secret.SecretName, sp.Child("secretName"))
		errs = append(errs, validateMode(v.Secret.DefaultMode, sp.Child("defaultMode"))...)
		errs = append(errs, validateKeyPaths(v.Secret.Items, sp.Child("items"))...)
	case v.ConfigMap != nil:
		cp := p.Child("configMap")
		required(v.ConfigMap.Name, cp.Child("name"))
		errs = append(errs, validateMode(v.ConfigMap.DefaultMode, cp.Child("defaultMode"))...)
		errs = append(errs, validateKeyPaths(v.ConfigMap.Items, cp.Child("items"))...)
	case v.PersistentVolumeClaim != nil:
		required(v.PersistentVolumeClaim.ClaimName, p.Child("persistentVolumeClaim", "claimName"))
	case v.NFS != nil:
		required(v.NFS.Server, p.Child("nfs", "server"))
		required(v.NFS.Path, p.Child("nfs", "path"))
	case v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil:
		errs = append(errs, ValidateQuantity(*v.EmptyDir.SizeLimit, p.Child("emptyDir", "sizeLimit"))...)
	}
	return errs
}

func validateMode(mode *int32, p *field.Path) field.ErrorList {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		return field.ErrorList{field.Invalid(p, *mode, fileModeErrorMsg)}
	}
	return nil
}

func validateKeyPaths(items []corev1.KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, it := range items {
		ip := p.Index(i)
		if it.Key == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		}
		if it.Path == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		} else {
			errs = append(errs, ValidateLocalDescendingPath(it.Path, ip.Child("path"))...)
		}
		errs = append(errs, validateMode(it.Mode, ip.Child("mode"))...)
	}
	return errs
}
