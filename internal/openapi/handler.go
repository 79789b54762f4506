package openapi

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	openapi_v3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
)

// Media types of the documents.
const (
	mediaJSON = "application/json"
	// The protobuf encodings of gnostic's OpenAPI messages; the "@" forms
	// are the deprecated spellings clients still send.
	mediaV2Proto           = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	mediaV2ProtoDeprecated = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
	mediaV3Proto           = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"
	mediaV3ProtoDeprecated = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
)

// Handler serves /openapi/v2, /openapi/v3 and /openapi/v3/<group-version>.
// Documents are built on first request and cached for the life of the
// process: the served resources never change while it runs.
type Handler struct {
	resources []registry.Resource
	groups    map[string]*groupDoc // by gvPath
	keys      []string             // sorted gvPaths

	kindsOnce sync.Once
	kinds     map[string][]schema.GroupVersionKind

	v3ModelsOnce, v2ModelsOnce sync.Once
	v3Models, v2Models         *models

	index, v2JSON, v2Proto blob
}

type groupDoc struct {
	gv    schema.GroupVersion
	json  blob
	proto blob
}

// blob is a document built once, on first use.
type blob struct {
	once     sync.Once
	build    func() ([]byte, error)
	data     []byte
	etag     string
	modified time.Time
	err      error
}

func (b *blob) get() *blob {
	b.once.Do(func() {
		b.data, b.err = b.build()
		if b.err == nil {
			b.etag = fmt.Sprintf("%X", sha512.Sum512(b.data))
			b.modified = time.Now()
		}
	})
	return b
}

// New returns a handler for the given resources; it builds nothing yet.
func New(resources []registry.Resource) *Handler {
	h := &Handler{resources: resources, groups: map[string]*groupDoc{}}
	for _, r := range resources {
		key := gvPath(r.GroupVersion())
		if _, ok := h.groups[key]; ok {
			continue
		}
		g := &groupDoc{gv: r.GroupVersion()}
		g.json.build = func() ([]byte, error) { return h.buildGroup(g.gv) }
		g.proto.build = func() ([]byte, error) {
			j := g.json.get()
			if j.err != nil {
				return nil, j.err
			}
			doc, err := openapi_v3.ParseDocument(j.data)
			if err != nil {
				return nil, err
			}
			return proto.Marshal(doc)
		}
		h.groups[key] = g
		h.keys = append(h.keys, key)
	}
	sort.Strings(h.keys)
	h.index.build = h.buildIndex
	h.v2JSON.build = h.buildV2
	h.v2Proto.build = func() ([]byte, error) {
		j := h.v2JSON.get()
		if j.err != nil {
			return nil, j.err
		}
		doc, err := openapi_v2.ParseDocument(j.data)
		if err != nil {
			return nil, err
		}
		return proto.Marshal(doc)
	}
	return h
}

func (h *Handler) servedKinds() map[string][]schema.GroupVersionKind {
	h.kindsOnce.Do(func() { h.kinds = servedKinds(h.resources) })
	return h.kinds
}

func (h *Handler) modelsV3() *models {
	h.v3ModelsOnce.Do(func() { h.v3Models = loadModels(v3Ref, true, h.servedKinds()) })
	return h.v3Models
}

func (h *Handler) modelsV2() *models {
	h.v2ModelsOnce.Do(func() { h.v2Models = loadModels(v2Ref, false, h.servedKinds()) })
	return h.v2Models
}

func (h *Handler) buildGroup(gv schema.GroupVersion) ([]byte, error) {
	return json.Marshal(buildV3(routes(gv, h.resources), h.modelsV3()))
}

func (h *Handler) buildV2() ([]byte, error) {
	var perGV [][]route
	for _, key := range h.keys {
		perGV = append(perGV, routes(h.groups[key].gv, h.resources))
	}
	return json.Marshal(buildV2(perGV, h.modelsV2()))
}

// indexEntry is one group-version in the /openapi/v3 index.
type indexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

func (h *Handler) buildIndex() ([]byte, error) {
	// The index names each document by its hash, so every document is
	// built now; they are independent, so in parallel.
	h.modelsV3()
	var wg sync.WaitGroup
	for _, key := range h.keys {
		wg.Add(1)
		go func(g *groupDoc) {
			defer wg.Done()
			g.json.get()
		}(h.groups[key])
	}
	wg.Wait()
	paths := make(map[string]indexEntry, len(h.keys))
	for _, key := range h.keys {
		b := h.groups[key].json.get()
		if b.err != nil {
			return nil, fmt.Errorf("openapi %s: %w", key, b.err)
		}
		paths[key] = indexEntry{ServerRelativeURL: groupURL(key, b.etag)}
	}
	return json.Marshal(struct {
		Paths map[string]indexEntry `json:"paths"`
	}{paths})
}

