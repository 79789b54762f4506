package core

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/podspec"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// quotaCounts are the standard quota resources counted in whole objects.
var quotaCounts = sets.New[corev1.ResourceName](
	corev1.ResourcePods, corev1.ResourceServices, corev1.ResourceReplicationControllers,
	corev1.ResourceQuotas, corev1.ResourceSecrets, corev1.ResourceConfigMaps,
	corev1.ResourcePersistentVolumeClaims, corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
)

// quotaResources are the unqualified names a quota may limit, hugepages
// aside (IsStandardQuotaResourceName).
var quotaResources = quotaCounts.Union(sets.New[corev1.ResourceName](
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsStorage, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
))

var quotaScopes = []corev1.ResourceQuotaScope{
	corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating,
	corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort,
	corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeCrossNamespacePodAffinity,
	corev1.ResourceQuotaScopeVolumeAttributesClass,
}

func quotaStrategy() object[*corev1.ResourceQuota] {
	return object[*corev1.ResourceQuota]{
		namespaced:     true,
		create:         func(q *corev1.ResourceQuota) { q.Status = corev1.ResourceQuotaStatus{} },
		keepStatus:     func(q, old *corev1.ResourceQuota) { q.Status = old.Status },
		keepSpec:       func(q, old *corev1.ResourceQuota) { q.Spec = old.Spec },
		validate:       validateQuota,
		validateUpdate: validateQuotaUpdate,
		validateStatus: func(q, _ *corev1.ResourceQuota) field.ErrorList { return validateQuotaStatus(q) },
	}
}

func validateQuota(q *corev1.ResourceQuota) field.ErrorList {
	errs := validateQuotaList(q.Spec.Hard, specPath.Child("hard"))
	for _, s := range q.Spec.Scopes {
		errs = append(errs, rest.Enum(s, specPath.Child("scopes"), quotaScopes...)...)
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for i, r := range sel.MatchExpressions {
			ip := specPath.Child("scopeSelector", "matchExpressions").Index(i)
			errs = append(errs, rest.Enum(r.ScopeName, ip.Child("scopeName"), quotaScopes...)...)
			errs = append(errs, rest.Enum(r.Operator, ip.Child("operator"), corev1.ScopeSelectorOpIn, corev1.ScopeSelectorOpNotIn, corev1.ScopeSelectorOpExists, corev1.ScopeSelectorOpDoesNotExist)...)
		}
	}
	return append(errs, validateQuotaStatus(q)...)
}

func validateQuotaStatus(q *corev1.ResourceQuota) field.ErrorList {
	sp := field.NewPath("status")
	return append(validateQuotaList(q.Status.Hard, sp.Child("hard")), validateQuotaList(q.Status.Used, sp.Child("used"))...)
}

// validateQuotaUpdate keeps the scopes: a quota tracks one set of objects.
func validateQuotaUpdate(q, old *corev1.ResourceQuota) field.ErrorList {
	if !apiequality.Semantic.DeepEqual(q.Spec.Scopes, old.Spec.Scopes) {
		return field.ErrorList{field.Invalid(specPath.Child("scopes"), q.Spec.Scopes, apivalidation.FieldImmutableErrorMsg)}
	}
	return nil
}

func validateQuotaList(l corev1.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, n := range resourceNames(l) {
		fp := p.Key(string(n))
		errs = append(errs, validateQuotaResourceName(n, fp)...)
		errs = append(errs, podspec.ValidateQuantity(l[n], fp)...)
		if q := l[n]; (quotaCounts.Has(n) || podspec.IsExtendedResource(n)) && !isInteger(q) {
			errs = append(errs, field.Invalid(fp, q.String(), "must be an integer"))
		}
	}
	return errs
}

func isInteger(q resource.Quantity) bool { return q.MilliValue()%1000 == 0 }

func validateQuotaResourceName(n corev1.ResourceName, p *field.Path) field.ErrorList {
	errs := podspec.ValidateResourceName(n, p)
	s := string(n)
	if len(errs) == 0 && !strings.Contains(s, "/") && !quotaResources.Has(n) && !strings.HasPrefix(s, "requests."+corev1.ResourceHugePagesPrefix) {
		errs = append(errs, field.Invalid(p, n, "must be a standard resource for quota"))
	}
	return errs
}

