package main

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/static"
)

// inboxPath is the demo's ticket inbox: the receiver the demo's portal
// writes its ticket events to (POST), and the page that shows them (GET).
const inboxPath = "/demo/tickets"

// inbox is a ticket system's receiver, as a newcomer to the demo sees it:
// it checks each event's signature with the Standard Webhooks library,
// takes a delivery it has seen (same webhook-id) only once, and lists the
// latest events.
type inbox struct {
	verifier *standardwebhooks.Webhook

	mu       sync.Mutex
	received []inboxEvent // newest first
}

type inboxEvent struct {
	ID         string
	At         time.Time
	Deliveries int
	Event      audit.Event
}

// keepEvents is how many events the inbox remembers.
const keepEvents = 200

func newInbox(secret string) (*inbox, error) {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return &inbox{verifier: v}, nil
}

func (b *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b.receive(w, r)
		return
	}
	b.mu.Lock()
	events := slices.Clone(b.received)
	b.mu.Unlock()
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = inboxPage.Execute(w, struct {
		CSS    string
		Events []inboxEvent
	}{static.Path("app.css"), events})
}

func (b *inbox) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if err := b.verifier.Verify(body, r.Header); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var e audit.Event
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	id := r.Header.Get(standardwebhooks.HeaderWebhookID)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.received {
		if b.received[i].ID == id {
			b.received[i].Deliveries++
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	b.received = slices.Insert(b.received, 0, inboxEvent{ID: id, At: time.Now(), Deliveries: 1, Event: e})
	b.received = b.received[:min(len(b.received), keepEvents)]
	w.WriteHeader(http.StatusNoContent)
}

var inboxPage = template.Must(template.New("inbox").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="3">
<title>Ticket inbox · assistdesk demo</title>
<link rel="stylesheet" href="{{.CSS}}">
</head>
<body>
<header class="topbar"><nav class="areas"><a class="brand" href="/">assist<span>desk</span></a></nav></header>
<main class="wide">
<h1>Ticket inbox (demo)</h1>
<p class="lead">What a ticket system receives from the portal: one event per outcome of a request made from a ticket (<code>?ticket=INC-1</code>), and later what the device showed. Each one's Standard Webhooks signature is checked with the specification's Go library. This page refreshes itself.</p>
{{if not .Events}}<p class="notice" data-testid="inbox-empty">Nothing yet. Open a user with <code>?ticket=INC-1</code> in the address and request assistance.</p>{{else}}
<div class="table-wrap"><table class="attempts" data-testid="inbox">
<thead><tr><th scope="col">Received</th><th scope="col">Ticket</th><th scope="col">Event</th><th scope="col">Device</th><th scope="col">Person</th><th scope="col">Technician</th><th scope="col">Graph</th><th scope="col">webhook-id</th></tr></thead>
<tbody>{{range .Events}}<tr data-testid="inbox-event" data-type="{{.Event.Type}}">
<td class="small nowrap">{{.At.UTC.Format "15:04:05 UTC"}}</td>
<td><span class="ticket">{{.Event.Data.Ticket}}</span></td>
<td>{{.Event.Type}}{{with .Event.Data.Session}}{{with .Error}}<div class="small">{{.}}</div>{{end}}{{end}}</td>
<td>{{.Event.Data.Device.Name}}</td>
<td>{{.Event.Data.User.Name}}</td>
<td>{{.Event.Data.Technician.Name}}</td>
<td class="small">{{if .Event.Data.Graph.Status}}HTTP {{.Event.Data.Graph.Status}} {{.Event.Data.Graph.ErrorCode}}{{end}}</td>
<td class="mono small">{{.ID}}{{if gt .Deliveries 1}} (delivered {{.Deliveries}}×){{end}}</td>
</tr>{{end}}</tbody></table></div>{{end}}
</main>
</body>
</html>
`))
