package openapi

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// The media types objects are read and written in, and the patch types.
var (
	objectMedia = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	listMedia   = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"}
	patchMedia  = []string{"application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"}
	// customPatchMedia leaves out strategic merge patches, which custom
	// resources do not take; kubectl reads this to pick its patch type.
	customPatchMedia = patchMedia[:3]
)

const (
	title       = "Kubernetes"
	infoVersion = "unversioned"
)

var responseText = map[int]string{200: "OK", 201: "Created", 202: "Accepted", 401: "Unauthorized"}

func pathParamDescription(name, kind string) string {
	if name == "namespace" {
		return "object name and auth scope, such as for teams and projects"
	}
	return "name of the " + kind
}

func refTo(prefix, model string) spec.Ref {
	return spec.MustCreateRef(prefix + model)
}

// ---- OpenAPI 3.0 ----

const v3Ref = "#/components/schemas/"

// buildV3 writes one group-version's document.
func buildV3(rs []route, m *models) *spec3.OpenAPI {
	doc := &spec3.OpenAPI{
		Version: "3.0.0",
		Info:    &spec.Info{InfoProps: spec.InfoProps{Title: title, Version: infoVersion}},
		Paths:   &spec3.Paths{Paths: make(map[string]*spec3.Path, len(rs))},
		Components: &spec3.Components{
			Schemas: map[string]*spec.Schema{},
			SecuritySchemes: spec3.SecuritySchemes{"BearerToken": &spec3.SecurityScheme{SecuritySchemeProps: spec3.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
			}}},
		},
		SecurityRequirement: []map[string][]string{{"BearerToken": {}}},
	}
	for _, name := range m.closure(roots(rs)) {
		doc.Components.Schemas[name] = m.schemas[name]
	}
	for _, rt := range rs {
		p := &spec3.Path{}
		for _, name := range rt.pathParams {
			p.Parameters = append(p.Parameters, v3Param(name, "path", pathParamDescription(name, rt.kind), "string", true))
		}
		p.Parameters = append(p.Parameters, v3Param("pretty", "query", prettyParam.description, prettyParam.typ, false))
		for _, op := range rt.ops {
			o := v3Operation(op)
			switch op.method {
			case "get":
				p.Get = o
			case "put":
				p.Put = o
			case "post":
				p.Post = o
			case "patch":
				p.Patch = o
			case "delete":
				p.Delete = o
			}
		}
		doc.Paths.Paths[rt.path] = p
	}
	return doc
}

func v3Param(name, in, description, typ string, required bool) *spec3.Parameter {
	return &spec3.Parameter{ParameterProps: spec3.ParameterProps{
		Name: name, In: in, Description: description, Required: required,
		Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{typ}, UniqueItems: true}},
	}}
}

func v3Schema(model string) *spec.Schema {
	return &spec.Schema{SchemaProps: spec.SchemaProps{Ref: refTo(v3Ref, model)}}
}

func v3Operation(op operation) *spec3.Operation {
	o := &spec3.Operation{OperationProps: spec3.OperationProps{
		Tags:        []string{op.tag},
		Description: op.description,
		OperationId: op.id,
		Responses:   &spec3.Responses{ResponsesProps: spec3.ResponsesProps{StatusCodeResponses: map[int]*spec3.Response{}}},
	}}
	for _, name := range op.query {
		q := queryParams[name]
		o.Parameters = append(o.Parameters, v3Param(name, "query", q.description, q.typ, false))
	}
	switch {
	case op.patch:
		content := map[string]*spec3.MediaType{}
		for _, mt := range patchMediaOf(op.gvk) {
			content[mt] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: v3Schema(modelPatch)}}
		}
		o.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{Content: content, Required: true}}
	case op.body != "":
		o.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{
			Content:  map[string]*spec3.MediaType{"*/*": {MediaTypeProps: spec3.MediaTypeProps{Schema: v3Schema(op.body)}}},
			Required: !op.bodyOpt,
		}}
	}
	media := objectMedia
	if op.list {
		media = listMedia
	}
	for _, r := range op.responses {
		content := map[string]*spec3.MediaType{}
		for _, mt := range media {
			content[mt] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: v3Schema(r.model)}}
		}
		o.Responses.StatusCodeResponses[r.code] = &spec3.Response{ResponseProps: spec3.ResponseProps{Description: responseText[r.code], Content: content}}
	}
	o.Responses.StatusCodeResponses[401] = &spec3.Response{ResponseProps: spec3.ResponseProps{Description: responseText[401]}}
	o.VendorExtensible.Extensions = operationExtensions(op)
	return o
}

