package store_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// TestPartialIndexesServeTheirQueries checks that the outbox's partial
// indexes (migration 0013) are usable by the queries written for them —
// the statements ClaimOutbox and EventDeliveries send — in a generic plan,
// where a parameter proves nothing about a partial index's predicate.
// Without them those reads scan the whole outbox.
func TestPartialIndexesServeTheirQueries(t *testing.T) {
	cases := []struct{ name, sql, index string }{
		{"claimed by token", "SELECT * FROM outbox WHERE claim_token = ? AND claim_token <> '' ORDER BY next_attempt_at, id", "outbox_claim_token"},
		{"events newest first", "SELECT * FROM outbox WHERE kind = 'event' AND id < ? ORDER BY id DESC LIMIT 100", "outbox_event_id"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				plan := explainGeneric(t, st, c.sql)
				if !strings.Contains(plan, c.index) {
					t.Fatalf("plan does not use %s:\n%s", c.index, plan)
				}
			})
		}
	})
}

// explainGeneric is the plan of sql with every "?" a parameter: on
// PostgreSQL a forced generic plan of a prepared statement with sequential
// scans priced out (an empty table would otherwise be scanned, index or
// not); on SQLite, EXPLAIN QUERY PLAN, which never knows parameter values.
func explainGeneric(t *testing.T, st *store.Store, sql string) string {
	t.Helper()
	var lines []string
	if st.Dialect == store.Postgres {
		n := strings.Count(sql, "?")
		pg, types := sql, make([]string, n)
		for i := 1; i <= n; i++ {
			pg = strings.Replace(pg, "?", "$"+string(rune('0'+i)), 1)
			types[i-1] = "text"
		}
		err := st.Gorm.Connection(func(db *gorm.DB) error {
			for _, q := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan",
				"PREPARE plan_probe (" + strings.Join(types, ", ") + ") AS " + pg} {
				if err := db.Exec(q).Error; err != nil {
					return err
				}
			}
			defer db.Exec("DEALLOCATE plan_probe")
			args := strings.TrimSuffix(strings.Repeat("'x', ", n), ", ")
			return db.Raw("EXPLAIN EXECUTE plan_probe (" + args + ")").Scan(&lines).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	rows, err := st.DB.Query("EXPLAIN QUERY PLAN "+sql, make([]any, strings.Count(sql, "?"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// TestPostgresOnlyStatements checks the {{POSTGRES}} migration token: the
// append-only logs keep their foreign keys on SQLite and drop them on
// PostgreSQL (migration 0013).
func TestPostgresOnlyStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var n int64
		q := "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ('transcript_entries', 'reminder_log')"
		want := int64(0)
		if st.Dialect == store.SQLite {
			q = "SELECT (SELECT COUNT(*) FROM pragma_foreign_key_list('transcript_entries')) + (SELECT COUNT(*) FROM pragma_foreign_key_list('reminder_log'))"
			want = 2
		}
		if err := st.Gorm.Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("foreign keys on the logs: %d, want %d", n, want)
		}
	})
}
