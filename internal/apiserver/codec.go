package apiserver

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

// Media types the server reads and writes.
const (
	mediaJSON     = "application/json"
	mediaYAML     = "application/yaml"
	mediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// maxBodyBytes is Kubernetes' request body limit (3 MiB).
const maxBodyBytes = 3 * 1024 * 1024

// Scheme knows every served type and the meta.k8s.io types.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := scheme.AddToScheme(s); err != nil {
		panic(err) // static registration: cannot fail at run time
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apiregv1.AddToScheme(s); err != nil {
		panic(err)
	}
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	// Options kinds (DeleteOptions, ...) also arrive as meta.k8s.io/v1.
	metav1.AddToGroupVersion(s, metav1.SchemeGroupVersion)
	if err := metav1.AddMetaToScheme(s); err != nil {
		panic(err)
	}
	return s
}

var (
	codecs       = serializer.NewCodecFactory(Scheme)
	strictCodecs = serializer.NewCodecFactory(Scheme, serializer.EnableStrict)
)

// output is a negotiated response format.
type output struct {
	info runtime.SerializerInfo
	// as is the meta.k8s.io kind asked for: "", "Table",
	// "PartialObjectMetadata" or "PartialObjectMetadataList".
	as string
}

// negotiate picks the response format from the Accept header, preferring
// the client's order; an unsupported set gives 406.
func negotiate(r *http.Request) (output, error) {
	accept := r.Header.Get("Accept")
	if accept == "" || accept == "*/*" {
		return output{info: serializerFor(mediaJSON)}, nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "*/*" || mt == "application/*" {
			mt = mediaJSON
		}
		info := serializerFor(mt)
		if info.Serializer == nil {
			continue
		}
		as := params["as"]
		if as != "" && !supportedAs(as, params) {
			continue
		}
		return output{info: info, as: as}, nil
	}
	return output{}, apierrors.NewGenericServerResponse(http.StatusNotAcceptable, "", schema.GroupResource{}, "", fmt.Sprintf("only the following media types are accepted: %s", strings.Join([]string{mediaJSON, mediaYAML, mediaProtobuf}, ", ")), 0, false)
}

func supportedAs(as string, params map[string]string) bool {
	if params["g"] != "meta.k8s.io" || (params["v"] != "v1" && params["v"] != "v1beta1") {
		return false
	}
	switch as {
	case "Table", "PartialObjectMetadata", "PartialObjectMetadataList":
		return true
	}
	return false
}

func serializerFor(mt string) runtime.SerializerInfo {
	for _, info := range codecs.SupportedMediaTypes() {
		if info.MediaType == mt {
			return info
		}
	}
	return runtime.SerializerInfo{}
}

// writeObject encodes obj in the negotiated format. Objects must carry
// their apiVersion and kind.
func writeObject(w http.ResponseWriter, out output, code int, obj runtime.Object) {
	w.Header().Set("Content-Type", out.info.MediaType)
	w.WriteHeader(code)
	if err := out.info.Serializer.Encode(obj, w); err != nil {
		fmt.Fprintf(w, "encode: %v", err)
	}
}

// writeError answers with a metav1.Status carrying the Kubernetes reason.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	out, nerr := negotiate(r)
	if nerr != nil || out.as != "" {
		out = output{info: serializerFor(mediaJSON)}
	}
	writeObject(w, out, int(status.Code), status)
}

func errorStatus(err error) *metav1.Status {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		s.APIVersion, s.Kind = "v1", "Status"
		if s.Status == "" {
			s.Status = metav1.StatusFailure
		}
		return &s
	}
	s := apierrors.NewInternalError(err).ErrStatus
	s.APIVersion, s.Kind = "v1", "Status"
	return &s
}

// readBody reads a request body up to Kubernetes' limit.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBodyBytes {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBodyBytes))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if len(data) > maxBodyBytes {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBodyBytes))
	}
	return data, nil
}

// fieldValidation is the directive of the fieldValidation query parameter.
type fieldValidation string

const (
	validationIgnore fieldValidation = "Ignore"
	validationWarn   fieldValidation = "Warn"
	validationStrict fieldValidation = "Strict"
)

