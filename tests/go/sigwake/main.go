// Command sigwake dies of SIGABRT (GOTRACEBACK=crash) while it has asked
// for SIGQUIT with signal.Notify, so that the runtime prints os/signal's
// goroutine in one state and the core holds another: the crash relay's
// SIGQUIT, sent after the goroutine dump, goes to the program (as in caddy)
// and wakes that goroutine, asleep in a system call under signal_recv
// ("syscall" when printed). With GOMAXPROCS=1 the only P stays with the
// crashing thread, so the woken goroutine finds none: it waits on the run
// queue ("runnable" in the core) and its thread parks in stopm under
// exitsyscall0 (exitsyscallNoP from Go 1.26) until the runtime gives up on
// the relay (5 s, 10 s from Go 1.21) and dumps core; from Go 1.26 it stays
// in the system call instead (exitsyscall wedges itself while the freeze's
// sched.stopwait is untouched). The goroutine that waits on the Notify
// channel stays "chan receive".
// tests/integration/go-signal-wake.sh checks what the analyzer makes of it.
// It builds with every Go release from 1.18 on.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	runtime.GOMAXPROCS(1)
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGQUIT)
	go func() {
		<-quit
		os.Exit(3)
	}()
	// let os/signal's goroutine reach signal_recv's sleep and the receiver
	// park
	time.Sleep(100 * time.Millisecond)
	// The SIGABRT hits this thread (the runtime prints the goroutine it
	// interrupted: this one), which keeps the P while it crashes.
	runtime.LockOSThread()
	_ = syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGABRT)
	time.Sleep(60 * time.Second)
}
