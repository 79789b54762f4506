package openapi

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// Documents are built on first request and cached until the custom
// resources change (SetCustom); those of built-in group-versions are kept
// across such changes.
type Handler struct {
	builtin       []registry.Resource
	builtinGroups map[string]*groupDoc // by gvPath

	kindsOnce sync.Once
	kinds     map[string][]schema.GroupVersionKind

	v3ModelsOnce, v2ModelsOnce sync.Once
	v3Models, v2Models         *models

	mu  sync.Mutex // serializes SetCustom
	cur atomic.Pointer[docs]
}

// docs is one generation of the documents; only its blobs change, once
// each, when first built.
type docs struct {
	h         *Handler
	resources []registry.Resource // built-in, then custom
	custom    []Custom
	groups    map[string]*groupDoc // by gvPath
	keys      []string             // sorted gvPaths

	v3Once, v2Once sync.Once
	v3, v2         *models

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

// New returns a handler for the given built-in resources; it builds
// nothing yet.
func New(resources []registry.Resource) *Handler {
	h := &Handler{builtin: resources, builtinGroups: map[string]*groupDoc{}}
	for _, r := range resources {
		key := gvPath(r.GroupVersion())
		if _, ok := h.builtinGroups[key]; !ok {
			h.builtinGroups[key] = newGroupDoc(r.GroupVersion(), func(gv schema.GroupVersion) ([]byte, error) {
				return json.Marshal(buildV3(routes(gv, h.builtin), h.modelsV3()))
			})
		}
	}
	h.cur.Store(h.newDocs(nil))
	return h
}

// SetCustom replaces the custom resources the documents describe, as
// their definitions come, change and go; documents are rebuilt on the
// next request.
func (h *Handler) SetCustom(custom []Custom) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur.Store(h.newDocs(custom))
}

func newGroupDoc(gv schema.GroupVersion, build func(schema.GroupVersion) ([]byte, error)) *groupDoc {
	g := &groupDoc{gv: gv}
	g.json.build = func() ([]byte, error) { return build(gv) }
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
	return g
}

func (h *Handler) newDocs(custom []Custom) *docs {
	d := &docs{h: h, resources: slices.Clone(h.builtin), custom: custom, groups: maps.Clone(h.builtinGroups)}
	for _, c := range custom {
		d.resources = append(d.resources, c.Resource)
		// A group-version with custom resources gets a document of its
		// own generation.
		key := gvPath(c.Resource.GroupVersion())
		if g := d.groups[key]; g == nil || g == h.builtinGroups[key] {
			d.groups[key] = newGroupDoc(c.Resource.GroupVersion(), d.buildGroup)
		}
	}
	d.keys = slices.Sorted(maps.Keys(d.groups))
	d.index.build = d.buildIndex
	d.v2JSON.build = d.buildV2
	d.v2Proto.build = func() ([]byte, error) {
		j := d.v2JSON.get()
		if j.err != nil {
			return nil, j.err
		}
		doc, err := openapi_v2.ParseDocument(j.data)
		if err != nil {
			return nil, err
		}
		return proto.Marshal(doc)
	}
	return d
}

func (h *Handler) servedKinds() map[string][]schema.GroupVersionKind {
	h.kindsOnce.Do(func() { h.kinds = servedKinds(h.builtin) })
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

// modelsV3 and modelsV2 are the built-in models plus the custom ones.
func (d *docs) modelsV3() *models {
	d.v3Once.Do(func() { d.v3 = d.h.modelsV3().withCustom(d.custom, v3Ref, true) })
	return d.v3
}

func (d *docs) modelsV2() *models {
	d.v2Once.Do(func() { d.v2 = d.h.modelsV2().withCustom(d.custom, v2Ref, false) })
	return d.v2
}

func (d *docs) buildGroup(gv schema.GroupVersion) ([]byte, error) {
	return json.Marshal(buildV3(routes(gv, d.resources), d.modelsV3()))
}

func (d *docs) buildV2() ([]byte, error) {
	var perGV [][]route
	for _, key := range d.keys {
		perGV = append(perGV, routes(d.groups[key].gv, d.resources))
	}
	return json.Marshal(buildV2(perGV, d.modelsV2()))
}

// indexEntry is one group-version in the /openapi/v3 index.
type indexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

func (d *docs) buildIndex() ([]byte, error) {
	// The index names each document by its hash, so every document is
	// built now; they are independent, so in parallel.
	d.modelsV3()
	var wg sync.WaitGroup
	for _, key := range d.keys {
		wg.Go(func() { d.groups[key].json.get() })
	}
	wg.Wait()
	paths := make(map[string]indexEntry, len(d.keys))
	for _, key := range d.keys {
		b := d.groups[key].json.get()
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
	d := h.cur.Load()
	switch p := r.URL.Path; {
	case p == "/openapi/v2":
		d.serveV2(w, r)
	case p == "/openapi/v3" || p == "/openapi/v3/":
		serveBlob(w, r, &d.index, mediaJSON)
	case strings.HasPrefix(p, "/openapi/v3/"):
		d.serveGroup(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/openapi/v3/"), "/"))
	default:
		notFound(w)
	}
}

func (d *docs) serveV2(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	switch negotiate(r, mediaJSON, mediaV2Proto, mediaV2ProtoDeprecated) {
	case mediaJSON:
		serveBlob(w, r, &d.v2JSON, mediaJSON)
	case mediaV2Proto, mediaV2ProtoDeprecated:
		serveBlob(w, r, &d.v2Proto, mediaV2Proto)
	default:
		notAcceptable(w, mediaJSON, mediaV2Proto)
	}
}

func (d *docs) serveGroup(w http.ResponseWriter, r *http.Request, key string) {
	g, ok := d.groups[key]
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
		serveBlob(w, r, b, media) // reports the error
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
	serveBlob(w, r, b, media)
}

// serveBlob answers with b, honouring If-None-Match, If-Modified-Since and
// HEAD.
func serveBlob(w http.ResponseWriter, r *http.Request, b *blob, media string) {
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
