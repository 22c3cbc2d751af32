-- +goose Up
-- Whom a request was for and on what, by the names Graph gave when the
-- page showed the device: the person (on every route, not only the user's
-- page) and the device's operating system.
ALTER TABLE audit_attempts ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_attempts ADD COLUMN user_upn TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_attempts ADD COLUMN device_os TEXT NOT NULL DEFAULT '';
-- A refused duplicate names the attempt it deferred to; a technician's
-- "Request again" answers one such refusal, once: confirmed_by is the
-- attempt that answer started.
ALTER TABLE audit_attempts ADD COLUMN duplicate_of TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_attempts ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT '';
-- What the device showed after a 204, as the follow-up last saw it.
ALTER TABLE audit_attempts ADD COLUMN session_state TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_attempts ADD COLUMN session_error TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_attempts ADD COLUMN session_at BIGINT;

-- +goose Down
ALTER TABLE audit_attempts DROP COLUMN session_at;
ALTER TABLE audit_attempts DROP COLUMN session_error;
ALTER TABLE audit_attempts DROP COLUMN session_state;
ALTER TABLE audit_attempts DROP COLUMN confirmed_by;
ALTER TABLE audit_attempts DROP COLUMN duplicate_of;
ALTER TABLE audit_attempts DROP COLUMN device_os;
ALTER TABLE audit_attempts DROP COLUMN user_upn;
ALTER TABLE audit_attempts DROP COLUMN user_name;
