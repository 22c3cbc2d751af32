-- +goose Up
-- Unix milliseconds until which one request, on some instance, is
-- refreshing this token set; the others wait for its result instead of
-- spending the same refresh token in parallel.
ALTER TABLE graph_tokens ADD COLUMN refreshing_until BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE graph_tokens DROP COLUMN refreshing_until;
