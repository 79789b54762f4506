package autoscaling

import (
	"fmt"
	"io"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// V1Key is the key of the autoscaling/v1 strategy in Strategies: the
// group serves two versions of one resource, v2 stored and preferred.
const V1Key = "v1/horizontalpodautoscalers"

// v1Strategy serves autoscaling/v1 by converting to v2 and applying v2's
// strategy, as Kubernetes applies one internal strategy to every version.
// Errors therefore name v2 fields (spec.metrics), as Kubernetes' do.
type v1Strategy struct{ next rest.Strategy }

var (
	_ rest.Strategy       = v1Strategy{}
	_ rest.StatusStrategy = v1Strategy{}
)

func toV2(obj runtime.Object) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	return FromV1(obj.(*autoscalingv1.HorizontalPodAutoscaler))
}

// mutate applies fn to obj's v2 form and writes the result back into
// obj. An object whose annotations do not convert is left for Validate
// to refuse.
func mutate(obj runtime.Object, fn func(*autoscalingv2.HorizontalPodAutoscaler)) {
	v2, err := toV2(obj)
	if err != nil {
		return
	}
	fn(v2)
	if back, err := ToV1(v2); err == nil {
		*obj.(*autoscalingv1.HorizontalPodAutoscaler) = *back
	}
}

// both converts obj and old, or says why not as a validation error.
func both(obj, old runtime.Object) (*autoscalingv2.HorizontalPodAutoscaler, *autoscalingv2.HorizontalPodAutoscaler, field.ErrorList) {
	v2, err := toV2(obj)
	if err != nil {
		return nil, nil, annotationError(err)
	}
	o, err := toV2(old)
	if err != nil {
		return nil, nil, annotationError(err)
	}
	return v2, o, nil
}

func annotationError(err error) field.ErrorList {
	return field.ErrorList{field.Invalid(field.NewPath("metadata", "annotations"), "", err.Error())}
}

func (s v1Strategy) Default(obj runtime.Object) {
	mutate(obj, func(v2 *autoscalingv2.HorizontalPodAutoscaler) { s.next.Default(v2) })
}

func (s v1Strategy) PrepareForCreate(obj runtime.Object) {
	mutate(obj, func(v2 *autoscalingv2.HorizontalPodAutoscaler) { s.next.PrepareForCreate(v2) })
}

func (s v1Strategy) PrepareForUpdate(obj, old runtime.Object) {
	o, err := toV2(old)
	if err != nil {
		return
	}
	mutate(obj, func(v2 *autoscalingv2.HorizontalPodAutoscaler) { s.next.PrepareForUpdate(v2, o) })
}

func (s v1Strategy) Validate(obj runtime.Object) field.ErrorList {
	v2, err := toV2(obj)
	if err != nil {
		return annotationError(err)
	}
	return s.next.Validate(v2)
}

func (s v1Strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	v2, o, errs := both(obj, old)
	if errs != nil {
		return errs
	}
	return s.next.ValidateUpdate(v2, o)
}

func (s v1Strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	o, err := toV2(old)
	if err != nil {
		return
	}
	mutate(obj, func(v2 *autoscalingv2.HorizontalPodAutoscaler) {
		s.next.(rest.StatusStrategy).PrepareForStatusUpdate(v2, o)
	})
}

func (s v1Strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	v2, o, errs := both(obj, old)
	if errs != nil {
		return errs
	}
	return s.next.(rest.StatusStrategy).ValidateStatusUpdate(v2, o)
}

// V1Codec keeps autoscaling/v1 objects in etcd as the autoscaling/v2
// objects Storage encodes, so both versions read and write the same keys.
type V1Codec struct{ Storage runtime.Codec }

// Encode converts to v2 and encodes that.
func (c V1Codec) Encode(obj runtime.Object, w io.Writer) error {
	v1, ok := obj.(*autoscalingv1.HorizontalPodAutoscaler)
	if !ok {
		return fmt.Errorf("autoscaling/v1 codec: %T is not a v1 HorizontalPodAutoscaler", obj)
	}
	v2, err := FromV1(v1)
	if err != nil {
		return err
	}
	return c.Storage.Encode(v2, w)
}

// Decode decodes the stored v2 object and converts it to v1.
func (c V1Codec) Decode(data []byte, _ *schema.GroupVersionKind, _ runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, _, err := c.Storage.Decode(data, nil, &autoscalingv2.HorizontalPodAutoscaler{})
	if err != nil {
		return nil, nil, err
	}
	v2, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		return nil, nil, fmt.Errorf("autoscaling/v1 codec: stored %T", obj)
	}
	v1, err := ToV1(v2)
	if err != nil {
		return nil, nil, err
	}
	gvk := autoscalingv1.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler")
	return v1, &gvk, nil
}

// Identifier names the codec for serializer caches.
func (V1Codec) Identifier() runtime.Identifier { return "autoscaling-v1-as-v2" }
