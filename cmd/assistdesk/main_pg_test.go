package main

import (
	"testing"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster the crash test starts.
func TestMain(m *testing.M) { pgtest.Main(m) }
