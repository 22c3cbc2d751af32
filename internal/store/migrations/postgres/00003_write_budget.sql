-- +goose Up
-- Intune allows one app a number of writes per 20 s in a tenant, shared by
-- every instance: each write sent is logged here, and a sender counts the
-- window under a lock on the one write_budget_lock row.
CREATE TABLE write_budget_lock (id INTEGER PRIMARY KEY);
INSERT INTO write_budget_lock (id) VALUES (1);
CREATE TABLE write_budget_sends (
	sent_at BIGINT NOT NULL,
	attempt_id TEXT NOT NULL
);
CREATE INDEX write_budget_sends_at_idx ON write_budget_sends (sent_at);

-- The live state of an attempt that waits for the budget or retries after
-- a 429, so that whichever instance answers a poll can say where it is.
CREATE TABLE attempt_progress (
	attempt_id TEXT PRIMARY KEY,
	state TEXT NOT NULL,
	since BIGINT NOT NULL,
	retry_at BIGINT NOT NULL
);
CREATE INDEX attempt_progress_state_idx ON attempt_progress (state, since);

-- +goose Down
DROP TABLE attempt_progress;
DROP TABLE write_budget_sends;
DROP TABLE write_budget_lock;
