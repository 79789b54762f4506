// Package policy enforces ValidatingAdmissionPolicies: CEL expressions
// over the request, bound to resources by ValidatingAdmissionPolicyBindings.
package policy
