package agentapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// metrics are the handler's Prometheus metrics, and the engine's counters
// exported beside them. A nil *metrics records nothing.
type metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	rows        *prometheus.CounterVec
	jwtFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, e *engine.Engine) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentlayer_http_requests_total",
			Help: "Requests answered, by endpoint (route pattern), status and outcome (ok, refused, error, canceled, timeout, failed, panic).",
		}, []string{"endpoint", "status", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "agentlayer_http_request_duration_seconds",
			Help:    "Time to answer a request, by endpoint, the whole streamed body included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentlayer_rows_returned_total",
			Help: "Result rows written to clients, by endpoint.",
		}, []string{"endpoint"}),
		jwtFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentlayer_jwt_failures_total",
			Help: "JWTs refused, by reason (every refusal answers the same 401; the reason is here and in the debug log only).",
		}, []string{"reason"}),
	}
	stats := func(f func(engine.Stats) float64) func() float64 {
		return func() float64 { return f(e.Stats()) }
	}
	reg.MustRegister(m.requests, m.latency, m.rows, m.jwtFailures,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_queries_running", Help: "Queries holding one of the engine's slots."},
			stats(func(s engine.Stats) float64 { return float64(s.Running) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_queries_queued", Help: "Queries waiting for a slot."},
			stats(func(s engine.Stats) float64 { return float64(s.Queued) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "agentlayer_queries_overloaded_total", Help: "Queries refused with 503 for want of a slot."},
			stats(func(s engine.Stats) float64 { return float64(s.Overloaded) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_statements_cached", Help: "Prepared statements kept."},
			stats(func(s engine.Stats) float64 { return float64(s.Statements) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "agentlayer_statements_prepared_total", Help: "Statements prepared."},
			stats(func(s engine.Stats) float64 { return float64(s.Prepared) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_users_missing_attributes", Help: "Users seen, since the policies loaded, without an attribute the policy file declares and a rule reads."},
			stats(func(s engine.Stats) float64 { return float64(s.MissingAttributes) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "agentlayer_reloads_total", Help: "Successful reloads of the model and policies."},
			stats(func(s engine.Stats) float64 { return float64(s.Reloads) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "agentlayer_reload_failures_total", Help: "Reloads refused (the previous set kept serving)."},
			stats(func(s engine.Stats) float64 { return float64(s.ReloadFailures) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_model_generation", Help: "The generation of the model and policy set served: 1, then one more per reload."},
			func() float64 { return float64(e.Version().Generation) }),
	)
	return m
}

// observe records one answered request.
func (m *metrics) observe(r *http.Request, status int, outcome string, info *requestInfo, took time.Duration) {
	if m == nil {
		return
	}
	endpoint := r.Pattern
	if endpoint == "" {
		endpoint = "other"
	}
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status), outcome).Inc()
	m.latency.WithLabelValues(endpoint).Observe(took.Seconds())
	if info.counted {
		m.rows.WithLabelValues(endpoint).Add(float64(info.rows))
	}
}

// jwtFailure records why a JWT was refused.
func (m *metrics) jwtFailure(err error) {
	if m == nil {
		return
	}
	reason := auth.ReasonMalformed
	var te *auth.TokenError
	if errors.As(err, &te) {
		reason = te.Reason
	}
	m.jwtFailures.WithLabelValues(reason).Inc()
}