func operationExtensions(op operation) spec.Extensions {
	if op.action == "" {
		return nil
	}
	e := spec.Extensions{extAction: op.action}
	if !op.gvk.Empty() {
		e[extGVK] = gvkObject(op.gvk)
	}
	return e
}

// ---- Swagger 2.0 ----

const v2Ref = "#/definitions/"

// buildV2 writes the single Swagger document of every group-version.
func buildV2(perGV [][]route, m *models) *spec.Swagger {
	doc := &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        &spec.Info{InfoProps: spec.InfoProps{Title: title, Version: infoVersion}},
		Paths:       &spec.Paths{Paths: map[string]spec.PathItem{}},
		Definitions: spec.Definitions{},
		SecurityDefinitions: spec.SecurityDefinitions{"BearerToken": &spec.SecurityScheme{SecuritySchemeProps: spec.SecuritySchemeProps{
			Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
		}}},
		Security: []map[string][]string{{"BearerToken": {}}},
	}}
	var all []string
	for _, rs := range perGV {
		all = append(all, roots(rs)...)
		for _, rt := range rs {
			item := spec.PathItem{}
			for _, name := range rt.pathParams {
				item.Parameters = append(item.Parameters, v2Param(name, "path", pathParamDescription(name, rt.kind), "string", true))
			}
			item.Parameters = append(item.Parameters, v2Param("pretty", "query", prettyParam.description, prettyParam.typ, false))
			for _, op := range rt.ops {
				o := v2Operation(op)
				switch op.method {
				case "get":
					item.Get = o
				case "put":
					item.Put = o
				case "post":
					item.Post = o
				case "patch":
					item.Patch = o
				case "delete":
					item.Delete = o
				}
			}
			doc.Paths.Paths[rt.path] = item
		}
	}
	for _, name := range m.closure(all) {
		doc.Definitions[name] = *m.schemas[name]
	}
	return doc
}

func v2Param(name, in, description, typ string, required bool) spec.Parameter {
	p := spec.Parameter{ParamProps: spec.ParamProps{Name: name, In: in, Description: description, Required: required}}
	p.Type = typ
	p.UniqueItems = true
	return p
}

func v2Operation(op operation) *spec.Operation {
	o := &spec.Operation{OperationProps: spec.OperationProps{
		Description: op.description,
		ID:          op.id,
		Tags:        []string{op.tag},
		Consumes:    []string{"*/*"},
		Produces:    objectMedia,
		Schemes:     []string{"https"},
		Responses:   &spec.Responses{ResponsesProps: spec.ResponsesProps{StatusCodeResponses: map[int]spec.Response{}}},
	}}
	if op.list {
		o.Produces = listMedia
	}
	for _, name := range op.query {
		q := queryParams[name]
		o.Parameters = append(o.Parameters, v2Param(name, "query", q.description, q.typ, false))
	}
	body := op.body
	if op.patch {
		o.Consumes = patchMediaOf(op.gvk)
		body = modelPatch
	}
	if body != "" {
		o.Parameters = append([]spec.Parameter{{ParamProps: spec.ParamProps{
			Name: "body", In: "body", Required: !op.bodyOpt,
			Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Ref: refTo(v2Ref, body)}},
		}}}, o.Parameters...)
	}
	for _, r := range op.responses {
		o.Responses.StatusCodeResponses[r.code] = spec.Response{ResponseProps: spec.ResponseProps{
			Description: responseText[r.code],
			Schema:      &spec.Schema{SchemaProps: spec.SchemaProps{Ref: refTo(v2Ref, r.model)}},
		}}
	}
	o.Responses.StatusCodeResponses[401] = spec.Response{ResponseProps: spec.ResponseProps{Description: responseText[401]}}
	o.VendorExtensible.Extensions = operationExtensions(op)
	return o
}

// patchMediaOf is the patch media types a kind accepts: custom kinds (of
// groups outside the built-in scheme) take no strategic merge patch.
func patchMediaOf(gvk schema.GroupVersionKind) []string {
	if isCustomGroup(gvk.Group) {
		return customPatchMedia
	}
	return patchMedia
}
