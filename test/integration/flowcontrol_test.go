package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func TestFlowControlBootstrap(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	api := c.Client.FlowcontrolV1()
	waitFor(t, func() bool {
		fs, err1 := api.FlowSchemas().List(ctx, metav1.ListOptions{})
		pl, err2 := api.PriorityLevelConfigurations().List(ctx, metav1.ListOptions{})
		return err1 == nil && err2 == nil && len(fs.Items) == 13 && len(pl.Items) == 8 && allFound(fs.Items)
	}, "Kubernetes' 13 flow schemas, found, and 8 priority levels")
	k := newKubectl(t, c)
	pls := k.must("get", "prioritylevelconfigurations")
	for _, want := range []string{
		`NAME\s+TYPE\s+NOMINALCONCURRENCYSHARES\s+QUEUES\s+HANDSIZE\s+QUEUELENGTHLIMIT\s+AGE`,
		`catch-all\s+Limited\s+5\s+<none>\s+<none>\s+<none>\s`,
		`exempt\s+Exempt\s+<none>\s+<none>\s+<none>\s+<none>\s`,
		`global-default\s+Limited\s+20\s+128\s+6\s+50\s`,
	} {
		if !regexp.MustCompile(want).MatchString(pls) {
			t.Errorf("kubectl get prioritylevelconfigurations lacks %q:\n%s", want, pls)
		}
	}
	fss := k.must("get", "flowschemas")
	for _, want := range []string{
		`NAME\s+PRIORITYLEVEL\s+MATCHINGPRECEDENCE\s+DISTINGUISHERMETHOD\s+AGE\s+MISSINGPL`,
		`exempt\s+exempt\s+1\s+<none>\s+\S+\s+False`,
		`kube-scheduler\s+workload-high\s+800\s+ByNamespace\s+\S+\s+False`,
		`catch-all\s+catch-all\s+10000\s+ByUser\s+\S+\s+False`,
	} {
		if !regexp.MustCompile(want).MatchString(fss) {
			t.Errorf("kubectl get flowschemas lacks %q:\n%s", want, fss)
		}
	}

	// A deleted mandatory object comes back; a suggested one the
	// administrator opted out of updates keeps its changes.
	old, err := api.PriorityLevelConfigurations().Get(ctx, "catch-all", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.PriorityLevelConfigurations().Delete(ctx, "catch-all", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		pl, err := api.PriorityLevelConfigurations().Get(ctx, "catch-all", metav1.GetOptions{})
		return err == nil && pl.UID != old.UID
	}, "catch-all restored")
	gd, err := api.PriorityLevelConfigurations().Get(ctx, "global-default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gd.Annotations[fc.AutoUpdateAnnotationKey] = "false"
	*gd.Spec.Limited.NominalConcurrencyShares = 7
	if _, err := api.PriorityLevelConfigurations().Update(ctx, gd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A dangling schema written after the update is reconciled after it:
	// once it reports Dangling, the update above has been seen too.
	mine := apfSchema("dangling", "no-such-level", "nobody")
	if _, err := api.FlowSchemas().Create(ctx, mine, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		fs, err := api.FlowSchemas().Get(ctx, "dangling", metav1.GetOptions{})
		return err == nil && len(fs.Status.Conditions) == 1 && fs.Status.Conditions[0].Status == fc.ConditionTrue
	}, "dangling schema marked Dangling")
	if gd, _ = api.PriorityLevelConfigurations().Get(ctx, "global-default", metav1.GetOptions{}); *gd.Spec.Limited.NominalConcurrencyShares != 7 {
		t.Errorf("global-default shares %d: an opted-out suggested level was reverted", *gd.Spec.Limited.NominalConcurrencyShares)
	}
}

func allFound(items []fc.FlowSchema) bool {
	for _, fs := range items {
		if len(fs.Status.Conditions) == 0 || fs.Status.Conditions[0].Status != fc.ConditionFalse {
			return false
		}
	}
	return true
}

func apfSchema(name, level, user string) *fc.FlowSchema {
	return &fc.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: fc.FlowSchemaSpec{
		PriorityLevelConfiguration: fc.PriorityLevelConfigurationReference{Name: level},
		MatchingPrecedence:         100,
		DistinguisherMethod:        &fc.FlowDistinguisherMethod{Type: fc.FlowDistinguisherMethodByUserType},
		Rules: []fc.PolicyRulesWithSubjects{{
			Subjects:         []fc.Subject{{Kind: fc.SubjectKindUser, User: &fc.UserSubject{Name: user}}},
			NonResourceRules: []fc.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
			ResourceRules:    []fc.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, Namespaces: []string{"*"}, ClusterScope: true}},
		}},
	}}
}

