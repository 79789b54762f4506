package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// NetworkReport is the result of `skiff bench network`, per case.
type NetworkReport struct {
	Cases []NetworkCaseReport `json:"cases"`
}

// NetworkCaseReport holds one case's figures.
type NetworkCaseReport struct {
	Services      int           `json:"services"`
	Endpoints     int           `json:"endpointsPerService"`
	CreateSeconds float64       `json:"createSeconds"`
	FullSync      SyncFigures   `json:"fullSync"`
	Change        ChangeFigures `json:"endpointSliceChange"`
	DNS           []DNSFigures  `json:"dns"`
}

// SyncFigures time the proxy's first full sync.
type SyncFigures struct {
	// TotalMs runs from the start of Proxier.Run (informers listing
	// included) to the whole table written.
	TotalMs float64 `json:"totalMs"`
	// NftMs is the sync alone: building and running the transaction.
	NftMs float64 `json:"nftMs"`
}

// ChangeFigures time an EndpointSlice update until its rules are in the
// kernel: API write, watch, the proxy's batching, the partial sync.
type ChangeFigures struct {
	Changes   int     `json:"changes"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
	SyncP50Ms float64 `json:"partialSyncP50Ms"`
	SyncP99Ms float64 `json:"partialSyncP99Ms"`
}

// DNSFigures are one DNS load: A queries of Service names.
type DNSFigures struct {
	Clients int     `json:"clients"`
	Queries int     `json:"queries"`
	QPS     float64 `json:"queriesPerSecond"`
	P50Ms   float64 `json:"p50Ms"`
	P99Ms   float64 `json:"p99Ms"`
}

// WriteJSON writes the report to path.
func (r *NetworkReport) WriteJSON(path string) error { return writeJSON(path, r) }

// Print writes the report as tables.
func (r *NetworkReport) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "services\tendpoints\tfull sync ms\tof it nft ms\tchange p50 ms\tchange p99 ms\tpartial sync p50 ms\tpartial sync p99 ms\t")
	for _, c := range r.Cases {
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", c.Services, c.Endpoints,
			c.FullSync.TotalMs, c.FullSync.NftMs, c.Change.P50Ms, c.Change.P99Ms, c.Change.SyncP50Ms, c.Change.SyncP99Ms)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "services\tdns clients\tqueries/s\tp50 ms\tp99 ms\t")
	for _, c := range r.Cases {
		for _, d := range c.DNS {
			fmt.Fprintf(tw, "%d\t%d\t%.0f\t%.2f\t%.2f\t\n", c.Services, d.Clients, d.QPS, d.P50Ms, d.P99Ms)
		}
	}
	tw.Flush()
}
