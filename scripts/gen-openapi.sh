#!/usr/bin/env bash
# Regenerates internal/openapi/generated/zz_generated.openapi.go: the OpenAPI
# definitions of every API type skiff serves, made by kube-openapi's
# openapi-gen at the version go.mod pins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="$(go list -m -f '{{.Version}}' k8s.io/kube-openapi)"
header="$(mktemp)"
trap 'rm -f "$header"' EXIT
: >"$header"

pkgs=(
	k8s.io/api/core/v1
	k8s.io/api/apps/v1
	k8s.io/api/batch/v1
	k8s.io/api/autoscaling/v1
	k8s.io/api/autoscaling/v2
	k8s.io/api/coordination/v1
	k8s.io/api/discovery/v1
	k8s.io/api/networking/v1
	k8s.io/api/rbac/v1
	k8s.io/api/storage/v1
	k8s.io/api/policy/v1
	k8s.io/api/scheduling/v1
	# batch/v1 Job's schedulingGroup refers to these Workload types.
	k8s.io/api/scheduling/v1alpha3
	k8s.io/api/events/v1
	k8s.io/api/flowcontrol/v1
	k8s.io/api/authentication/v1
	k8s.io/api/certificates/v1
	k8s.io/api/admissionregistration/v1
	k8s.io/api/node/v1
	k8s.io/api/authorization/v1
	k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1
	k8s.io/apimachinery/pkg/apis/meta/v1
	k8s.io/apimachinery/pkg/api/resource
	k8s.io/apimachinery/pkg/util/intstr
	k8s.io/apimachinery/pkg/runtime
	k8s.io/apimachinery/pkg/version
)

# The k8s.io packages live in the read-only module cache and already carry
# their zz_generated.model_name.go files, so no model-name files are written.
# API rule violations of upstream types are not ours to fix: discard them.
go run "k8s.io/kube-openapi/cmd/openapi-gen@${version}" \
	--go-header-file "$header" \
	--output-dir internal/openapi/generated \
	--output-pkg github.com/skiff-sh/skiff/internal/openapi/generated \
	--output-file zz_generated.openapi.go \
	--report-filename /dev/null \
	"${pkgs[@]}"

gofmt -w internal/openapi/generated/zz_generated.openapi.go
