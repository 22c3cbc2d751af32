-- +goose Up
-- The audit trail of assistance requests. Times are Unix milliseconds (UTC)
-- in both dialects: integers sort and compare the same way everywhere.
-- completed_at is NULL while the attempt is pending.
CREATE TABLE audit_attempts (
	id TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	completed_at INTEGER,
	technician_oid TEXT NOT NULL,
	technician_tid TEXT NOT NULL,
	technician_upn TEXT NOT NULL,
	technician_name TEXT NOT NULL,
	technician_key TEXT NOT NULL,
	target_user TEXT NOT NULL,
	device_id TEXT NOT NULL,
	device_name TEXT NOT NULL,
	route INTEGER NOT NULL,
	fallback_route INTEGER NOT NULL,
	ticket TEXT NOT NULL,
	outcome TEXT NOT NULL,
	refused_reason TEXT NOT NULL,
	graph_status INTEGER NOT NULL,
	graph_error_code TEXT NOT NULL,
	graph_request_id TEXT NOT NULL,
	client_request_id TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	client_ip TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	instance TEXT NOT NULL
);
-- (created_at, id) is the keyset the audit page pages by, newest first.
CREATE INDEX audit_attempts_created_idx ON audit_attempts (created_at, id);
CREATE INDEX audit_attempts_device_idx ON audit_attempts (device_id, created_at);
CREATE INDEX audit_attempts_ticket_idx ON audit_attempts (ticket, created_at);
CREATE INDEX audit_attempts_technician_idx ON audit_attempts (technician_key, created_at);
CREATE INDEX audit_attempts_outcome_idx ON audit_attempts (outcome, created_at);

-- The duplicate guard: one row per device, naming the attempt that last
-- claimed it. The primary key is what lets exactly one of two instances
-- claim a device at the same moment.
CREATE TABLE device_claims (
	device_id TEXT PRIMARY KEY,
	attempt_id TEXT NOT NULL,
	claimed_at INTEGER NOT NULL
);

-- Purges are the only deletion of audit rows, so each is itself recorded.
CREATE TABLE audit_purges (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	purged_at INTEGER NOT NULL,
	instance TEXT NOT NULL,
	cutoff INTEGER NOT NULL,
	rows_deleted INTEGER NOT NULL
);

-- +goose Down
DROP TABLE audit_purges;
DROP TABLE device_claims;
DROP TABLE audit_attempts;
