package flowcontrol

import (
	"fmt"
	"math"
	"slices"
	"strings"

	fc "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kubernetes' limits.
const (
	maxMatchingPrecedence = 10000
	maxQueues             = 512
	maxHashBits           = 60
)

var (
	specPath          = field.NewPath("spec")
	statusPath        = field.NewPath("status")
	supportedVerbs    = []string{"get", "list", "create", "update", "delete", "deletecollection", "patch", "watch", "proxy"}
	distinguishers    = []fc.FlowDistinguisherMethodType{fc.FlowDistinguisherMethodByUserType, fc.FlowDistinguisherMethodByNamespaceType}
	subjectKinds      = []fc.SubjectKind{fc.SubjectKindServiceAccount, fc.SubjectKindGroup, fc.SubjectKindUser}
	levelTypes        = []fc.PriorityLevelEnablement{fc.PriorityLevelEnablementExempt, fc.PriorityLevelEnablementLimited}
	limitResponses    = []fc.LimitResponseType{fc.LimitResponseTypeQueue, fc.LimitResponseTypeReject}
	conditionStatuses = []fc.ConditionStatus{fc.ConditionTrue, fc.ConditionFalse, fc.ConditionUnknown}
)

func validateFlowSchema(obj runtime.Object) field.ErrorList {
	fs := obj.(*fc.FlowSchema)
	spec := &fs.Spec
	var errs field.ErrorList
	p := specPath.Child("matchingPrecedence")
	switch mp := spec.MatchingPrecedence; {
	case mp <= 0:
		errs = append(errs, field.Invalid(p, mp, "must be a positive value"))
	case mp > maxMatchingPrecedence:
		errs = append(errs, field.Invalid(p, mp, fmt.Sprintf("must not be greater than %v", maxMatchingPrecedence)))
	case mp == 1 && fs.Name != fc.FlowSchemaNameExempt:
		errs = append(errs, field.Invalid(p, mp, "only the schema named 'exempt' may have matchingPrecedence 1"))
	}
	if dm := spec.DistinguisherMethod; dm != nil && !slices.Contains(distinguishers, dm.Type) {
		errs = append(errs, field.NotSupported(specPath.Child("distinguisherMethod", "type"), dm.Type, distinguishers))
	}
	if spec.PriorityLevelConfiguration.Name == "" {
		errs = append(errs, field.Required(specPath.Child("priorityLevelConfiguration", "name"), "must reference a priority level"))
	}
	for i := range spec.Rules {
		errs = append(errs, validateRules(&spec.Rules[i], specPath.Child("rules").Index(i))...)
	}
	return errs
}

func validateRules(r *fc.PolicyRulesWithSubjects, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(r.Subjects) == 0 {
		errs = append(errs, field.Required(p.Child("subjects"), "subjects must contain at least one value"))
	}
	for i := range r.Subjects {
		errs = append(errs, validateSubject(&r.Subjects[i], p.Child("subjects").Index(i))...)
	}
	if len(r.ResourceRules) == 0 && len(r.NonResourceRules) == 0 {
		errs = append(errs, field.Required(p, "at least one of resourceRules and nonResourceRules has to be non-empty"))
	}
	for i := range r.ResourceRules {
		errs = append(errs, validateResourceRule(&r.ResourceRules[i], p.Child("resourceRules").Index(i))...)
	}
	for i := range r.NonResourceRules {
		errs = append(errs, validateNonResourceRule(&r.NonResourceRules[i], p.Child("nonResourceRules").Index(i))...)
	}
	return errs
}

func validateSubject(s *fc.Subject, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	set := map[fc.SubjectKind]bool{fc.SubjectKindUser: s.User != nil, fc.SubjectKindGroup: s.Group != nil, fc.SubjectKindServiceAccount: s.ServiceAccount != nil}
	for k, present := range set {
		if present && k != s.Kind {
			errs = append(errs, field.Forbidden(p.Child(lowerFirst(string(k))), "must be nil when kind is "+string(s.Kind)))
		}
	}
	switch s.Kind {
	case fc.SubjectKindUser:
		if s.User == nil || s.User.Name == "" {
			errs = append(errs, field.Required(p.Child("user", "name"), "username is required"))
		}
	case fc.SubjectKindGroup:
		if s.Group == nil || s.Group.Name == "" {
			errs = append(errs, field.Required(p.Child("group", "name"), "group name is required"))
		}
	case fc.SubjectKindServiceAccount:
		if s.ServiceAccount == nil || s.ServiceAccount.Name == "" {
			errs = append(errs, field.Required(p.Child("serviceAccount", "name"), "name is required"))
		}
		if s.ServiceAccount == nil || s.ServiceAccount.Namespace == "" {
			errs = append(errs, field.Required(p.Child("serviceAccount", "namespace"), "namespace is required"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, subjectKinds))
	}
	return errs
}

func validateResourceRule(r *fc.ResourcePolicyRule, p *field.Path) field.ErrorList {
	errs := validateVerbs(r.Verbs, p.Child("verbs"))
	errs = append(errs, validateList(r.APIGroups, fc.APIGroupAll, p.Child("apiGroups"), "resource rules must supply at least one api group")...)
	errs = append(errs, validateList(r.Resources, fc.ResourceAll, p.Child("resources"), "resource rules must supply at least one resource")...)
	if len(r.Namespaces) == 0 && !r.ClusterScope {
		errs = append(errs, field.Required(p.Child("namespaces"), "resource rules that are not cluster scoped must supply at least one namespace"))
	} else if len(r.Namespaces) > 0 {
		errs = append(errs, validateList(r.Namespaces, fc.NamespaceEvery, p.Child("namespaces"), "")...)
	}
	for i, ns := range r.Namespaces {
		if ns == fc.NamespaceEvery {
			continue
		}
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, field.Invalid(p.Child("namespaces").Index(i), ns, msg))
		}
	}
	return errs
}