func groupURL(key, hash string) string {
	return "/openapi/v3/" + key + "?" + url.Values{"hash": {hash}}.Encode()
}

// ServeHTTP serves every path below /openapi/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s is not supported on %s", r.Method, r.URL.Path))
		return
	}
	switch p := r.URL.Path; {
	case p == "/openapi/v2":
		h.serveV2(w, r)
	case p == "/openapi/v3" || p == "/openapi/v3/":
		h.serveBlob(w, r, &h.index, mediaJSON)
	case strings.HasPrefix(p, "/openapi/v3/"):
		h.serveGroup(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/openapi/v3/"), "/"))
	default:
		notFound(w)
	}
}

func (h *Handler) serveV2(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	switch negotiate(r, mediaJSON, mediaV2Proto, mediaV2ProtoDeprecated) {
	case mediaJSON:
		h.serveBlob(w, r, &h.v2JSON, mediaJSON)
	case mediaV2Proto, mediaV2ProtoDeprecated:
		h.serveBlob(w, r, &h.v2Proto, mediaV2Proto)
	default:
		notAcceptable(w, mediaJSON, mediaV2Proto)
	}
}

func (h *Handler) serveGroup(w http.ResponseWriter, r *http.Request, key string) {
	g, ok := h.groups[key]
	if !ok {
		notFound(w)
		return
	}
	w.Header().Add("Vary", "Accept")
	b, media := &g.json, mediaJSON
	switch negotiate(r, mediaJSON, mediaV3Proto, mediaV3ProtoDeprecated) {
	case mediaJSON:
	case mediaV3Proto, mediaV3ProtoDeprecated:
		b, media = &g.proto, mediaV3Proto
	default:
		notAcceptable(w, mediaJSON, mediaV3Proto)
		return
	}
	if b.get().err != nil {
		h.serveBlob(w, r, b, media) // reports the error
		return
	}
	if hash := r.URL.Query().Get("hash"); hash != "" {
		// The hash names the content, so a document asked for by its
		// current hash never changes; an old hash is sent to the new one.
		current := g.json.get().etag
		if hash != current {
			http.Redirect(w, r, groupURL(key, current), http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	}
	h.serveBlob(w, r, b, media)
}

// serveBlob answers with b, honouring If-None-Match, If-Modified-Since and
// HEAD.
func (h *Handler) serveBlob(w http.ResponseWriter, r *http.Request, b *blob, media string) {
	b.get()
	if b.err != nil {
		writeStatus(w, http.StatusInternalServerError, "InternalError", "building the OpenAPI document failed: "+b.err.Error())
		return
	}
	w.Header().Set("Content-Type", media)
	w.Header().Set("Etag", strconv.Quote(b.etag))
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-cache, private")
	}
	http.ServeContent(w, r, "", b.modified, bytes.NewReader(b.data))
}

// negotiate picks, from the request's Accept header, the first offer it
// accepts, highest quality first; "" if none.
func negotiate(r *http.Request, offers ...string) string {
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	type clause struct {
		media string
		q     float64
	}
	var clauses []clause
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		c := clause{media: strings.ToLower(strings.TrimSpace(fields[0])), q: 1}
		if c.media == "" {
			continue
		}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			if strings.TrimSpace(k) == "q" {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					c.q = q
				}
			}
		}
		if c.q > 0 {
			clauses = append(clauses, c)
		}
	}
	sort.SliceStable(clauses, func(i, j int) bool { return clauses[i].q > clauses[j].q })
	for _, c := range clauses {
		for _, o := range offers {
			typ, _, _ := strings.Cut(o, "/")
			if c.media == o || c.media == "*/*" || c.media == typ+"/*" {
				return o
			}
		}
	}
	return ""
}

func notFound(w http.ResponseWriter) {
	writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
}

func notAcceptable(w http.ResponseWriter, offers ...string) {
	writeStatus(w, http.StatusNotAcceptable, "NotAcceptable", "only the following media types are accepted: "+strings.Join(offers, ", "))
}

// writeStatus answers with a meta.k8s.io Status, as the rest of the API does.
func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", mediaJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]interface{}{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]interface{}{},
		"status": "Failure", "message": message, "reason": reason, "code": code,
	})
}
