package certificates

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
)

// How long finished or forgotten requests are kept, as Kubernetes' CSR
// cleaner keeps them.
const (
	pendingExpiration  = 24 * time.Hour
	finishedExpiration = time.Hour // approved-and-issued, denied, failed
	cleanInterval      = time.Hour
)

// Cleaner deletes requests past their keeping time, every Interval.
type Cleaner struct {
	client kubernetes.Interface
	lister certlisters.CertificateSigningRequestLister
	synced cache.InformerSynced
	log    interface{ Error(string, ...any) }

	// Clock and Interval are test seams.
	Clock    clock.Clock
	Interval time.Duration
}

// NewCleaner builds the CSR cleaner.
func NewCleaner(cc *controllerctx.Context) (controllerctx.Controller, error) {
	csrs := cc.Informers.Certificates().V1().CertificateSigningRequests()
	return &Cleaner{client: cc.Client, lister: csrs.Lister(), synced: csrs.Informer().HasSynced,
		log: cc.Log.With("controller", "csrcleaner"), Clock: clock.RealClock{}, Interval: cleanInterval}, nil
}

// Run sweeps until ctx ends.
func (c *Cleaner) Run(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return nil
	}
	for {
		c.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-c.Clock.After(c.Interval):
		}
	}
}

// Sweep deletes every expired request once.
func (c *Cleaner) Sweep(ctx context.Context) {
	csrs, err := c.lister.List(labels.Everything())
	if err != nil {
		c.log.Error("list csrs", "err", err)
		return
	}
	for _, csr := range csrs {
		if !expired(csr, c.Clock.Now()) {
			continue
		}
		err := c.client.CertificatesV1().CertificateSigningRequests().Delete(ctx, csr.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &csr.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			c.log.Error("delete expired csr", "csr", csr.Name, "err", err)
		}
	}
}

// expired: pending for a day, denied or failed for an hour, issued an
// hour after approval, or holding a certificate that has expired.
func expired(csr *certificatesv1.CertificateSigningRequest, now time.Time) bool {
	if len(csr.Status.Conditions) == 0 && now.Sub(csr.CreationTimestamp.Time) > pendingExpiration {
		return true
	}
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateDenied, certificatesv1.CertificateFailed} {
		if d, ok := sinceUpdate(csr, t, now); ok && d > finishedExpiration {
			return true
		}
	}
	if len(csr.Status.Certificate) == 0 {
		return false
	}
	if d, ok := sinceUpdate(csr, certificatesv1.CertificateApproved, now); ok && d > finishedExpiration {
		return true
	}
	notAfter, err := certificateExpiry(csr.Status.Certificate)
	return err == nil && now.After(notAfter)
}

func certificateExpiry(data []byte) (time.Time, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return time.Time{}, fmt.Errorf("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return time.Time{}, err
	}
	return cert.NotAfter, nil
}
