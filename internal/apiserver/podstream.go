package apiserver

import (
	"net/http"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// streamQuery is the kubelet's query for pods/exec and pods/attach, in
// the names Kubernetes' API server sends (input, output, error, tty).
func streamQuery(q url.Values, exec bool) (url.Values, error) {
	out := url.Values{}
	any := false
	for _, p := range [][2]string{{"stdin", "input"}, {"stdout", "output"}, {"stderr", "error"}, {"tty", "tty"}} {
		if queryBool(q, p[0]) {
			out.Set(p[1], "1")
			any = any || p[0] != "tty"
		}
	}
	if !any {
		return nil, apierrors.NewBadRequest("you must specify at least 1 of stdin, stdout, stderr")
	}
	if exec {
		if len(q["command"]) == 0 {
			return nil, apierrors.NewBadRequest("you must specify at least one command for the container")
		}
		out["command"] = q["command"]
	}
	return out, nil
}

// servePodStream proxies pods/exec, pods/attach and pods/portforward to
// the pod's kubelet, upgrade included. Over WebSocket (what kubectl asks
// for first), exec and attach are translated to SPDY towards the kubelet
// and port-forward's SPDY stream is tunnelled.
func (s *Server) servePodStream(w http.ResponseWriter, r *http.Request, h *resourceHandler, ri *requestInfo) error {
	pod, err := getPod(r, h, ri)
	if err != nil {
		return err
	}
	var path string
	var query url.Values
	switch ri.Subresource {
	case "portforward":
		path, query = "/portForward/"+pod.Namespace+"/"+pod.Name, url.Values{"port": r.URL.Query()["ports"]}
	default:
		container, err := podContainer(pod, r.URL.Query().Get("container"))
		if err != nil {
			return err
		}
		if query, err = streamQuery(r.URL.Query(), ri.Subresource == "exec"); err != nil {
			return err
		}
		path = "/" + ri.Subresource + "/" + pod.Namespace + "/" + pod.Name + "/" + container
	}
	target, err := s.kubeletURL(r, pod, path, query)
	if err != nil {
		return err
	}
	switch {
	case ri.Subresource == "portforward" && wantsPortForwardTunnel(r):
		return s.tunnelPortForward(w, r, target)
	case ri.Subresource != "portforward" && wantsWebSocket(r):
		return s.translateWebSocket(w, r, target)
	}
	s.proxyToKubelet(w, r, target, pod.Spec.NodeName)
	return nil
}
