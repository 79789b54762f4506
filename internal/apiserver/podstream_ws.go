package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apispdy "k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
)

// The WebSocket remote command protocols kubectl 1.30+ asks for first.
// Their messages are binary, the first byte naming the stream.
const (
	wsProtocolV5 = "v5.channel.k8s.io"
	wsProtocolV4 = "v4.channel.k8s.io"

	wsStdin, wsStdout, wsStderr, wsError, wsResize byte = 0, 1, 2, 3, 4
	// wsClose (v5) closes the stream named by the next byte: stdin's EOF.
	wsClose byte = 255
)

// wantsWebSocket reports whether r asks to upgrade to a WebSocket remote
// command protocol skiff translates.
func wantsWebSocket(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, p := range websocket.Subprotocols(r) {
		if p == wsProtocolV5 || p == wsProtocolV4 {
			return true
		}
	}
	return false
}

// translateWebSocket serves exec or attach over WebSocket to the client
// and over SPDY to the kubelet, as Kubernetes' API server does since
// 1.30: container runtimes (containerd 1.6 among them) speak only SPDY
// behind the kubelet.
func (s *Server) translateWebSocket(w http.ResponseWriter, r *http.Request, target *url.URL) error {
	rt, err := apispdy.NewRoundTripperWithConfig(apispdy.RoundTripperConfig{TLS: s.kubelet.TLSClientConfig, PingPeriod: 5 * time.Second})
	if err != nil {
		return err
	}
	executor, err := remotecommand.NewSPDYExecutorForTransports(rt, rt, http.MethodPost, target)
	if err != nil {
		return err
	}
	upgrader := websocket.Upgrader{Subprotocols: []string{wsProtocolV5, wsProtocolV4}, CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered the client
	}
	defer conn.Close()
	q := r.URL.Query()
	c := &wsChannels{conn: conn, sizes: make(chan remotecommand.TerminalSize, 4)}
	opts := remotecommand.StreamOptions{Tty: q.Get("tty") == "true", TerminalSizeQueue: c}
	if q.Get("stdin") == "true" {
		var stdin io.Reader
		stdin, c.stdin = io.Pipe()
		opts.Stdin = stdin
	}
	if q.Get("stdout") == "true" {
		opts.Stdout = c.writer(wsStdout)
	}
	if q.Get("stderr") == "true" && !opts.Tty {
		opts.Stderr = c.writer(wsStderr)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go c.readLoop(cancel)
	status, _ := json.Marshal(streamStatus(executor.StreamWithContext(ctx, opts)))
	_ = c.write(wsError, status)
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return nil
}

// streamStatus is what the v4 and v5 protocols send on the error stream
// when the command ends: Success, or Failure with the exit code.
func streamStatus(err error) *metav1.Status {
	if err == nil {
		return &metav1.Status{Status: metav1.StatusSuccess}
	}
	st := &metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
	var exit exec.ExitError
	if errors.As(err, &exit) {
		st.Reason = "NonZeroExitCode"
		st.Details = &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(exit.ExitStatus())}}}
	}
	return st
}

// wsChannels multiplexes the streams over one WebSocket connection.
type wsChannels struct {
	conn  *websocket.Conn
	mu    sync.Mutex // one writer at a time
	stdin *io.PipeWriter
	sizes chan remotecommand.TerminalSize
}

func (c *wsChannels) write(channel byte, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.WriteMessage(websocket.BinaryMessage, append([]byte{channel}, data...))
}

type wsWriter struct {
	c       *wsChannels
	channel byte
}

func (w wsWriter) Write(p []byte) (int, error) {
	if err := w.c.write(w.channel, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsChannels) writer(channel byte) io.Writer { return wsWriter{c, channel} }

// Next implements remotecommand.TerminalSizeQueue; nil ends it.
func (c *wsChannels) Next() *remotecommand.TerminalSize {
	size, ok := <-c.sizes
	if !ok {
		return nil
	}
	return &size
}

// readLoop feeds stdin and resizes from the client until it goes away,
// then ends the stream.
func (c *wsChannels) readLoop(done func()) {
	defer done()
	defer close(c.sizes)
	if c.stdin != nil {
		defer c.stdin.Close()
	}
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if len(data) == 0 {
			continue
		}
		switch data[0] {
		case wsStdin:
			if c.stdin != nil {
				_, _ = c.stdin.Write(data[1:])
			}
		case wsResize:
			var size remotecommand.TerminalSize
			if json.Unmarshal(data[1:], &size) == nil {
				select {
				case c.sizes <- size:
				default: // a newer size follows; drop this one
				}
			}
		case wsClose:
			if len(data) > 1 && data[1] == wsStdin && c.stdin != nil {
				_ = c.stdin.Close()
			}
		}
	}
}
