package scenario_test

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot/engine/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under bot/engine/testdata/scenarios")

// TestGoldenScenarios runs every bot/engine/testdata/scenarios/*.txt script
// through the real engine, SQLite, the NLU and the simulator transport, and
// compares what happened with the .golden file beside it. Run with -update
// to rewrite them; review the diff like code. The real transports run the
// same scripts against the same files in their own packages.
func TestGoldenScenarios(t *testing.T) {
	for _, file := range scenario.Files(t, "../testdata/scenarios") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			scenario.Golden(t, file, &scenario.Simulator{}, *update)
		})
	}
}
