// Package certificates holds the CertificateSigningRequest controllers of
// kube-controller-manager: the signer issues certificates from the
// cluster CA for approved requests to the kubernetes.io/kube-apiserver-client,
// kube-apiserver-client-kubelet and kubelet-serving signers once each
// passes its signer's rules (else the request gets a Failed condition
// with reason SignerValidationFailure), and the cleaner deletes requests
// that are done with or were left pending too long. Clocks are injected.
package certificates
