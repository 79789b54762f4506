// Package prober runs a container's liveness, readiness and startup
// probes (exec, httpGet, tcpSocket, grpc) and turns their outcomes into a
// result with the probe's thresholds. Tracker is the deterministic core;
// Worker drives it on a clock the caller injects; Run performs one probe.
package prober
