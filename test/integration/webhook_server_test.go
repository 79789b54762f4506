package integration

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeWebhook is a real HTTPS admission webhook on 127.0.0.1: /deny
// refuses objects named bad-*, /label adds the label mutated=yes with a
// warning (an invalid value to objects labelled breakme). It records the requests it saw.
type fakeWebhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []admissionv1.AdmissionRequest
}

func startFakeWebhook(t *testing.T) *fakeWebhook {
	f := &fakeWebhook{}
	mux := http.NewServeMux()
	mux.HandleFunc("/deny", f.serve(func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		var obj metav1.PartialObjectMetadata
		_ = json.Unmarshal(req.Object.Raw, &obj)
		if strings.HasPrefix(obj.Name, "bad-") {
			resp.Allowed = false
			resp.Result = &metav1.Status{Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: "no bad objects"}
		}
	}))
	mux.HandleFunc("/label", f.serve(func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		patch := `[{"op":"add","path":"/metadata/labels","value":{"mutated":"yes"}}]`
		var obj metav1.PartialObjectMetadata
		_ = json.Unmarshal(req.Object.Raw, &obj)
		switch {
		case obj.Labels["breakme"] != "":
			patch = `[{"op":"add","path":"/metadata/labels/mutated","value":"not valid!"}]`
		case len(obj.Labels) > 0:
			patch = `[{"op":"add","path":"/metadata/labels/mutated","value":"yes"}]`
		}
		resp.Patch, resp.PatchType = []byte(patch), new(admissionv1.PatchTypeJSONPatch)
		resp.Warnings = []string{"labelled by the test webhook"}
	}))
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWebhook) serve(decide func(*admissionv1.AdmissionRequest, *admissionv1.AdmissionResponse)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, *review.Request)
		f.mu.Unlock()
		resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
		decide(review.Request, resp)
		review.Request, review.Response = nil, resp
		_ = json.NewEncoder(w).Encode(&review)
	}
}

// last returns the last request the webhook saw for name.
func (f *fakeWebhook) last(name string) (admissionv1.AdmissionRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.seen) - 1; i >= 0; i-- {
		if f.seen[i].Name == name {
			return f.seen[i], true
		}
	}
	return admissionv1.AdmissionRequest{}, false
}

func (f *fakeWebhook) caBundle() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
}

// clientConfig points at path on the fake webhook by url.
func (f *fakeWebhook) clientConfig(path string) admissionregv1.WebhookClientConfig {
	return admissionregv1.WebhookClientConfig{URL: new(f.srv.URL + path), CABundle: f.caBundle()}
}

// rule covers CREATE of resource in group/version.
func rule(group, version, resource string) []admissionregv1.RuleWithOperations {
	return []admissionregv1.RuleWithOperations{{
		Operations: []admissionregv1.OperationType{admissionregv1.Create},
		Rule:       admissionregv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: []string{resource}},
	}}
}
