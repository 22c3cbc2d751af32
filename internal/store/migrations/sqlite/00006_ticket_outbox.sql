-- +goose Up
-- Events for the ticket a request came from, written in the transaction
-- that records the outcome, and delivered from here by any instance: the
-- id is the webhook-id, stable across retries; payload is the body, fixed
-- when the event is written. A pending event is due at next_at and taken
-- by one instance at a time until leased_until.
CREATE TABLE ticket_events (
	id TEXT PRIMARY KEY,
	attempt_id TEXT NOT NULL,
	event_type TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	state TEXT NOT NULL,
	tries INTEGER NOT NULL DEFAULT 0,
	next_at BIGINT NOT NULL,
	leased_until BIGINT NOT NULL DEFAULT 0,
	leased_by TEXT NOT NULL DEFAULT '',
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	delivered_at BIGINT
);
CREATE INDEX ticket_events_due_idx ON ticket_events (state, next_at);
CREATE INDEX ticket_events_attempt_idx ON ticket_events (attempt_id, created_at);

-- +goose Down
DROP TABLE ticket_events;
