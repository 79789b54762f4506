package servicealloc

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Allocator gives Services their ClusterIP and NodePorts and takes them
// back when a Service is deleted or stops needing them.
type Allocator struct {
	IPs   *Range
	Ports *Range
	// IPRangeText and PortRangeText describe the ranges in error messages.
	IPRangeText, PortRangeText string
}

var serviceKind = corev1.SchemeGroupVersion.WithKind("Service").GroupKind()

func owner(svc *corev1.Service) string { return svc.Namespace + "/" + svc.Name }

func wantsClusterIP(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP != corev1.ClusterIPNone
}

func wantsNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// BeforeCreate allocates what a new Service needs. A dry run, as in
// Kubernetes, shows addresses and ports that were free and keeps none.
func (a *Allocator) BeforeCreate(ctx context.Context, obj runtime.Object, dryRun bool) error {
	svc := obj.(*corev1.Service)
	var taken []func()
	err := a.allocate(ctx, svc, nil, &taken)
	if err != nil || dryRun {
		undoAll(taken)
	}
	return err
}

func undoAll(taken []func()) {
	for _, undo := range taken {
		undo()
	}
}

// BeforeUpdate allocates what an updated Service newly needs and releases
// what it no longer uses.
func (a *Allocator) BeforeUpdate(ctx context.Context, obj, old runtime.Object, dryRun bool) error {
	svc, prev := obj.(*corev1.Service), old.(*corev1.Service)
	var taken []func()
	err := a.allocate(ctx, svc, prev, &taken)
	if err != nil || dryRun {
		undoAll(taken)
		return err
	}
	a.releaseUnused(ctx, prev, svc)
	return nil
}

// AfterDelete releases everything the Service held.
func (a *Allocator) AfterDelete(ctx context.Context, obj runtime.Object) {
	a.releaseUnused(ctx, obj.(*corev1.Service), nil)
}

func (a *Allocator) allocate(ctx context.Context, svc, prev *corev1.Service, taken *[]func()) error {
	if wantsClusterIP(svc) && (prev == nil || !wantsClusterIP(prev) || svc.Spec.ClusterIP != prev.Spec.ClusterIP) {
		if err := a.allocateIP(ctx, svc, taken); err != nil {
			return err
		}
	}
	if !wantsNodePorts(svc) {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
		return nil
	}
	held := nodePorts(prev)
	for i := range svc.Spec.Ports {
		if err := a.allocatePort(ctx, svc, i, held, taken); err != nil {
			return err
		}
	}
	return nil
}

func (a *Allocator) allocateIP(ctx context.Context, svc *corev1.Service, taken *[]func()) error {
	o := owner(svc)
	ip := svc.Spec.ClusterIP
	path := field.NewPath("spec", "clusterIPs")
	if ip == "" {
		next, err := a.IPs.AllocateNext(ctx, o)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("allocate ClusterIP: %w", err))
		}
		ip = next
	} else if !a.IPs.Contains(ip) {
		return invalid(svc, field.Invalid(path, []string{ip}, fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, a.IPRangeText)))
	} else if err := a.IPs.Allocate(ctx, ip, o); err != nil {
		return allocError(svc, err, field.Invalid(path, []string{ip}, fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip)))
	}
	*taken = append(*taken, func() { _ = a.IPs.Release(context.Background(), ip, o) })
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip, []string{ip}
	return nil
}

func (a *Allocator) allocatePort(ctx context.Context, svc *corev1.Service, i int, held map[int32]bool, taken *[]func()) error {
	o := owner(svc)
	p := &svc.Spec.Ports[i]
	path := field.NewPath("spec", "ports").Index(i).Child("nodePort")
	if p.NodePort != 0 && held[p.NodePort] {
		return nil
	}
	if p.NodePort == 0 {
		next, err := a.Ports.AllocateNext(ctx, o)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("allocate NodePort: %w", err))
		}
		n, _ := strconv.Atoi(next)
		p.NodePort = int32(n)
	} else {
		v := strconv.Itoa(int(p.NodePort))
		if !a.Ports.Contains(v) {
			return invalid(svc, field.Invalid(path, p.NodePort, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", a.PortRangeText)))
		}
		if err := a.Ports.Allocate(ctx, v, o); err != nil {
			return allocError(svc, err, field.Invalid(path, p.NodePort, "provided port is already allocated"))
		}
	}
	port := strconv.Itoa(int(p.NodePort))
	*taken = append(*taken, func() { _ = a.Ports.Release(context.Background(), port, o) })
	return nil
}

// releaseUnused frees what old holds and next (nil on delete) does not.
func (a *Allocator) releaseUnused(ctx context.Context, old, next *corev1.Service) {
	o := owner(old)
	keepIP := next != nil && wantsClusterIP(next) && next.Spec.ClusterIP == old.Spec.ClusterIP
	if wantsClusterIP(old) && old.Spec.ClusterIP != "" && !keepIP {
		_ = a.IPs.Release(ctx, old.Spec.ClusterIP, o)
	}
	keep := nodePorts(next)
	for p := range nodePorts(old) {
		if !keep[p] {
			_ = a.Ports.Release(ctx, strconv.Itoa(int(p)), o)
		}
	}
}

func nodePorts(svc *corev1.Service) map[int32]bool {
	out := map[int32]bool{}
	if svc == nil {
		return out
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out[p.NodePort] = true
		}
	}
	return out
}

func invalid(svc *corev1.Service, e *field.Error) error {
	return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{e})
}

func allocError(svc *corev1.Service, err error, ifTaken *field.Error) error {
	var taken ErrAllocated
	if errors.As(err, &taken) {
		return invalid(svc, ifTaken)
	}
	return apierrors.NewInternalError(err)
}