func validateNonResourceRule(r *fc.NonResourcePolicyRule, p *field.Path) field.ErrorList {
	errs := validateVerbs(r.Verbs, p.Child("verbs"))
	errs = append(errs, validateList(r.NonResourceURLs, fc.NonResourceAll, p.Child("nonResourceURLs"), "nonResourceURLs must contain at least one value")...)
	for i, u := range r.NonResourceURLs {
		if u == fc.NonResourceAll {
			continue
		}
		switch {
		case !strings.HasPrefix(u, "/"):
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs").Index(i), u, "must start with slash"))
		case strings.Contains(strings.TrimSuffix(u, "*"), "*"):
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs").Index(i), u, "wildcard can only be the last path segment"))
		case strings.HasSuffix(u, "*") && !strings.HasSuffix(u, "/*"):
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs").Index(i), u, "wildcard can only be the last path segment"))
		}
	}
	return errs
}

func validateVerbs(verbs []string, p *field.Path) field.ErrorList {
	errs := validateList(verbs, fc.VerbAll, p, "verbs must contain at least one value")
	for i, v := range verbs {
		if v != fc.VerbAll && !slices.Contains(supportedVerbs, v) {
			errs = append(errs, field.NotSupported(p.Index(i), v, supportedVerbs))
		}
	}
	return errs
}

// validateList checks that the list is not empty (when required says why
// it must not be) and that a wildcard stands alone.
func validateList(list []string, all string, p *field.Path, required string) field.ErrorList {
	if len(list) == 0 && required != "" {
		return field.ErrorList{field.Required(p, required)}
	}
	if len(list) > 1 && slices.Contains(list, all) {
		return field.ErrorList{field.Invalid(p, list, fmt.Sprintf("if '%s' is present, must not specify other %s", all, p.String()[strings.LastIndex(p.String(), ".")+1:]))}
	}
	return nil
}

func validateFlowSchemaStatus(obj runtime.Object) field.ErrorList {
	var errs field.ErrorList
	for i, c := range obj.(*fc.FlowSchema).Status.Conditions {
		errs = append(errs, validateCondition(string(c.Type), c.Status, statusPath.Child("conditions").Index(i))...)
	}
	return errs
}

func validatePriorityLevelStatus(obj runtime.Object) field.ErrorList {
	var errs field.ErrorList
	for i, c := range obj.(*fc.PriorityLevelConfiguration).Status.Conditions {
		errs = append(errs, validateCondition(string(c.Type), c.Status, statusPath.Child("conditions").Index(i))...)
	}
	return errs
}

func validateCondition(typ string, status fc.ConditionStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if typ == "" {
		errs = append(errs, field.Required(p.Child("type"), "must not be empty"))
	}
	if !slices.Contains(conditionStatuses, status) {
		errs = append(errs, field.NotSupported(p.Child("status"), status, conditionStatuses))
	}
	return errs
}

