package v1

import "k8s.io/apimachinery/pkg/runtime"

// DeepCopyInto copies a into out.
func (a *APIService) DeepCopyInto(out *APIService) {
	*out = *a
	out.TypeMeta = a.TypeMeta
	a.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	a.Spec.DeepCopyInto(&out.Spec)
	a.Status.DeepCopyInto(&out.Status)
}

// DeepCopy returns a copy of a.
func (a *APIService) DeepCopy() *APIService {
	if a == nil {
		return nil
	}
	out := new(APIService)
	a.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (a *APIService) DeepCopyObject() runtime.Object {
	if c := a.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies s into out.
func (s *APIServiceSpec) DeepCopyInto(out *APIServiceSpec) {
	*out = *s
	if s.Service != nil {
		svc := *s.Service
		if s.Service.Port != nil {
			p := *s.Service.Port
			svc.Port = &p
		}
		out.Service = &svc
	}
	if s.CABundle != nil {
		out.CABundle = append([]byte(nil), s.CABundle...)
	}
}

// DeepCopyInto copies s into out.
func (s *APIServiceStatus) DeepCopyInto(out *APIServiceStatus) {
	*out = *s
	if s.Conditions != nil {
		out.Conditions = make([]APIServiceCondition, len(s.Conditions))
		for i := range s.Conditions {
			out.Conditions[i] = s.Conditions[i]
			s.Conditions[i].LastTransitionTime.DeepCopyInto(&out.Conditions[i].LastTransitionTime)
		}
	}
}

// DeepCopyInto copies l into out.
func (l *APIServiceList) DeepCopyInto(out *APIServiceList) {
	*out = *l
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]APIService, len(l.Items))
		for i := range l.Items {
			l.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopyObject implements runtime.Object.
func (l *APIServiceList) DeepCopyObject() runtime.Object {
	if l == nil {
		return nil
	}
	out := new(APIServiceList)
	l.DeepCopyInto(out)
	return out
}
