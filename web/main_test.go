package web_test

import (
	"testing"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster the instance tests start.
func TestMain(m *testing.M) { pgtest.Main(m) }
