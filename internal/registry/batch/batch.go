// Package batch holds the strategies of the batch/v1 resources: jobs and
// cronjobs.
package batch

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of the batch group.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"jobs":     jobStrategy{jobBase},
		"cronjobs": cronJobStrategy,
	}
}

var (
	specPath   = field.NewPath("spec")
	statusPath = field.NewPath("status")
)
