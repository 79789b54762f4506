package tainteviction

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestEvictAfter(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	unreachable := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	dedicated := corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}
	for _, tc := range []struct {
		name    string
		tols    []corev1.Toleration
		taints  []corev1.Taint
		want    time.Duration
		bounded bool
	}{
		{"untolerated", nil, []corev1.Taint{unreachable}, 0, true},
		{"tolerated for 300s", []corev1.Toleration{
			{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(300)},
		}, []corev1.Taint{unreachable}, 300 * time.Second, true},
		{"smallest used wins", []corev1.Toleration{
			{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, TolerationSeconds: secs(300)},
			{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", TolerationSeconds: secs(60)},
			{Key: "unused", Operator: corev1.TolerationOpExists, TolerationSeconds: secs(1)},
		}, []corev1.Taint{unreachable, dedicated}, 60 * time.Second, true},
		{"wrong value", []corev1.Toleration{
			{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "web"},
		}, []corev1.Taint{dedicated}, 0, true},
		{"forever", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, []corev1.Taint{unreachable, dedicated}, 0, false},
		{"negative is now", []corev1.Toleration{{Operator: corev1.TolerationOpExists, TolerationSeconds: secs(-5)}}, []corev1.Taint{unreachable}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, bounded := evictAfter(tc.tols, tc.taints)
			if d != tc.want || bounded != tc.bounded {
				t.Errorf("evictAfter = %v, %v; want %v, %v", d, bounded, tc.want, tc.bounded)
			}
		})
	}
}
