// Command pulumi-tfgen-random writes the provider's Pulumi schema.json and bridge-metadata.json
// (run as: pulumi-tfgen-random schema --out DIR). The build runs it before building the provider,
// which embeds both files.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"chatplatform.local/engine/pulumi/random/info"
)

var version = "0.0.0-dev" // set with -ldflags "-X main.version=..."

func main() {
	tfgen.Main("random", info.Provider(version, []byte("{}")))
}
