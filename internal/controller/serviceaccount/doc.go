// Package serviceaccount ensures that every active namespace has a
// ServiceAccount named "default", as Kubernetes' serviceaccount
// controller does: it creates the account when a namespace appears and
// again whenever the account is deleted. Namespaces being terminated are
// left alone.
package serviceaccount
