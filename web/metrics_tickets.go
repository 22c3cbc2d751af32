package web

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/assistdesk/assistdesk/internal/webhook"
)

var _ webhook.Observer = (*Metrics)(nil)

// ticketMetrics are the series of ticket write-back, registered only when
// it is on (WatchTicketEvents).
type ticketMetrics struct {
	delivered prometheus.Histogram
	retried   prometheus.Counter
	failed    prometheus.Counter
}

// WatchTicketEvents adds the series of ticket write-back: deliveries,
// retries, failures, the time from an outcome to its delivery, and the
// events pending, counted on scrape with pending.
func (m *Metrics) WatchTicketEvents(pending func(context.Context) (int, error)) {
	m.tickets = &ticketMetrics{
		delivered: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "assistdesk_ticket_event_delivery_seconds",
			Help:    "Ticket events delivered, by the time from the outcome to the receiver's 2xx.",
			Buckets: []float64{.1, .5, 1, 2, 5, 15, 60, 300, 900, 3600, 6 * 3600, 24 * 3600},
		}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "assistdesk_ticket_event_retries_total",
			Help: "Ticket event deliveries that will be tried again (timeout, 5xx, 408, 429).",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "assistdesk_ticket_events_failed_total",
			Help: "Ticket events given up: refused by the receiver, or not delivered within 24 h.",
		}),
	}
	m.registry.MustRegister(m.tickets.delivered, m.tickets.retried, m.tickets.failed,
		newCountedGauge("assistdesk_ticket_events_pending", "Ticket events not yet delivered nor given up, all instances together.", pending, time.Now))
}

// TicketEventDelivered records a delivery (webhook.Observer).
func (m *Metrics) TicketEventDelivered(latency time.Duration) {
	if m != nil && m.tickets != nil {
		m.tickets.delivered.Observe(latency.Seconds())
	}
}

// TicketEventRetried records a delivery to try again (webhook.Observer).
func (m *Metrics) TicketEventRetried() {
	if m != nil && m.tickets != nil {
		m.tickets.retried.Inc()
	}
}

// TicketEventFailed records an event given up (webhook.Observer).
func (m *Metrics) TicketEventFailed() {
	if m != nil && m.tickets != nil {
		m.tickets.failed.Inc()
	}
}
