package apiserver

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// defaultKubeletPort is where a node that reports no kubelet endpoint
// is reached, as Kubernetes does.
const defaultKubeletPort = 10250

// kubeletTransport dials kubelets with the API server's client
// certificate over HTTP/1.1, which protocol upgrades need. Like
// Kubernetes without --kubelet-certificate-authority, it does not verify
// the kubelet's (self-signed) serving certificate.
func kubeletTransport(cert *tls.Certificate) *http.Transport {
	return &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{*cert}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
	}
}

// kubeletURL is https://<node InternalIP>:<kubelet port><path> for the
// pod's node.
func (s *Server) kubeletURL(r *http.Request, pod *corev1.Pod, path string, query url.Values) (*url.URL, error) {
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	obj, err := s.store(corev1.SchemeGroupVersion.WithResource("nodes")).Get(r.Context(), "", pod.Spec.NodeName, "")
	if err != nil {
		return nil, err
	}
	return s.nodeKubeletURL(obj.(*corev1.Node), path, query)
}

// nodeKubeletURL is https://<InternalIP>:<kubelet port><path> for node.
func (s *Server) nodeKubeletURL(node *corev1.Node, path string, query url.Values) (*url.URL, error) {
	if s.kubelet == nil {
		return nil, apierrors.NewServiceUnavailable("no kubelet client is configured")
	}
	var host string
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			host = a.Address
			break
		}
	}
	if host == "" {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("node %s reports no InternalIP", node.Name))
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = defaultKubeletPort
	}
	return &url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: path, RawQuery: query.Encode()}, nil
}

// proxyToKubelet forwards the request to target, protocol upgrades
// included, without the caller's credentials, which are for the API
// server only.
func (s *Server) proxyToKubelet(w http.ResponseWriter, r *http.Request, target *url.URL, node string) {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL, pr.Out.Host = target, target.Host
			pr.Out.Header.Del("Authorization")
		},
		Transport:     s.kubelet,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, apierrors.NewServiceUnavailable(fmt.Sprintf("kubelet of node %s: %v", node, err)))
		},
	}
	rp.ServeHTTP(w, r)
}

// getPod reads the pod a subresource request names.
func getPod(r *http.Request, h *resourceHandler, ri *requestInfo) (*corev1.Pod, error) {
	obj, err := h.store.Get(r.Context(), ri.Namespace, ri.Name, "")
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// podContainer resolves the container a request names, defaulting to
// the only one, with Kubernetes' messages.
func podContainer(pod *corev1.Pod, name string) (string, error) {
	if name == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		}
		msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, containerNames(pod.Spec.Containers))
		if len(pod.Spec.InitContainers) > 0 {
			msg += fmt.Sprintf(" or one of the init containers: [%s]", containerNames(pod.Spec.InitContainers))
		}
		return "", apierrors.NewBadRequest(msg)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return name, nil
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return name, nil
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

func containerNames(cs []corev1.Container) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, " ")
}