// TestFlowControlRejects fills a one-seat level with a one-request queue
// and checks that the next request of its user gets 429 while another
// user's are served.
func TestFlowControlRejects(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("apf-token,apf-user,2001\nother-token,other-user,2002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	hold := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "held")
	})
	c := testcluster.Start(t, func(cfg *server.Config) {
		cfg.TokenAuthFile = tokens
		// 100 seats: one for a level of 1 share among the bootstrap's 245.
		cfg.MaxRequestsInflight, cfg.MaxMutatingRequestsInflight = 50, 50
		cfg.TestHandlers = map[string]http.Handler{"/apf-hold": hold}
	})
	t.Cleanup(func() { close(release) })
	ctx := context.Background()
	api := c.Client.FlowcontrolV1()
	one := int32(1)
	pl, err := api.PriorityLevelConfigurations().Create(ctx, &fc.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "tiny"}, Spec: fc.PriorityLevelConfigurationSpec{
		Type: fc.PriorityLevelEnablementLimited,
		Limited: &fc.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: &one, LimitResponse: fc.LimitResponse{
			Type: fc.LimitResponseTypeQueue, Queuing: &fc.QueuingConfiguration{Queues: 1, HandSize: 1, QueueLengthLimit: 1},
		}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := api.FlowSchemas().Create(ctx, apfSchema("apf-test", "tiny", "apf-user"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := httpsClient(t, c.Config.CAData)
	waitFor(t, func() bool {
		resp := get(t, hc, c.Config.Host+"/api", "apf-token")
		return resp.StatusCode == http.StatusOK && resp.Header.Get("X-Kubernetes-PF-FlowSchema-UID") == string(fs.UID) &&
			resp.Header.Get("X-Kubernetes-PF-PriorityLevel-UID") == string(pl.UID)
	}, "apf-user's requests classified into apf-test and tiny")

	done := make(chan int, 2)
	holdOne := func() { done <- get(t, hc, c.Config.Host+"/apf-hold", "apf-token").StatusCode }
	go holdOne()
	<-arrived // executing: the level's one seat is taken
	go holdOne()
	waitFor(t, func() bool {
		return strings.Contains(metrics(t, c), `apiserver_flowcontrol_current_inqueue_requests{flow_schema="apf-test",priority_level="tiny"} 1`)
	}, "the second request queued")

	resp := get(t, hc, c.Config.Host+"/api", "apf-token")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || strings.TrimSpace(string(body)) != "Too many requests, please try again later." {
		t.Fatalf("third request: %d Retry-After=%q %q; want 429 with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if got := resp.Header.Get("X-Kubernetes-PF-FlowSchema-UID"); got != string(fs.UID) {
		t.Errorf("rejection names flow schema %q, want %q", got, fs.UID)
	}
	if other := get(t, hc, c.Config.Host+"/api", "other-token"); other.StatusCode != http.StatusOK {
		t.Errorf("another user's request: %d, want 200", other.StatusCode)
	}
	release <- struct{}{}
	<-arrived // the queued request got the seat
	release <- struct{}{}
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Errorf("held request: %d, want 200", code)
		}
	}
	if m := metrics(t, c); !strings.Contains(m, `apiserver_flowcontrol_rejected_requests_total{flow_schema="apf-test",priority_level="tiny",reason="queue-full"} 1`) {
		t.Errorf("no queue-full rejection counted:\n%s", grepLines(m, "apiserver_flowcontrol_rejected"))
	}
}

func httpsClient(t *testing.T, ca []byte) *http.Client {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("bad CA")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// get answers with the body read and closed, kept in resp.Body.
func get(t *testing.T, hc *http.Client, url, token string) *http.Response {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Error(err)
		return &http.Response{Body: io.NopCloser(strings.NewReader(""))}
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

func metrics(t *testing.T, c *testcluster.Cluster) string {
	raw, err := c.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
