package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/apiserver"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

// discoveryTimeout bounds one discovery check, as Kubernetes' 5s.
const discoveryTimeout = 5 * time.Second

// checkAll sets the Available condition of every APIService: Local ones
// always True; the others from their Service, EndpointSlices and a
// discovery request, each ProbeInterval or when the endpoint or the
// APIService changed. It then publishes what the proxy and discovery use.
func (a *Aggregator) checkAll(ctx context.Context) error {
	list, err := a.list(ctx)
	if err != nil {
		return err
	}
	next := map[schema.GroupVersion]*remote{}
	for i := range list {
		svc := &list[i]
		cond := apiregv1.APIServiceCondition{Type: apiregv1.Available, Status: apiregv1.ConditionTrue, Reason: reasonLocal, Message: localMessage}
		if svc.Spec.Service != nil {
			r := a.checkRemote(ctx, svc)
			next[schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}] = r
			cond = r.condition
		}
		if err := a.setCondition(ctx, svc, cond); err != nil && ctx.Err() == nil {
			a.cfg.Log.Warn("APIService status", "name", svc.Name, "err", err)
		}
	}
	a.publish(next)
	return nil
}

// checkRemote returns the state of an extension server: the previous one
// when it is recent and nothing changed, else a new check's.
func (a *Aggregator) checkRemote(ctx context.Context, svc *apiregv1.APIService) *remote {
	gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
	a.mu.RLock()
	prev := a.remotes[gv]
	a.mu.RUnlock()
	endpoint, resolveErr := a.resolve(ctx, svc.Spec.Service)
	sameSpec := prev != nil && prev.service.UID == svc.UID && equality.Semantic.DeepEqual(prev.service.Spec, svc.Spec)
	if sameSpec && prev.endpoint == endpoint && time.Since(prev.lastProbe) < a.cfg.ProbeInterval {
		return prev
	}
	r := &remote{service: *svc.DeepCopy(), endpoint: endpoint, lastProbe: time.Now(), rv: apiserver.RemoteVersion{GroupVersion: gv}}
	if sameSpec {
		r.transport, r.rv.Resources = prev.transport, prev.rv.Resources
	} else {
		r.transport = a.transport(svc.Spec)
	}
	var re *resolveError
	switch {
	case errors.As(resolveErr, &re):
		r.condition = unavailable(re.reason, re.message)
	case resolveErr != nil:
		r.condition = unavailable(reasonFailedDiscovery, resolveErr.Error())
	default:
		url := "https://" + endpoint + "/apis/" + gv.Group + "/" + gv.Version
		resources, err := a.discover(ctx, r.transport, url)
		if err != nil {
			r.condition = unavailable(reasonFailedDiscovery, fmt.Sprintf("failing or missing response from %s: %v", url, err))
			break
		}
		r.rv.Resources, r.available = resources, true
		r.condition = apiregv1.APIServiceCondition{Type: apiregv1.Available, Status: apiregv1.ConditionTrue, Reason: reasonPassed, Message: "all checks passed"}
	}
	r.rv.Stale = !r.available && r.rv.Resources != nil
	return r
}

func unavailable(reason, message string) apiregv1.APIServiceCondition {
	return apiregv1.APIServiceCondition{Type: apiregv1.Available, Status: apiregv1.ConditionFalse, Reason: reason, Message: message}
}

// discover asks the extension server for its resource list as the
// aggregator's own identity (system:kube-aggregator in system:masters).
// A status outside 2xx is an error; an unreadable list is not, and gives nil.
func (a *Aggregator) discover(ctx context.Context, rt http.RoundTripper, url string) (*metav1.APIResourceList, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(headerUser, "system:kube-aggregator")
	req.Header.Set(headerGroup, "system:masters")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("bad status from %s: %d", url, resp.StatusCode)
	}
	list := &metav1.APIResourceList{}
	if err := json.Unmarshal(body, list); err != nil {
		// Kubernetes' check passes on any 2xx; discovery just lacks it.
		a.cfg.Log.Debug("extension server discovery", "url", url, "err", err)
		return nil, nil
	}
	return list, nil
}

// setCondition writes cond as the Available condition when it differs,
// keeping the transition time while the status stays.
func (a *Aggregator) setCondition(ctx context.Context, svc *apiregv1.APIService, cond apiregv1.APIServiceCondition) error {
	if c := svc.Status.Condition(apiregv1.Available); c != nil && c.Status == cond.Status && c.Reason == cond.Reason && c.Message == cond.Message {
		return nil
	}
	st := a.cfg.APIServices
	_, _, err := st.Update(ctx, "", svc.Name, "status", func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(st.GroupResource(), svc.Name)
		}
		next := cur.(*apiregv1.APIService).DeepCopy()
		cond.LastTransitionTime = metav1.Now()
		if c := next.Status.Condition(apiregv1.Available); c != nil {
			if c.Status == cond.Status {
				cond.LastTransitionTime = c.LastTransitionTime
			}
			*c = cond
		} else {
			next.Status.Conditions = append(next.Status.Conditions, cond)
		}
		return next, nil
	}, false)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted or changed meanwhile: the next tick sees it
	}
	return err
}

// publish makes next what the proxy and discovery use, bumping the
// generation when discovery would change.
func (a *Aggregator) publish(next map[schema.GroupVersion]*remote) {
	a.mu.Lock()
	defer a.mu.Unlock()
	changed := len(next) != len(a.remotes)
	for gv, r := range next {
		if p := a.remotes[gv]; p == nil || p.rv.Resources != r.rv.Resources || p.rv.Stale != r.rv.Stale {
			changed = true
		}
	}
	for gv, p := range a.remotes {
		if r := next[gv]; r == nil || r.transport != p.transport {
			p.transport.CloseIdleConnections()
		}
	}
	a.remotes = next
	if changed {
		a.gen++
	}
}
