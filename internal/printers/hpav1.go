package printers

import (
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry/autoscaling"
)

// hpaV1Kinds prints autoscaling/v1 HorizontalPodAutoscalers with v2's
// columns, as Kubernetes prints every version from one internal form.
var hpaV1Kinds = map[schema.GroupVersionKind]printer{
	autoscalingv1.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"): {hpaColumns, hpaV1Row},
}

func hpaV1Row(obj runtime.Object, now time.Time) ([]any, error) {
	h, ok := obj.(*autoscalingv1.HorizontalPodAutoscaler)
	if !ok {
		return nil, fmt.Errorf("print %T: want *v1.HorizontalPodAutoscaler", obj)
	}
	v2, err := autoscaling.FromV1(h)
	if err != nil {
		return nil, err
	}
	return hpaRow(v2, now), nil
}
