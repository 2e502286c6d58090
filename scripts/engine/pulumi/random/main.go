// Command pulumi-resource-random serves the Pulumi random provider (the Terraform random
// provider through the Pulumi Terraform bridge).
//
// It embeds schema.json and bridge-metadata.json, which ./tfgen generates;
// scripts/engine/build.sh runs it next to a copy of this file before building, so neither is
// committed.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"chatplatform.local/engine/pulumi/random/info"
)

var version = "0.0.0-dev" // set with -ldflags "-X main.version=..."

//go:embed schema.json
var schemaJSON []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	// tfgen leaves the version out of schema.json; the published provider fills it in.
	var spec map[string]any
	if err := json.Unmarshal(schemaJSON, &spec); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-random: bad embedded schema:", err)
		os.Exit(1)
	}
	spec["version"] = version
	schema, err := json.Marshal(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-random:", err)
		os.Exit(1)
	}
	pf.Main(context.Background(), "random", info.Provider(version, bridgeMetadata),
		pf.ProviderMetadata{PackageSchema: schema})
}
