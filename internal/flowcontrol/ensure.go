package flowcontrol

import (
	"context"
	"errors"
	"reflect"

	fc "k8s.io/api/flowcontrol/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/flowcontrol/bootstrap"
	"github.com/skiff-sh/skiff/internal/registry/generic"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// ensure writes the bootstrap configuration as Kubernetes' API server
// does: mandatory objects are created or restored to their fixed spec;
// suggested ones are created when missing and kept current while their
// autoupdate-spec annotation is "true" (an object without the annotation
// gets "true" if it was never changed, generation 1, else "false");
// objects annotated "true" that the configuration no longer has are
// deleted.
func (c *Controller) ensure(ctx context.Context, cur *config) error {
	var errs []error
	wantLevels := map[string]bool{}
	for i, pl := range append(bootstrap.MandatoryPriorityLevels(), bootstrap.SuggestedPriorityLevels()...) {
		wantLevels[pl.Name] = true
		errs = append(errs, ensureOne(ctx, c.cfg.PriorityLevels, pl, lookup(cur.levels, pl.Name), i < 2))
	}
	wantSchemas := map[string]bool{}
	for i, fs := range append(bootstrap.MandatoryFlowSchemas(), bootstrap.SuggestedFlowSchemas()...) {
		wantSchemas[fs.Name] = true
		errs = append(errs, ensureOne(ctx, c.cfg.FlowSchemas, fs, lookup(cur.schemas, fs.Name), i < 2))
	}
	errs = append(errs, removeUnwanted(ctx, c.cfg.PriorityLevels, cur.levels, wantLevels))
	errs = append(errs, removeUnwanted(ctx, c.cfg.FlowSchemas, cur.schemas, wantSchemas))
	return errors.Join(errs...)
}

func lookup[T runtime.Object](m map[string]T, name string) runtime.Object {
	if obj, ok := m[name]; ok {
		return obj
	}
	return nil
}

// ensureOne brings one bootstrap object to what its annotation asks for.
func ensureOne(ctx context.Context, st *generic.Store, want, have runtime.Object, mandatory bool) error {
	if have == nil {
		_, err := st.Create(ctx, "", want.DeepCopyObject(), false)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	m := rest.Meta(have)
	annotation, set := m.Annotations[fc.AutoUpdateAnnotationKey]
	update := mandatory || annotation == "true" || (!set && m.Generation == 1)
	value := "false"
	if update {
		value = "true"
	}
	if annotation == value && (!update || apiequality.Semantic.DeepEqual(specOf(want), specOf(have))) {
		return nil
	}
	_, _, err := st.Update(ctx, "", m.Name, "", func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(st.GroupResource(), m.Name)
		}
		obj := cur.DeepCopyObject()
		om := rest.Meta(obj)
		if om.Annotations == nil {
			om.Annotations = map[string]string{}
		}
		om.Annotations[fc.AutoUpdateAnnotationKey] = value
		if update {
			specValue(obj).Set(specValue(want.DeepCopyObject()))
		}
		return obj, nil
	}, false)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Deleted or changed meanwhile: the watch brings another round.
		return nil
	}
	return err
}

func removeUnwanted[T runtime.Object](ctx context.Context, st *generic.Store, have map[string]T, want map[string]bool) error {
	var errs []error
	for name, obj := range have {
		if want[name] || rest.Meta(obj).Annotations[fc.AutoUpdateAnnotationKey] != "true" {
			continue
		}
		if _, _, err := st.Delete(ctx, "", name, nil, false); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func specValue(obj runtime.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Spec")
}

func specOf(obj runtime.Object) any { return specValue(obj).Interface() }
