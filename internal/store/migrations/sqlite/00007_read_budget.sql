-- +goose Up
-- Intune allows one app 2,000 requests per 20 s in a tenant, shared by every
-- instance. An instance leases a few read slots at a time (one transaction
-- per lease, not per read) and spends them within a second; a lessee sums
-- the leases of the window under a lock on the one read_budget_lock row.
CREATE TABLE read_budget_lock (id INTEGER PRIMARY KEY);
INSERT INTO read_budget_lock (id) VALUES (1);
CREATE TABLE read_budget_leases (
	granted_at BIGINT NOT NULL,
	slots INTEGER NOT NULL
);
CREATE INDEX read_budget_leases_at_idx ON read_budget_leases (granted_at);

-- +goose Down
DROP TABLE read_budget_leases;
DROP TABLE read_budget_lock;
