// Package shim exposes the Terraform random provider, whose implementation lives in an internal
// package. Go only lets packages under github.com/terraform-providers/terraform-provider-random
// import it, hence this module's path; the wrapper module replaces it with this directory.
package shim

import (
	tfprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the Terraform Plugin Framework provider for random.
func NewProvider() tfprovider.Provider { return provider.New() }
