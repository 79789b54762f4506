package apiserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// wsPortForwardProtocol is kubectl 1.31+'s port-forward over WebSocket:
// the SPDY stream of the portforward.k8s.io protocol, carried as binary
// messages.
const wsPortForwardProtocol = "SPDY/3.1+portforward.k8s.io"

// wantsPortForwardTunnel reports whether r asks for port-forward over a
// WebSocket tunnel.
func wantsPortForwardTunnel(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, p := range websocket.Subprotocols(r) {
		if p == wsPortForwardProtocol {
			return true
		}
	}
	return false
}

// tunnelPortForward upgrades to SPDY towards the kubelet, then to
// WebSocket towards the client, and copies the SPDY bytes between the
// two, as Kubernetes' API server tunnels port-forward since 1.31.
func (s *Server) tunnelPortForward(w http.ResponseWriter, r *http.Request, target *url.URL) error {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", "portforward.k8s.io")
	resp, err := s.kubelet.RoundTrip(req)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("kubelet: %v", err))
	}
	kubelet, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return apierrors.NewInternalError(fmt.Errorf("kubelet refused the port-forward upgrade: %s: %s", resp.Status, strings.TrimSpace(string(body))))
	}
	defer kubelet.Close()
	upgrader := websocket.Upgrader{Subprotocols: []string{wsPortForwardProtocol}, CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered the client
	}
	defer conn.Close()
	done := make(chan struct{}, 2)
	go func() { // client → kubelet
		defer func() { done <- struct{}{} }()
		for {
			mt, msg, err := conn.NextReader()
			if err != nil {
				return
			}
			if mt != websocket.BinaryMessage {
				continue
			}
			if _, err := io.Copy(kubelet, msg); err != nil {
				return
			}
		}
	}()
	go func() { // kubelet → client
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := kubelet.Read(buf)
			if n > 0 && conn.WriteMessage(websocket.BinaryMessage, buf[:n]) != nil {
				return
			}
			if err != nil {
				return
			}
		}
	}()
	<-done // either side ending ends the tunnel; the deferred closes stop the other
	return nil
}
