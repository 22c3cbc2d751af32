package store

import (
	"testing"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
