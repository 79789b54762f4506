package apiserver

import (
	"net/http/httptest"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// FuzzDecodeBody feeds arbitrary bodies to the request decoder in every
// media type and validation mode: it may reject them, never panic.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}`), uint8(0))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"), uint8(1))
	f.Add([]byte("k8s\x00\n\x02v1\x12\x03Pod"), uint8(2))
	f.Add([]byte(`{"metadata":{"name":"a","name":"b"}}`), uint8(3))
	mediaTypes := []string{mediaJSON, mediaYAML, mediaProtobuf}
	modes := []fieldValidation{validationIgnore, validationWarn, validationStrict}
	f.Fuzz(func(t *testing.T, body []byte, sel uint8) {
		mt := mediaTypes[int(sel)%len(mediaTypes)]
		fv := modes[int(sel/3)%len(modes)]
		w := httptest.NewRecorder()
		_ = decodeAs(w, mt, fv, body, &corev1.Pod{}, corev1.SchemeGroupVersion.WithKind("Pod"))
		_ = decodeAs(w, mt, fv, body, &appsv1.Deployment{}, appsv1.SchemeGroupVersion.WithKind("Deployment"))
	})
}
