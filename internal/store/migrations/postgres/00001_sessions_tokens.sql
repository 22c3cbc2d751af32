-- +goose Up
-- scs's postgresstore schema.
CREATE TABLE sessions (
	token TEXT PRIMARY KEY,
	data BYTEA NOT NULL,
	expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- A session's Graph tokens, sealed with AES-GCM; version guards updates.
CREATE TABLE graph_tokens (
	id TEXT PRIMARY KEY,
	sealed BYTEA NOT NULL,
	version BIGINT NOT NULL,
	updated_at BIGINT NOT NULL -- Unix milliseconds
);

-- +goose Down
DROP TABLE graph_tokens;
DROP TABLE sessions;
