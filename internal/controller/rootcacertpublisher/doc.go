// Package rootcacertpublisher publishes the cluster CA in every active
// namespace, as Kubernetes' root-ca-cert-publisher does: a ConfigMap named
// kube-root-ca.crt whose key ca.crt holds controllerctx.Options.RootCA. It
// is created when a namespace appears, recreated when deleted and put back
// when its data is changed. Namespaces being terminated are left alone.
package rootcacertpublisher
