// Command gen writes the files that the provider command embeds: the provider module's
// schema.json with its version field set, and its terraform-mapping.json, both compacted.
//
// Usage: go run ./gen <provider-module-dir> <version> <out-dir>
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func compact(in string, edit func(map[string]any)) ([]byte, error) {
	raw, err := os.ReadFile(in)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	if edit != nil {
		edit(doc)
	}
	return json.Marshal(doc)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gen <provider-module-dir> <version> <out-dir>")
		os.Exit(2)
	}
	modDir, version, outDir := os.Args[1], os.Args[2], os.Args[3]
	cmdDir := filepath.Join(modDir, "cmd", "pulumi-resource-kubernetes")
	files := []struct {
		in, out string
		edit    func(map[string]any)
	}{
		{"schema.json", "schema-embed.json", func(m map[string]any) { m["version"] = version }},
		{"terraform-mapping.json", "terraform-mapping-embed.json", nil},
	}
	for _, f := range files {
		data, err := compact(filepath.Join(cmdDir, f.in), f.edit)
		if err == nil {
			err = os.WriteFile(filepath.Join(outDir, f.out), data, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
