package apiserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// queryBool reads a boolean query parameter as Kubernetes converts
// them: anything but "false" or "0" is true.
func queryBool(q url.Values, name string) bool {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return false
	}
	s := strings.ToLower(v[0])
	return s != "false" && s != "0"
}

// queryInt reads an optional integer query parameter.
func queryInt(q url.Values, name string) (*int64, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s: %q is not an integer", name, v))
	}
	return &n, nil
}

// parsePodLogOptions decodes and validates the query of pods/log.
func parsePodLogOptions(q url.Values, name string) (*corev1.PodLogOptions, error) {
	opts := &corev1.PodLogOptions{
		Container: q.Get("container"), Follow: queryBool(q, "follow"), Previous: queryBool(q, "previous"),
		Timestamps: queryBool(q, "timestamps"),
	}
	var err error
	if opts.SinceSeconds, err = queryInt(q, "sinceSeconds"); err != nil {
		return nil, err
	}
	if opts.TailLines, err = queryInt(q, "tailLines"); err != nil {
		return nil, err
	}
	if opts.LimitBytes, err = queryInt(q, "limitBytes"); err != nil {
		return nil, err
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("sinceTime: %q is not an RFC 3339 time", v))
		}
		opts.SinceTime = &metav1.Time{Time: t}
	}
	if errs := validatePodLogOptions(opts); len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PodLogOptions").GroupKind(), name, errs)
	}
	return opts, nil
}

// validatePodLogOptions checks what Kubernetes' ValidatePodLogOptions does.
func validatePodLogOptions(opts *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if opts.TailLines != nil && *opts.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *opts.TailLines, "must be greater than or equal to 0"))
	}
	if opts.LimitBytes != nil && *opts.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *opts.LimitBytes, "must be greater than 0"))
	}
	switch {
	case opts.SinceSeconds != nil && opts.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case opts.SinceSeconds != nil && *opts.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *opts.SinceSeconds, "must be greater than 0"))
	}
	return errs
}

// logsUnavailable explains, as the Kubernetes kubelet does from pod
// status, why a container has no log to read; nil when it has one.
func logsUnavailable(pod *corev1.Pod, container string, previous bool) error {
	var st *corev1.ContainerStatus
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == container {
				st = &list[i]
			}
		}
	}
	if st == nil {
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", container, pod.Name))
	}
	switch {
	case previous:
		if st.LastTerminationState.Terminated == nil {
			return apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod.Name))
		}
	case st.State.Running != nil, st.State.Terminated != nil, st.LastTerminationState.Terminated != nil:
	case st.State.Waiting != nil:
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, pod.Name, st.State.Waiting.Reason))
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name))
	}
	return nil
}

// kubeletLogQuery is what the kubelet's /containerLogs reads.
func kubeletLogQuery(opts *corev1.PodLogOptions) url.Values {
	q := url.Values{}
	set := func(name string, on bool) {
		if on {
			q.Set(name, "true")
		}
	}
	set("follow", opts.Follow)
	set("previous", opts.Previous)
	set("timestamps", opts.Timestamps)
	num := func(name string, n *int64) {
		if n != nil {
			q.Set(name, strconv.FormatInt(*n, 10))
		}
	}
	num("sinceSeconds", opts.SinceSeconds)
	num("tailLines", opts.TailLines)
	num("limitBytes", opts.LimitBytes)
	if opts.SinceTime != nil {
		q.Set("sinceTime", opts.SinceTime.UTC().Format(time.RFC3339))
	}
	return q
}

// servePodLog streams a container's log from its node's kubelet.
func (s *Server) servePodLog(w http.ResponseWriter, r *http.Request, h *resourceHandler, ri *requestInfo) error {
	opts, err := parsePodLogOptions(r.URL.Query(), ri.Name)
	if err != nil {
		return err
	}
	pod, err := getPod(r, h, ri)
	if err != nil {
		return err
	}
	container, err := podContainer(pod, opts.Container)
	if err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		// Kubernetes answers an unscheduled pod's log with nothing.
		w.Header().Set("Content-Type", "text/plain")
		return nil
	}
	if err := logsUnavailable(pod, container, opts.Previous); err != nil {
		return err
	}
	u, err := s.kubeletURL(r, pod, "/containerLogs/"+pod.Namespace+"/"+pod.Name+"/"+container, kubeletLogQuery(opts))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := s.kubelet.RoundTrip(req)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("kubelet of node %s: %v", pod.Spec.NodeName, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return kubeletError(resp, pod.Name)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(flushingWriter{w}, resp.Body)
	return nil
}

// kubeletError turns a kubelet's failure into the API's, as Kubernetes'
// GenericHttpResponseChecker does.
func kubeletError(resp *http.Response, name string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusBadRequest:
		return apierrors.NewBadRequest(msg)
	case http.StatusInternalServerError:
		return apierrors.NewInternalError(fmt.Errorf("%s", msg))
	}
	return apierrors.NewGenericServerResponse(resp.StatusCode, "", corev1.Resource("pods"), name, msg, 0, false)
}

// flushingWriter sends each chunk at once, so followed logs stream.
type flushingWriter struct{ w http.ResponseWriter }

func (f flushingWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = http.NewResponseController(f.w).Flush()
	}
	return n, err
}