func parseFieldValidation(r *http.Request) (fieldValidation, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "":
		return validationWarn, nil
	case "Ignore", "Warn", "Strict":
		return fieldValidation(v), nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation parameter unsupported: %q. Supported values are: Ignore, Warn, Strict", v))
	}
}

// decodeBody decodes a request body of the request's content type into
// into, which fixes the expected kind. Unknown and duplicate fields are
// rejected with Strict and reported as warnings with Warn.
func decodeBody(w http.ResponseWriter, r *http.Request, data []byte, into runtime.Object, gvk schema.GroupVersionKind) error {
	fv, err := parseFieldValidation(r)
	if err != nil {
		return err
	}
	err = decode(w, contentType(r), fv, data, into, gvk)
	if msg, ok := undecodable(err); ok {
		return cannotHandle(gvk, msg)
	}
	return err
}

// cannotHandle is the 400 of Kubernetes' create and update handlers for
// a body that does not decode (transformDecodeError); patches report the
// decoding error alone.
func cannotHandle(gvk schema.GroupVersionKind, msg string) error {
	return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %s", gvk.Kind, gvk.Version, gvk.Kind, msg))
}

// errUndecodable is a body that does not decode into its kind.
type errUndecodable struct{ msg string }

func (e errUndecodable) Error() string { return e.msg }

func undecodable(err error) (string, bool) {
	var u errUndecodable
	return u.msg, errors.As(err, &u)
}

// decodeAs is decode for patched objects, whose decoding errors
// Kubernetes reports as they are.
func decodeAs(w http.ResponseWriter, mt string, fv fieldValidation, data []byte, into runtime.Object, gvk schema.GroupVersionKind) error {
	err := decode(w, mt, fv, data, into, gvk)
	if msg, ok := undecodable(err); ok {
		return apierrors.NewBadRequest(msg)
	}
	return err
}

// decode decodes data of media type mt into into; bodies that do not
// decode, or break fv Strict, are errUndecodable.
func decode(w http.ResponseWriter, mt string, fv fieldValidation, data []byte, into runtime.Object, gvk schema.GroupVersionKind) error {
	f := codecs
	if fv != validationIgnore {
		f = strictCodecs
	}
	info, ok := runtime.SerializerInfoForMediaType(f.SupportedMediaTypes(), mt)
	if !ok {
		return errUnsupportedBody()
	}
	obj, actual, err := info.Serializer.Decode(data, &gvk, into)
	if err != nil && runtime.IsStrictDecodingError(err) && obj != nil {
		if fv == validationStrict {
			return errUndecodable{err.Error()}
		}
		if sde, ok := runtime.AsStrictDecodingError(err); ok {
			for _, e := range sde.Errors() {
				w.Header().Add("Warning", fmt.Sprintf("299 - %q", e.Error()))
			}
		}
		err = nil
	}
	if err != nil {
		return errUndecodable{err.Error()}
	}
	if actual != nil && *actual != gvk {
		return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", actual.GroupVersion(), gvk.GroupVersion()))
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}

// decodeOptions decodes an options body (DeleteOptions) in the request's
// content type. Clients send these in their resource's group version
// ("v1", "apps/v1") or in meta.k8s.io/v1; every one is accepted, as the
// scheme registers the options kinds in each group version.
func decodeOptions(r *http.Request, data []byte, into runtime.Object, kind string) error {
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), contentType(r))
	if !ok {
		return errUnsupportedBody()
	}
	def := metav1.SchemeGroupVersion.WithKind(kind)
	_, actual, err := info.Serializer.Decode(data, &def, into)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if actual.Kind != kind {
		return apierrors.NewBadRequest(fmt.Sprintf("expected %s, got %s", kind, actual.Kind))
	}
	return nil
}

func errUnsupportedBody() error {
	return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "", schema.GroupResource{}, "", fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s", mediaJSON, mediaYAML, mediaProtobuf), 0, false)
}

// contentType is the request's media type; JSON when it names none.
func contentType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt == "" {
		return mediaJSON
	}
	return mt
}
