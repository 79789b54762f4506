package apiserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// maxWatchTimeout bounds a watch without timeoutSeconds; like Kubernetes
// it is jittered so that reconnects spread out.
const maxWatchTimeout = 30 * time.Minute

func (h *resourceHandler) watch(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	if out.info.StreamSerializer == nil {
		return apierrors.NewBadRequest(fmt.Sprintf("no streaming support for media type %q", out.info.MediaType))
	}
	lo, err := h.listOptions(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts := generic.WatchOptions{ListOptions: lo, AllowBookmarks: q.Get("allowWatchBookmarks") == "true"}
	if s := q.Get("sendInitialEvents"); s != "" {
		b := s == "true"
		opts.SendInitialEvents = &b
	}
	timeout := time.Duration(float64(maxWatchTimeout) * (1 + rand.Float64()))
	if t := q.Get("timeoutSeconds"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %q", t))
		}
		timeout = time.Duration(n) * time.Second
	}
	wi, err := h.store.Watch(r.Context(), h.namespace(ri), opts)
	if err != nil {
		return err
	}
	defer wi.Stop()
	h.stream(w, r, out, wi, timeout)
	return nil
}

// stream writes watch events until the watch ends, the client goes or
// the timeout passes.
func (h *resourceHandler) stream(w http.ResponseWriter, r *http.Request, out output, wi watch.Interface, timeout time.Duration) {
	flusher, _ := w.(http.Flusher)
	ss := out.info.StreamSerializer
	mediaType := out.info.MediaType
	if mediaType != mediaJSON {
		mediaType += ";stream=watch"
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	enc := streaming.NewEncoder(ss.Framer.NewFrameWriter(w), ss.Serializer)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	first := true
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timer.C:
			return
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return
			}
			if err := h.writeEvent(r, enc, out, ev, first); err != nil {
				return
			}
			first = false
			if len(wi.ResultChan()) == 0 && flusher != nil {
				flusher.Flush()
			}
		}
	}
}

func (h *resourceHandler) writeEvent(r *http.Request, enc streaming.Encoder, out output, ev watch.Event, first bool) error {
	obj := ev.Object
	if out.as == "Table" && ev.Type != watch.Bookmark {
		t, err := toTable(r, h.store, obj, first)
		if err != nil {
			return err
		}
		obj = t
	} else if out.as != "" && ev.Type != watch.Bookmark {
		p, err := partialOf(obj)
		if err != nil {
			return err
		}
		obj = p
	}
	raw, err := runtime.Encode(out.info.Serializer, obj)
	if err != nil {
		return err
	}
	return enc.Encode(&metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}})
}
