// Package openapi serves the API's OpenAPI documents as kube-apiserver does:
// /openapi/v2 (Swagger 2.0, JSON or protobuf) and /openapi/v3 (an index of
// group-versions, each an OpenAPI 3.0 document). kubectl reads them to
// validate manifests, to learn whether the server validates fields itself
// (the fieldValidation parameter) and for kubectl explain.
//
// The schemas come from generated/zz_generated.openapi.go, made by
// kube-openapi's openapi-gen from the k8s.io/api types; the paths come from
// the served resources. Every document is built when first asked for and
// then kept, so serving costs nothing at start-up.
package openapi

//go:generate ../../scripts/gen-openapi.sh
