// Package quita_test holds the architecture rules of design.md as a test:
// which packages may import which, so a shortcut across layers fails CI.
package quita_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/quitabot/quita"

// imports maps each package directory to the imports of its non-test files.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			out[dir] = append(out[dir], strings.Trim(imp.Path.Value, `"`))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isStdlib(path string) bool { return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") }

func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		name    string
		applies func(dir string) bool
		allowed func(imp string) bool
	}{
		{"bot is the stdlib-only leaf", func(d string) bool { return d == "bot" }, isStdlib},
		{"flows are pure: bot, its pure policy and pix packages, and stdlib only", func(d string) bool { return d == "flows" },
			func(i string) bool {
				return isStdlib(i) || i == module+"/bot" || i == module+"/bot/policy" || i == module+"/bot/pix"
			}},
		{"fiber only in web", func(d string) bool { return d != "web" },
			func(i string) bool { return !strings.HasPrefix(i, "github.com/gofiber/") }},
		{"gorm only in store", func(d string) bool { return !strings.HasPrefix(d, "store") },
			func(i string) bool { return !strings.HasPrefix(i, "gorm.io/") }},
		{"go-redis only in store/coord", func(d string) bool { return d != "store/coord" },
			func(i string) bool { return !strings.HasPrefix(i, "github.com/redis/") }},
		{"whatsmeow only in its transport", func(d string) bool { return d != "bot/transport/whatsapp" },
			func(i string) bool { return !strings.HasPrefix(i, "go.mau.fi/whatsmeow") }},
		{"locales depend on nothing of Quita", func(d string) bool { return d == "locales" },
			func(i string) bool { return !strings.HasPrefix(i, module) }},
		{"nothing imports cmd or web but cmd", func(d string) bool { return !strings.HasPrefix(d, "cmd") },
			func(i string) bool { return !strings.HasPrefix(i, module+"/cmd") && (i != module+"/web") }},
	}
	for dir, imps := range imports(t) {
		for _, r := range rules {
			if !r.applies(dir) {
				continue
			}
			for _, imp := range imps {
				if !r.allowed(imp) {
					t.Errorf("%s imports %s: %s", dir, imp, r.name)
				}
			}
		}
	}
}
