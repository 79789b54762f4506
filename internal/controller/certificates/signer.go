package certificates

import (
	"context"
	"fmt"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/worker"
	"github.com/skiff-sh/skiff/internal/pki"
	regcerts "github.com/skiff-sh/skiff/internal/registry/certificates"
)

// Signer issues certificates for approved requests; its queue holds
// request names.
type Signer struct {
	client  kubernetes.Interface
	lister  certlisters.CertificateSigningRequestLister
	ca      *CA
	pool    worker.Pool
	metrics *metrics

	// Clock dates certificates and conditions; tests replace it.
	Clock clock.PassiveClock
}

// NewSigner builds the signing controller from the CA files of the
// options. Without them it signs nothing, as kube-controller-manager
// skips its signer without --cluster-signing-* files.
func NewSigner(cc *controllerctx.Context) (controllerctx.Controller, error) {
	o := cc.Options
	if o.ClusterSigningCertFile == "" || o.ClusterSigningKeyFile == "" {
		cc.Log.Info("no CSR signing CA given: certificate requests stay unsigned")
		return idle{}, nil
	}
	cert, key, err := pki.LoadCA(o.ClusterSigningCertFile, o.ClusterSigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster signing CA: %w", err)
	}
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	maxTTL := o.ClusterSigningDuration
	if maxTTL <= 0 {
		maxTTL = defaultMaxTTL
	}
	csrs := cc.Informers.Certificates().V1().CertificateSigningRequests()
	s := &Signer{client: cc.Client, lister: csrs.Lister(), ca: &CA{Cert: cert, Key: key, MaxTTL: maxTTL}, metrics: m, Clock: clock.RealClock{}}
	queue := worker.NewQueue("csrsigning")
	if _, err := csrs.Informer().AddEventHandler(worker.KeyHandler(queue.Add)); err != nil {
		return nil, err
	}
	s.pool = worker.Pool{
		Name: "csrsigning", Queue: queue, Sync: s.sync, Workers: o.Workers,
		Synced:  []cache.InformerSynced{csrs.Informer().HasSynced},
		Metrics: m.sync, Log: cc.Log.With("controller", "csrsigning"),
	}
	return s, nil
}

// Run signs requests until ctx ends.
func (s *Signer) Run(ctx context.Context) error { return s.pool.Run(ctx) }

// idle is the signer without a CA.
type idle struct{}

func (idle) Run(ctx context.Context) error { <-ctx.Done(); return nil }

func (s *Signer) sync(ctx context.Context, key string) error {
	csr, found, err := worker.Get(key, func(_, name string) (*certificatesv1.CertificateSigningRequest, error) {
		return s.lister.Get(name)
	})
	if err != nil || !found || !signable(csr) {
		return err
	}
	rules, ok := signers[csr.Spec.SignerName]
	if !ok {
		return nil
	}
	req, err := regcerts.ParseCSR(csr.Spec.Request)
	if err != nil {
		return fmt.Errorf("parse csr %s: %w", csr.Name, err)
	}
	csr = csr.DeepCopy()
	if err := rules(req, csr.Spec.Usages); err != nil {
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue, Reason: "SignerValidationFailure",
			Message: err.Error(), LastUpdateTime: metav1.NewTime(s.Clock.Now()),
		})
		s.metrics.rejected.Inc()
		return s.updateStatus(ctx, csr)
	}
	if csr.Status.Certificate, err = s.ca.Sign(req, csr.Spec.Usages, csr.Spec.ExpirationSeconds, s.Clock.Now()); err != nil {
		return fmt.Errorf("sign csr %s: %w", csr.Name, err)
	}
	s.metrics.signed.Inc()
	return s.updateStatus(ctx, csr)
}

// signable: approved, not failed, no certificate yet.
func signable(csr *certificatesv1.CertificateSigningRequest) bool {
	return len(csr.Status.Certificate) == 0 && hasCondition(csr, certificatesv1.CertificateApproved) &&
		!hasCondition(csr, certificatesv1.CertificateDenied) && !hasCondition(csr, certificatesv1.CertificateFailed)
}

// updateStatus writes; a conflict means a newer version is queued.
func (s *Signer) updateStatus(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) error {
	_, err := s.client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update csr %s status: %w", csr.Name, err)
	}
	return nil
}

func hasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	return condition(csr, t) != nil
}

func condition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) *certificatesv1.CertificateSigningRequestCondition {
	for i, c := range csr.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return &csr.Status.Conditions[i]
		}
	}
	return nil
}

// sinceUpdate is how long ago condition t was last updated; ok is false
// without it.
func sinceUpdate(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType, now time.Time) (time.Duration, bool) {
	c := condition(csr, t)
	if c == nil {
		return 0, false
	}
	return now.Sub(c.LastUpdateTime.Time), true
}
