package reminders_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// Environment of the child process TestSchedulerKilledMidPass starts.
const (
	childDB  = "QUITA_REMINDER_CHILD_DB"
	childNow = "QUITA_REMINDER_CHILD_NOW"
)

// TestReminderChildProcess is not a test: it is the scheduler process
// TestSchedulerKilledMidPass starts and kills. It runs one pass and says
// when it starts, so the parent can kill it in the middle.
func TestReminderChildProcess(t *testing.T) {
	u := os.Getenv(childDB)
	if u == "" {
		t.Skip("helper process of TestSchedulerKilledMidPass")
	}
	now, err := time.Parse(time.RFC3339, os.Getenv(childNow))
	if err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, u, coord.NewMemory(), clock.NewManual(now), 10)
	fmt.Println("pass starting")
	if _, err := in.runner.RunDue(context.Background(), now); err != nil {
		t.Fatal(err)
	}
}

// TestSchedulerKilledMidPass kills the scheduler process (SIGKILL, no
// chance to clean up) in the middle of each day's pass, restarts it and
// checks every step still went out exactly once.
func TestSchedulerKilledMidPass(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			u := freshURL(t, b.Name)
			clk := clock.NewManual(passDays()[0])
			in := newInstance(t, u, coord.NewMemory(), clk, 50)
			invoices := seed(t, in.st, debtorCount())
			killedWith := 0
			for _, d := range passDays() {
				if err := clk.Set(d); err != nil {
					t.Fatal(err)
				}
				before := countSent(t, in)
				killChildMidPass(t, u, d)
				killedWith += countSent(t, in) - before
				if _, err := in.runner.RunDue(context.Background(), clk.Now()); err != nil {
					t.Fatal(err)
				}
				if _, err := in.sender.RunDue(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("the killed passes had logged %d of %d steps", killedWith, invoices*4)
			checkExactlyOnce(t, in.st, invoices)
		})
	}
}

// killChildMidPass starts a scheduler process on rawURL at now and kills
// it a few milliseconds into its pass (or lets it finish, if it is quick).
func killChildMidPass(t *testing.T, rawURL string, now time.Time) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReminderChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDB+"="+rawURL, childNow+"="+now.Format(time.RFC3339))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "pass starting" {
				close(started)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the scheduler process did not start")
	}
	time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

func countSent(t *testing.T, in *instance) int {
	var n int
	if err := in.st.Gorm.Raw("SELECT COUNT(*) FROM reminder_log WHERE kind = 'sent'").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
