package main

/*
struct cw_record;
long cw_c_fault(struct cw_record *r);
void cw_c_call_back(int n);
void cw_c_block(void);
*/
import "C"

import "fmt"

//export cwGoCallback
func cwGoCallback(n C.int) {
	panic(fmt.Sprintf("panic in a cgo callback (%d)", int(n)))
}

//go:noinline
func cFault() {
	C.cw_c_fault(nil)
}

//go:noinline
func blockInC() {
	C.cw_c_block()
}

func init() {
	// With cgo the runtime keeps an extra M and never reports a deadlock.
	delete(modes, "deadlock")
	modes.add("cgo-fault", true, func(*waiters) { cFault() })
	modes.add("cgo-callback-panic", true, func(*waiters) { C.cw_c_call_back(7) })
	modes.add("cgo-blocked", true, func(w *waiters) {
		go blockInC()
		settle()
		panicWith("panic while a goroutine is blocked in C")
	})
}
