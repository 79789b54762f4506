package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/skiff-sh/skiff/internal/apiserver"
)

func runVersion(args []string) error {
	if len(args) > 0 && (args[0] == "-o=json" || args[0] == "--output=json") {
		return json.NewEncoder(os.Stdout).Encode(apiserver.Version)
	}
	v := apiserver.Version
	fmt.Printf("skiff %s (Kubernetes API %s, %s, %s)\n", v.GitVersion, apiserver.KubernetesVersion, v.GoVersion, v.Platform)
	return nil
}
