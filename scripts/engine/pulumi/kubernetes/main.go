// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider.
//
// The upstream command embeds schema-embed.json and terraform-mapping-embed.json, which its
// Makefile generates from the module's schema.json (with the version filled in) and
// terraform-mapping.json. scripts/engine/build.sh generates them next to a copy of this file
// (see ./gen) before building, so they are not committed.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
