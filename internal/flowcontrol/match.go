package flowcontrol

import (
	"slices"
	"strings"

	fc "k8s.io/api/flowcontrol/v1"
)

// Digest is what classification reads of a request.
type Digest struct {
	User   string
	Groups []string
	// IsResource selects Verb, APIGroup, Resource and Namespace; otherwise
	// Verb (the lowercase HTTP method) and Path are matched.
	IsResource bool
	Verb       string
	APIGroup   string
	// Resource is "pods" or, for a subresource, "pods/status".
	Resource  string
	Namespace string
	Path      string
	// LongRunning requests (watches, streams, proxies, followed logs) are
	// classified but hold no seat.
	LongRunning bool
}

const saPrefix = "system:serviceaccount:"

func matchesSchema(fs *fc.FlowSchema, d *Digest) bool {
	for i := range fs.Spec.Rules {
		if matchesRules(&fs.Spec.Rules[i], d) {
			return true
		}
	}
	return false
}

func matchesRules(r *fc.PolicyRulesWithSubjects, d *Digest) bool {
	if !slices.ContainsFunc(r.Subjects, func(s fc.Subject) bool { return matchesSubject(&s, d) }) {
		return false
	}
	if d.IsResource {
		return slices.ContainsFunc(r.ResourceRules, func(rr fc.ResourcePolicyRule) bool { return matchesResource(&rr, d) })
	}
	return slices.ContainsFunc(r.NonResourceRules, func(nr fc.NonResourcePolicyRule) bool { return matchesNonResource(&nr, d) })
}

func matchesSubject(s *fc.Subject, d *Digest) bool {
	switch {
	case s.Kind == fc.SubjectKindUser && s.User != nil:
		return s.User.Name == fc.NameAll || s.User.Name == d.User
	case s.Kind == fc.SubjectKindGroup && s.Group != nil:
		return s.Group.Name == fc.NameAll || slices.Contains(d.Groups, s.Group.Name)
	case s.Kind == fc.SubjectKindServiceAccount && s.ServiceAccount != nil:
		ns, name, ok := strings.Cut(strings.TrimPrefix(d.User, saPrefix), ":")
		return ok && strings.HasPrefix(d.User, saPrefix) && ns == s.ServiceAccount.Namespace &&
			(s.ServiceAccount.Name == fc.NameAll || s.ServiceAccount.Name == name)
	}
	return false
}

func matchesResource(r *fc.ResourcePolicyRule, d *Digest) bool {
	if !hasOrAll(r.Verbs, fc.VerbAll, d.Verb) || !hasOrAll(r.APIGroups, fc.APIGroupAll, d.APIGroup) || !hasOrAll(r.Resources, fc.ResourceAll, d.Resource) {
		return false
	}
	if d.Namespace == "" {
		return r.ClusterScope
	}
	return hasOrAll(r.Namespaces, fc.NamespaceEvery, d.Namespace)
}

func matchesNonResource(r *fc.NonResourcePolicyRule, d *Digest) bool {
	if !hasOrAll(r.Verbs, fc.VerbAll, d.Verb) {
		return false
	}
	for _, u := range r.NonResourceURLs {
		if u == fc.NonResourceAll || u == d.Path {
			return true
		}
		// "/apis/*" matches "/apis" and everything below it.
		if dir, ok := strings.CutSuffix(u, "/*"); ok && (d.Path == dir || strings.HasPrefix(d.Path, dir+"/")) {
			return true
		}
	}
	return false
}

func hasOrAll(list []string, all, v string) bool {
	for _, s := range list {
		if s == all || s == v {
			return true
		}
	}
	return false
}

// distinguisher is the part of a flow's identity the schema picks.
func distinguisher(fs *fc.FlowSchema, d *Digest) string {
	if fs.Spec.DistinguisherMethod == nil {
		return ""
	}
	if fs.Spec.DistinguisherMethod.Type == fc.FlowDistinguisherMethodByNamespaceType {
		return d.Namespace
	}
	return d.User
}