func limitRangeStrategy() rest.Simple {
	return rest.Simple{
		Namespaced: true,
		DefaultFn:  func(obj runtime.Object) { defaultLimitRange(obj.(*corev1.LimitRange)) },
		ValidateFn: typed(validateLimitRange),
	}
}

// defaultLimitRange fills a container limit's default from max and its
// defaultRequest from default, else min, as SetDefaults_LimitRangeItem does.
func defaultLimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		it := &lr.Spec.Limits[i]
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		fillMissing(&it.Default, it.Max)
		fillMissing(&it.DefaultRequest, it.Default)
		fillMissing(&it.DefaultRequest, it.Min)
	}
}

func fillMissing(dst *corev1.ResourceList, src corev1.ResourceList) {
	for n, q := range src {
		if _, ok := (*dst)[n]; ok {
			continue
		}
		if *dst == nil {
			*dst = corev1.ResourceList{}
		}
		(*dst)[n] = q.DeepCopy()
	}
}

func validateLimitRange(lr *corev1.LimitRange) field.ErrorList {
	var errs field.ErrorList
	types := sets.New[corev1.LimitType]()
	for i := range lr.Spec.Limits {
		it, ip := &lr.Spec.Limits[i], specPath.Child("limits").Index(i)
		errs = append(errs, validateLimitType(it.Type, ip.Child("type"))...)
		if types.Has(it.Type) {
			errs = append(errs, field.Duplicate(ip.Child("type"), it.Type))
		}
		types.Insert(it.Type)
		if it.Type == corev1.LimitTypePod {
			if len(it.Default) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(it.DefaultRequest) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		}
		for _, l := range []struct {
			name string
			list corev1.ResourceList
		}{{"max", it.Max}, {"min", it.Min}, {"default", it.Default}, {"defaultRequest", it.DefaultRequest}, {"maxLimitRequestRatio", it.MaxLimitRequestRatio}} {
			errs = append(errs, validateResourceList(l.list, podspec.ValidateResourceName, ip.Child(l.name))...)
		}
		errs = append(errs, validateLimitOrder(it, ip)...)
	}
	return errs
}

func validateLimitType(t corev1.LimitType, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsQualifiedName(string(t)) {
		errs = append(errs, field.Invalid(p, t, msg))
	}
	standard := t == corev1.LimitTypeContainer || t == corev1.LimitTypePod || t == corev1.LimitTypePersistentVolumeClaim
	if len(errs) == 0 && !strings.Contains(string(t), "/") && !standard {
		errs = append(errs, field.Invalid(p, t, "must be a standard limit type or fully qualified"))
	}
	return errs
}

// validateLimitOrder requires min <= defaultRequest <= default <= max per
// resource, and ratios of at least 1.
func validateLimitOrder(it *corev1.LimitRangeItem, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	keys := sets.New[corev1.ResourceName]()
	for _, l := range []corev1.ResourceList{it.Max, it.Min, it.Default, it.DefaultRequest, it.MaxLimitRequestRatio} {
		keys.Insert(slices.Collect(maps.Keys(l))...)
	}
	for _, k := range sets.List(keys) {
		key := string(k)
		// check reports low above high on the field at.
		check := func(low, high corev1.ResourceList, at, msg string) {
			lo, okLo := low[k]
			hi, okHi := high[k]
			if okLo && okHi && lo.Cmp(hi) > 0 {
				errs = append(errs, field.Invalid(p.Child(at).Key(key), lo.String(), fmt.Sprintf(msg, lo.String(), hi.String())))
			}
		}
		check(it.Min, it.Max, "min", "min value %s is greater than max value %s")
		check(it.Min, it.DefaultRequest, "defaultRequest", "min value %s is greater than default request value %s")
		check(it.DefaultRequest, it.Max, "defaultRequest", "default request value %s is greater than max value %s")
		check(it.DefaultRequest, it.Default, "defaultRequest", "default request value %s is greater than default limit value %s")
		check(it.Min, it.Default, "default", "min value %s is greater than default value %s")
		check(it.Default, it.Max, "default", "default value %s is greater than max value %s")
		if r, ok := it.MaxLimitRequestRatio[k]; ok && r.Cmp(resource.MustParse("1")) < 0 {
			errs = append(errs, field.Invalid(p.Child("maxLimitRequestRatio").Key(key), r.String(), fmt.Sprintf("ratio %s is less than 1", r.String())))
		}
	}
	return errs
}
