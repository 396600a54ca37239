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
	reg.MustRegister(m.requests, m.latency, m.rows, m.jwtFailures, engineCollector{e})
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

// engineMetric is one of the engine's counters, exported as a metric.
type engineMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(engine.Stats, engine.Version) float64
}

func gauge(name, help string, v func(engine.Stats, engine.Version) float64) engineMetric {
	return engineMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.GaugeValue, v}
}

func counter(name, help string, v func(engine.Stats, engine.Version) float64) engineMetric {
	return engineMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.CounterValue, v}
}

// engineMetrics are the engine's counters, read once per scrape.
var engineMetrics = []engineMetric{
	gauge("agentlayer_queries_running", "Queries holding one of the engine's slots.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Running) }),
	gauge("agentlayer_queries_queued", "Queries waiting for a slot.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Queued) }),
	counter("agentlayer_queries_overloaded_total", "Queries refused with 503 for want of a slot.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Overloaded) }),
	gauge("agentlayer_statements_cached", "Prepared statements kept.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Statements) }),
	counter("agentlayer_statements_prepared_total", "Statements prepared.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Prepared) }),
	gauge("agentlayer_users_missing_attributes", "Users seen, since the policies loaded, without an attribute the policy file declares and a rule reads.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.MissingAttributes) }),
	counter("agentlayer_reloads_total", "Successful reloads of the model and policies.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Reloads) }),
	counter("agentlayer_reload_failures_total", "Reloads refused (the previous set kept serving).",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.ReloadFailures) }),
	gauge("agentlayer_cache_entries", "Answers the result cache keeps.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Cache.Entries) }),
	gauge("agentlayer_cache_bytes", "Memory the result cache's answers take, estimated.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Cache.Bytes) }),
	counter("agentlayer_cache_hits_total", "Answers served from the result cache.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Cache.Hits) }),
	counter("agentlayer_cache_misses_total", "Answers computed and offered to the result cache.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Cache.Misses) }),
	counter("agentlayer_cache_evictions_total", "Answers dropped from the result cache for room.",
		func(s engine.Stats, _ engine.Version) float64 { return float64(s.Cache.Evictions) }),
	gauge("agentlayer_model_generation", "The generation of the model and policy set served: 1, then one more per reload.",
		func(_ engine.Stats, v engine.Version) float64 { return float64(v.Generation) }),
}

// engineCollector exports engineMetrics from one reading of the engine's
// counters per scrape.
type engineCollector struct{ e *engine.Engine }

func (engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range engineMetrics {
		ch <- m.desc
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	s, v := c.e.Stats(), c.e.Version()
	for _, m := range engineMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(s, v))
	}
}
