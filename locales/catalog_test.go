package locales

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCatalogsHaveTheSameKeysAndPlaceholders(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base := c.Keys(Fallback)
	if len(base) < 10 {
		t.Fatalf("pt-BR catalog has only %d keys", len(base))
	}
	for _, loc := range Supported[1:] {
		if got := c.Keys(loc); !reflect.DeepEqual(got, base) {
			t.Errorf("%s keys differ from pt-BR:\n%v\n%v", loc, got, base)
		}
		for _, k := range base {
			if a, b := c.Placeholders(Fallback, k), c.Placeholders(loc, k); !reflect.DeepEqual(a, b) {
				t.Errorf("%s %s placeholders %v, pt-BR has %v", loc, k, b, a)
			}
		}
	}
}

func TestCollectionMessagesNameTheCreditor(t *testing.T) {
	c, _ := Load()
	for _, loc := range Supported {
		for _, k := range []string{"intro.known", "intro.unknown", "balance.header_one", "balance.header_many", "balance.none"} {
			if !contains(c.Placeholders(loc, k), "company") {
				t.Errorf("%s %s does not name the creditor (CDC art. 42-A)", loc, k)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestText(t *testing.T) {
	c, _ := Load()
	got, err := c.Text("pt_BR", "balance.total", map[string]string{"total": "R$ 10,00"})
	if err != nil || got != "Total em aberto hoje: R$ 10,00" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := c.Text("pt-BR", "balance.total", nil); err == nil || !strings.Contains(err.Error(), "{total}") {
		t.Fatalf("missing placeholder not reported: %v", err)
	}
	if _, err := c.Text("xx", "no.such.key", nil); err == nil {
		t.Fatal("missing key not reported")
	}
	if got, _ := c.Text("fr", "unknown.reply", nil); !strings.HasPrefix(got, "Desculpe") {
		t.Fatalf("unknown locale did not fall back to pt-BR: %q", got)
	}
}

func TestFormatting(t *testing.T) {
	cases := []struct {
		locale string
		cents  int64
		want   string
	}{
		{"pt-BR", 123456, "R$ 1.234,56"},
		{"pt-BR", 5, "R$ 0,05"},
		{"pt-BR", 15990, "R$ 159,90"},
		{"es", 100000000, "R$ 1.000.000,00"},
		{"en", 123456, "R$1,234.56"},
		{"pt-BR", -990, "-R$ 9,90"},
	}
	for _, tc := range cases {
		if got := Money(tc.locale, tc.cents); got != tc.want {
			t.Errorf("Money(%s, %d) = %q, want %q", tc.locale, tc.cents, got, tc.want)
		}
	}
	if got := ShortDate("pt-BR", "2026-11-25"); got != "25/11" {
		t.Errorf("ShortDate = %q", got)
	}
	if got := ShortDate("en", "2026-11-25"); got != "11/25" {
		t.Errorf("ShortDate en = %q", got)
	}
	if got := FullDate("es", "2026-01-05"); got != "05/01/2026" {
		t.Errorf("FullDate = %q", got)
	}
}

func TestLoadRefusesAKeyDefinedTwice(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, loc := range Supported {
		fsys["messages/"+loc+"/a.yaml"] = &fstest.MapFile{Data: []byte("menu:\n  prompt: \"x\"\n")}
		fsys["messages/"+loc+"/b.yaml"] = &fstest.MapFile{Data: []byte("menu:\n  prompt: \"y\"\n")}
	}
	if _, err := LoadFS(fsys); err == nil || !strings.Contains(err.Error(), "menu.prompt is defined twice") {
		t.Fatalf("duplicate key not refused: %v", err)
	}
}
