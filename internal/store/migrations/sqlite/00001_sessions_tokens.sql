-- +goose Up
-- scs's sqlite3store schema: expiry is a Julian day number.
CREATE TABLE sessions (
	token TEXT PRIMARY KEY,
	data BLOB NOT NULL,
	expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expiry);

-- A session's Graph tokens, sealed with AES-GCM; version guards updates.
CREATE TABLE graph_tokens (
	id TEXT PRIMARY KEY,
	sealed BLOB NOT NULL,
	version INTEGER NOT NULL,
	updated_at INTEGER NOT NULL -- Unix milliseconds
);

-- +goose Down
DROP TABLE graph_tokens;
DROP TABLE sessions;
