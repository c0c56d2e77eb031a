package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quitabot/quita/store/storetest"
)

// exportFixture runs a short conversation with the demo debtor Maria
// through the real service, checks the web PDF on the way, stops the
// service and returns the environment and the conversation id, so the
// export command reads what serve wrote.
func exportFixture(t *testing.T) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "quita.yaml")
	yaml := "company:\n  name: Provedor Conexão Ltda.\n  document: 11.222.333/0001-81\n  contact_phone: (11) 4000-1234\n"
	if err := os.WriteFile(policyFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_CONFIG": policyFile}
	q := startQuita(t, env, "--demo")
	var r inboundResp
	for i, text := range []string{"<b>oi</b>, quanto eu devo? & obrigado", "1", "já paguei ontem, não devo mais nada"} {
		if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": text, "id": "x" + string(rune('1'+i))}, &r); st != 200 {
			t.Fatalf("inbound %q: %d", text, st)
		}
	}

	req, _ := http.NewRequest("GET", q.base+"/v1/conversations/"+r.ConversationID+"/transcript?format=pdf", nil)
	req.Header.Set("Authorization", "Bearer "+q.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="transcript-`+r.ConversationID+`.pdf"` {
		t.Fatalf("web pdf: %d %v", resp.StatusCode, resp.Header)
	}
	checkPDF(t, body)
	if code := q.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, q.stderr.String())
	}
	return env, r.ConversationID
}

var pdfStream = regexp.MustCompile(`(?s)stream\n(.*?)\nendstream`)

// checkPDF checks a transcript PDF is whole and, in its decompressed page
// contents, names both parties with the debtor's CPF masked.
func checkPDF(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimRight(data, "\n"), []byte("%%EOF")) {
		t.Fatalf("not a whole PDF: %q…", data[:min(len(data), 20)])
	}
	var content bytes.Buffer
	for _, m := range pdfStream.FindAllSubmatch(data, -1) {
		if zr, err := zlib.NewReader(bytes.NewReader(m[1])); err == nil {
			io.Copy(&content, zr)
		}
	}
	// cp1252, as the PDF's standard fonts draw it: "ã" is 0xE3.
	for _, want := range []string{"Provedor Conex\xe3o Ltda.", "11.222.333/0001-81", "Maria Souza", "***.456.789-**",
		"j\xe1 paguei ontem, n\xe3o devo mais nada", "DEMO-INV-1001", "Cadeia de hashes \xedntegra"} {
		if !bytes.Contains(content.Bytes(), []byte(want)) {
			t.Errorf("PDF does not show %q", want)
		}
	}
	if bytes.Contains(content.Bytes(), []byte("123.456.789-09")) || bytes.Contains(data, []byte("123.456.789-09")) {
		t.Error("PDF shows the debtor's full CPF")
	}
}

// export runs `quita transcript …` as main would.
func export(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"transcript"}, args...), func(k string) string { return env[k] },
		strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTranscriptExport(t *testing.T) {
	env, id := exportFixture(t)
	dir := t.TempDir()

	code, out, stderr := export(env, "export", id, "--format", "json")
	var doc struct {
		Conversation struct{ ID string }
		Entries      []struct {
			Seq        int64
			Hash, Text string
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Conversation.ID != id || len(doc.Entries) < 6 {
		t.Fatalf("json to stdout: %d %q %q", code, out, stderr)
	}

	// Flags before the ID, the format from the file's extension.
	txt := filepath.Join(dir, "t.txt")
	if code, _, stderr := export(env, "export", "-o", txt, id); code != 0 {
		t.Fatalf("txt: %d %s", code, stderr)
	}
	data, _ := os.ReadFile(txt)
	if !strings.Contains(string(data), "Hash chain: valid, ") || !strings.Contains(string(data), "já paguei ontem") {
		t.Fatalf("txt export: %s", data)
	}

	html := filepath.Join(dir, "t.html")
	if code, _, stderr := export(env, "export", "--format=html", id, "--output="+html); code != 0 {
		t.Fatalf("html: %d %s", code, stderr)
	}
	data, _ = os.ReadFile(html)
	if !strings.Contains(string(data), "&lt;b&gt;oi&lt;/b&gt;, quanto eu devo? &amp; obrigado") || strings.Contains(string(data), "<b>oi</b>") {
		t.Fatalf("html export does not escape the debtor's text: %s", data)
	}

	pdf := filepath.Join(dir, "t.pdf")
	if code, _, stderr := export(env, "export", id, "--format", "pdf", "-o", pdf); code != 0 {
		t.Fatalf("pdf: %d %s", code, stderr)
	}
	data, _ = os.ReadFile(pdf)
	checkPDF(t, data)
	if fi, _ := os.Stat(pdf); fi.Mode().Perm() != 0o600 {
		t.Errorf("exported transcript has mode %v, want 0600 (it holds personal data)", fi.Mode().Perm())
	}
	if names, _ := os.ReadDir(dir); len(names) != 3 {
		t.Errorf("export left temporary files behind: %v", names)
	}
}

func TestTranscriptExportFailures(t *testing.T) {
	env, id := exportFixture(t)
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.pdf")
	os.WriteFile(kept, []byte("earlier export"), 0o600)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown id", []string{"export", "nope", "--format", "pdf", "-o", kept}, "conversation nope not found"},
		{"bad format", []string{"export", id, "--format", "doc"}, `unknown format "doc" (use json, txt, html, pdf)`},
		{"missing directory", []string{"export", id, "--format", "pdf", "-o", filepath.Join(dir, "no", "t.pdf")}, "cannot write " + filepath.Join(dir, "no", "t.pdf") + ": no such file or directory"},
		{"directory as file", []string{"export", id, "-o", dir}, "cannot write " + dir + ": is a directory"},
		{"no id", []string{"export", "--format", "pdf"}, "name the conversation"},
		{"two ids", []string{"export", id, "other"}, `unexpected argument "other"`},
		{"flag without value", []string{"export", id, "-o"}, "flag needs an argument: -o"},
		{"unknown flag", []string{"export", id, "--colour", "red"}, "flag provided but not defined: -colour"},
		{"no subcommand", nil, "usage: quita transcript export ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := export(env, tc.args...)
			if code == 0 || !strings.Contains(stderr, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want failure saying %q", code, out, stderr, tc.want)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !strings.HasPrefix(lines[len(lines)-1], "quita: ") {
				t.Fatalf("the reason is not a one-line quita: message: %q", stderr)
			}
		})
	}
	if data, _ := os.ReadFile(kept); string(data) != "earlier export" {
		t.Fatalf("a failed export touched the existing file: %q", data)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Fatalf("failed exports left files behind: %v", names)
	}
	if code, out, _ := export(env, "export", "--help"); code != 0 || !strings.Contains(out, "usage: quita transcript export") {
		t.Fatalf("help: %d %q", code, out)
	}
}