func validatePriorityLevel(obj runtime.Object) field.ErrorList {
	pl := obj.(*fc.PriorityLevelConfiguration)
	spec := &pl.Spec
	var errs field.ErrorList
	switch spec.Type {
	case fc.PriorityLevelEnablementExempt:
		if spec.Limited != nil {
			errs = append(errs, field.Forbidden(specPath.Child("limited"), "must be nil if the type is not Limited"))
		}
		if e := spec.Exempt; e != nil {
			errs = append(errs, validateShares(e.NominalConcurrencyShares, e.LendablePercent, specPath.Child("exempt"))...)
		}
	case fc.PriorityLevelEnablementLimited:
		if spec.Exempt != nil {
			errs = append(errs, field.Forbidden(specPath.Child("exempt"), "must be nil if the type is Limited"))
		}
		if spec.Limited == nil {
			errs = append(errs, field.Required(specPath.Child("limited"), "must not be empty when type is Limited"))
		} else {
			errs = append(errs, validateLimited(spec.Limited, specPath.Child("limited"))...)
		}
	default:
		errs = append(errs, field.NotSupported(specPath.Child("type"), spec.Type, levelTypes))
	}
	return append(errs, validateMandatoryLevel(pl)...)
}

func validateShares(shares, lendable *int32, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if shares != nil && *shares < 0 {
		errs = append(errs, field.Invalid(p.Child("nominalConcurrencyShares"), *shares, "must be a non-negative integer"))
	}
	if lendable != nil && (*lendable < 0 || *lendable > 100) {
		errs = append(errs, field.Invalid(p.Child("lendablePercent"), *lendable, "must be between 0 and 100, inclusive"))
	}
	return errs
}

func validateLimited(l *fc.LimitedPriorityLevelConfiguration, p *field.Path) field.ErrorList {
	errs := validateShares(l.NominalConcurrencyShares, l.LendablePercent, p)
	if b := l.BorrowingLimitPercent; b != nil && *b < 0 {
		errs = append(errs, field.Invalid(p.Child("borrowingLimitPercent"), *b, "if specified, must be a non-negative integer"))
	}
	lr, lp := &l.LimitResponse, p.Child("limitResponse")
	switch lr.Type {
	case fc.LimitResponseTypeReject:
		if lr.Queuing != nil {
			errs = append(errs, field.Forbidden(lp.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"))
		}
	case fc.LimitResponseTypeQueue:
		if lr.Queuing == nil {
			errs = append(errs, field.Required(lp.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"))
		} else {
			errs = append(errs, validateQueuing(lr.Queuing, lp.Child("queuing"))...)
		}
	default:
		errs = append(errs, field.NotSupported(lp.Child("type"), lr.Type, limitResponses))
	}
	return errs
}

func validateQueuing(q *fc.QueuingConfiguration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if q.QueueLengthLimit <= 0 {
		errs = append(errs, field.Invalid(p.Child("queueLengthLimit"), q.QueueLengthLimit, "must be positive"))
	}
	if q.Queues <= 0 {
		errs = append(errs, field.Invalid(p.Child("queues"), q.Queues, "must be positive"))
	} else if q.Queues > maxQueues {
		errs = append(errs, field.Invalid(p.Child("queues"), q.Queues, fmt.Sprintf("must not be greater than %d", maxQueues)))
	}
	switch {
	case q.HandSize <= 0:
		errs = append(errs, field.Invalid(p.Child("handSize"), q.HandSize, "must be positive"))
	case q.HandSize > q.Queues:
		errs = append(errs, field.Invalid(p.Child("handSize"), q.HandSize, fmt.Sprintf("should not be greater than queues (%d)", q.Queues)))
	case q.Queues > 0 && math.Ceil(math.Log2(float64(q.Queues))*float64(q.HandSize)) > maxHashBits:
		errs = append(errs, field.Invalid(p, q, fmt.Sprintf("required entropy bits of deckSize %d and handSize %d should not be greater than %d", q.Queues, q.HandSize, maxHashBits)))
	}
	return errs
}

// validateMandatoryLevel lets an administrator tune only spec.exempt of
// the mandatory exempt level, as Kubernetes does.
func validateMandatoryLevel(pl *fc.PriorityLevelConfiguration) field.ErrorList {
	if pl.Name != fc.PriorityLevelConfigurationNameExempt {
		return nil
	}
	if pl.Spec.Type != fc.PriorityLevelEnablementExempt || pl.Spec.Limited != nil {
		return field.ErrorList{field.Invalid(specPath, pl.Spec, "spec of 'exempt' except the 'spec.exempt' field must equal the fixed value")}
	}
	return nil
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }
