package web

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed console_text.yaml
var consoleTextYAML []byte

// consoleText holds the console's labels by language ("pt-BR", "en").
var consoleText = mustConsoleText(consoleTextYAML)

// mustConsoleText parses the embedded labels; a broken file is a build
// mistake that the package's tests catch, so it panics at start.
func mustConsoleText(data []byte) map[string]map[string]string {
	var out map[string]map[string]string
	if err := yaml.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("web: console_text.yaml: %v", err))
	}
	if out["pt-BR"] == nil || out["en"] == nil {
		panic("web: console_text.yaml: pt-BR and en are required")
	}
	return out
}
