package aggregator

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/pki"
)

// AuthenticationConfigMap is kube-system/extension-apiserver-authentication:
// what extension API servers read to trust client certificates (clientCA)
// and the front-proxy identity (frontProxyCA and the headers), with
// Kubernetes' keys and JSON-list values.
func AuthenticationConfigMap(clientCA, frontProxyCA []byte) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "extension-apiserver-authentication", Namespace: metav1.NamespaceSystem},
		Data: map[string]string{
			"client-ca-file":                     string(clientCA),
			"requestheader-client-ca-file":       string(frontProxyCA),
			"requestheader-allowed-names":        `["` + pki.FrontProxyClientName + `"]`,
			"requestheader-username-headers":     `["` + headerUser + `"]`,
			"requestheader-group-headers":        `["` + headerGroup + `"]`,
			"requestheader-extra-headers-prefix": `["` + headerExtraPrefix + `"]`,
		},
	}
	cm.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	return cm
}
