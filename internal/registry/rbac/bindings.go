package rbac

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// binding is what RoleBindings and ClusterRoleBindings share.
type binding struct {
	ref        *rbacv1.RoleRef
	subjects   []rbacv1.Subject
	namespaced bool
}

func bindingOf(obj runtime.Object) binding {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		return binding{&b.RoleRef, b.Subjects, true}
	case *rbacv1.ClusterRoleBinding:
		return binding{&b.RoleRef, b.Subjects, false}
	}
	panic("rbac: not a binding") // the strategies only see bindings
}

// defaultBinding fills the API groups clients usually leave out.
func defaultBinding(obj runtime.Object) {
	b := bindingOf(obj)
	if b.ref.APIGroup == "" {
		b.ref.APIGroup = rbacv1.GroupName
	}
	for i := range b.subjects {
		s := &b.subjects[i]
		if s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}

func validateBinding(obj runtime.Object) field.ErrorList {
	b := bindingOf(obj)
	errs := validateRoleRef(b.ref, b.namespaced)
	for i := range b.subjects {
		errs = append(errs, validateSubject(&b.subjects[i], b.namespaced, field.NewPath("subjects").Index(i))...)
	}
	return errs
}

// validateRoleRef lets a RoleBinding name a Role or ClusterRole, a
// ClusterRoleBinding only a ClusterRole.
func validateRoleRef(ref *rbacv1.RoleRef, namespaced bool) field.ErrorList {
	p := field.NewPath("roleRef")
	var errs field.ErrorList
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = append(kinds, "Role")
	}
	if !slices.Contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	return append(errs, validateName(ref.Name, p.Child("name"))...)
}

func validateName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range pathName(name, false) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateSubject(s *rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Name != "" {
			for _, msg := range apivalidation.NameIsDNSSubdomain(s.Name, false) {
				errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
			}
		}
		if s.APIGroup != "" {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			errs = append(errs, field.Required(p.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != rbacv1.GroupName {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return errs
}

// validateBindingUpdate keeps roleRef: a binding's meaning is its role,
// so Kubernetes makes clients delete and recreate instead.
func validateBindingUpdate(obj, old runtime.Object) field.ErrorList {
	if ref := bindingOf(obj).ref; *ref != *bindingOf(old).ref {
		return field.ErrorList{field.Invalid(field.NewPath("roleRef"), *ref, "cannot change roleRef")}
	}
	return nil
}
