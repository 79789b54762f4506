package crd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// stringFormats are the string formats Kubernetes validates in custom
// objects, by their normalized names (dashes removed, as go-openapi
// does: "date-time" is "datetime"). Any other format is ignored, as
// Kubernetes strips it from the schema.
var stringFormats = sets.New("bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac",
	"uuid", "uuid3", "uuid4", "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor",
	"byte", "password", "date", "duration", "datetime", "k8sshortname", "k8slongname")

// validateFormat checks a string against its schema's format, with
// Kubernetes' message: "spec.email in body must be of type email: \"x\"".
func validateFormat(str string, s *Schema, path *field.Path) field.ErrorList {
	if s.Format == "" || (s.Type != "" && s.Type != "string") {
		return nil
	}
	name := strings.ReplaceAll(s.Format, "-", "")
	if !stringFormats.Has(name) || formatValid(name, str) {
		return nil
	}
	return field.ErrorList{field.TypeInvalid(path, str, fmt.Sprintf("%s in body must be of type %s: %q", path, s.Format, str))}
}

func formatValid(name, str string) bool {
	switch name {
	case "k8sshortname":
		return len(validation.IsDNS1123Label(str)) == 0
	case "k8slongname":
		return len(validation.IsDNS1123Subdomain(str)) == 0
	}
	return strfmt.Default.Validates(name, str)
}
