package main

import (
	"flag"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// componentAPIFlags are how a control-plane component run on its own
// (scheduler, controller manager) reaches the API server.
type componentAPIFlags struct {
	kubeconfig *string
	qps        *float64
	burst      *int
}

// addComponentAPIFlags registers --kubeconfig, --kube-api-qps and
// --kube-api-burst. The defaults are what `skiff server` gives its own
// components, not client-go's 5 and 10, which would hold a scheduler to
// five bindings a second.
func addComponentAPIFlags(fs *flag.FlagSet) componentAPIFlags {
	return componentAPIFlags{
		kubeconfig: fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster"),
		qps:        fs.Float64("kube-api-qps", 500, "requests per second to the API server"),
		burst:      fs.Int("kube-api-burst", 1000, "burst of requests to the API server"),
	}
}

// restConfig reads the kubeconfig and speaks protobuf, like Kubernetes'
// components.
func (f componentAPIFlags) restConfig() (*rest.Config, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", *f.kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	rc.QPS, rc.Burst = float32(*f.qps), *f.burst
	return rc, nil
}
