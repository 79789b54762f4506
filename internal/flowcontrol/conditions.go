package flowcontrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	fc "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// updateConditions sets each schema's Dangling condition: True when its
// priority level does not exist, as Kubernetes reports it.
func (c *Controller) updateConditions(ctx context.Context, cur *config) error {
	var errs []error
	for name, fs := range cur.schemas {
		want := danglingCondition(fs, cur.levels)
		if have := findDangling(fs); have != nil && have.Status == want.Status && have.Reason == want.Reason && have.Message == want.Message {
			continue
		}
		_, _, err := c.cfg.FlowSchemas.Update(ctx, "", name, "status", func(obj runtime.Object) (runtime.Object, error) {
			if obj == nil {
				return nil, apierrors.NewNotFound(c.cfg.FlowSchemas.GroupResource(), name)
			}
			next := obj.(*fc.FlowSchema).DeepCopy()
			setDangling(next, want)
			return next, nil
		}, false)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("flowschema %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func danglingCondition(fs *fc.FlowSchema, levels map[string]*fc.PriorityLevelConfiguration) fc.FlowSchemaCondition {
	pl := fs.Spec.PriorityLevelConfiguration.Name
	if _, ok := levels[pl]; ok {
		return fc.FlowSchemaCondition{Type: fc.FlowSchemaConditionDangling, Status: fc.ConditionFalse, Reason: "Found",
			Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q and it exists", pl)}
	}
	return fc.FlowSchemaCondition{Type: fc.FlowSchemaConditionDangling, Status: fc.ConditionTrue, Reason: "NotFound",
		Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q but there is no such object", pl)}
}

func findDangling(fs *fc.FlowSchema) *fc.FlowSchemaCondition {
	for i := range fs.Status.Conditions {
		if fs.Status.Conditions[i].Type == fc.FlowSchemaConditionDangling {
			return &fs.Status.Conditions[i]
		}
	}
	return nil
}

// setDangling replaces the condition, moving its transition time only
// when the status changes.
func setDangling(fs *fc.FlowSchema, want fc.FlowSchemaCondition) {
	want.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
	if have := findDangling(fs); have != nil {
		if have.Status == want.Status {
			want.LastTransitionTime = have.LastTransitionTime
		}
		*have = want
		return
	}
	fs.Status.Conditions = append(fs.Status.Conditions, want)
}
