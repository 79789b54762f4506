package networking

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func policy(mut func(*networkingv1.NetworkPolicy)) *networkingv1.NetworkPolicy {
	port := intstr.FromInt32(80)
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "ns", ResourceVersion: "1", Generation: 1},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}},
			}},
		},
	}
	if mut != nil {
		mut(np)
	}
	return np
}

func TestNetworkPolicyDefault(t *testing.T) {
	st := strats["networkpolicies"]
	np := policy(nil)
	st.Default(np)
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || *np.Spec.Ingress[0].Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("defaults: %v %v", np.Spec.PolicyTypes, np.Spec.Ingress[0].Ports[0].Protocol)
	}
	egress := policy(func(np *networkingv1.NetworkPolicy) { np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}} })
	st.Default(egress)
	if want := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}; !slices.Equal(egress.Spec.PolicyTypes, want) {
		t.Errorf("egress defaults: %v", egress.Spec.PolicyTypes)
	}
}

func TestNetworkPolicyValidate(t *testing.T) {
	icmp := corev1.Protocol("ICMP")
	named := intstr.FromString("http")
	from := func(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicyPeer {
		return &np.Spec.Ingress[0].From[0]
	}
	runValidate(t, "networkpolicies", policy, []validateCase[*networkingv1.NetworkPolicy]{
		{"valid", nil, nil},
		{"bad selector", func(np *networkingv1.NetworkPolicy) { np.Spec.PodSelector.MatchLabels["app"] = "a b" }, []string{"spec.podSelector.matchLabels"}},
		{"bad policy type", func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = []networkingv1.PolicyType{"Sideways"} }, []string{"spec.policyTypes[0]"}},
		{"bad protocol", func(np *networkingv1.NetworkPolicy) { np.Spec.Ingress[0].Ports[0].Protocol = &icmp }, []string{"spec.ingress[0].ports[0].protocol"}},
		{"end before port", func(np *networkingv1.NetworkPolicy) { np.Spec.Ingress[0].Ports[0].EndPort = new(int32(79)) }, []string{"spec.ingress[0].ports[0].endPort"}},
		{"end with named port", func(np *networkingv1.NetworkPolicy) {
			np.Spec.Ingress[0].Ports[0] = networkingv1.NetworkPolicyPort{Port: &named, EndPort: new(int32(90))}
		}, []string{"spec.ingress[0].ports[0].endPort"}},
		{"bad cidr", func(np *networkingv1.NetworkPolicy) { from(np).IPBlock.CIDR = "10.0.0.0/33" }, []string{"spec.ingress[0].from[0].ipBlock.cidr"}},
		{"except outside", func(np *networkingv1.NetworkPolicy) { from(np).IPBlock.Except = []string{"192.168.0.0/16"} }, []string{"spec.ingress[0].from[0].ipBlock.except[0]"}},
		{"except equal", func(np *networkingv1.NetworkPolicy) { from(np).IPBlock.Except = []string{"10.0.0.0/8"} }, []string{"spec.ingress[0].from[0].ipBlock.except[0]"}},
		{"empty peer", func(np *networkingv1.NetworkPolicy) { *from(np) = networkingv1.NetworkPolicyPeer{} }, []string{"spec.ingress[0].from[0]"}},
		{"ipBlock and selector", func(np *networkingv1.NetworkPolicy) { from(np).PodSelector = &metav1.LabelSelector{} }, []string{"spec.ingress[0].from[0]"}},
	})
}

func TestNetworkPolicyGeneration(t *testing.T) {
	st := strats["networkpolicies"]
	next := policy(func(np *networkingv1.NetworkPolicy) { np.Spec.PodSelector = metav1.LabelSelector{} })
	st.PrepareForUpdate(next, policy(nil))
	if next.Generation != 2 {
		t.Errorf("generation %d", next.Generation)
	}
}
