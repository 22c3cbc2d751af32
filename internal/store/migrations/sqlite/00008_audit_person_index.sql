-- +goose Up
-- A user page that cannot read the person's devices lists their latest
-- requests instead, by UPN whatever its case; the device page does the
-- same by device id (audit_attempts_device_idx).
CREATE INDEX audit_attempts_user_upn_idx ON audit_attempts (LOWER(user_upn), created_at);

-- +goose Down
DROP INDEX audit_attempts_user_upn_idx;
