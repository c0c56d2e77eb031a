package policy

import (
	"reflect"
	"strings"
	"testing"
)

func TestCloudTemplatesParseAndValidate(t *testing.T) {
	base := "company:\n  name: Loja\nwhatsapp:\n  templates:\n"
	cases := []struct {
		name, yaml, wantErr string
		want                map[string]CloudTemplate
	}{
		{"one template", base + "    reminder.overdue:\n      name: lembrete_vencida\n      language: pt_BR\n      params: [first_name, amount]\n",
			"", map[string]CloudTemplate{"reminder.overdue": {Name: "lembrete_vencida", Language: "pt_BR", Params: []string{"first_name", "amount"}}}},
		{"header media", base + "    reminder.notice:\n      name: aviso\n      header_media: true\n",
			"", map[string]CloudTemplate{"reminder.notice": {Name: "aviso", HeaderMedia: true}}},
		{"bad name", base + "    reminder.overdue:\n      name: Lembrete Vencida\n", "whatsapp.templates.reminder.overdue.name", nil},
		{"unknown key", base + "    reminder.overdue:\n      name: ok\n      lang: pt_BR\n", "lang", nil},
		{"not a mapping", base + "    - reminder.overdue\n", "expected keys", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.yaml))
			if err == nil {
				err = p.Validate()
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error about %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.WhatsApp.Templates, c.want) {
				t.Fatalf("templates %+v, want %+v", p.WhatsApp.Templates, c.want)
			}
		})
	}
}
