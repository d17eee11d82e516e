// coreprobe: a Go program that dies with a fatal panic after starting a
// few goroutines, for the core/exe/memory matrix test
// (tests/integration/core-go-matrix.sh). Run with GOTRACEBACK=crash.
package main

import (
	"os"
	"time"
)

var tag = "dev"

func worker(c chan int) { <-c }

func main() {
	c := make(chan int)
	for i := 0; i < 4; i++ {
		go worker(c)
	}
	time.Sleep(20 * time.Millisecond)
	var m map[string]int
	if len(os.Args) > 5 {
		m = map[string]int{}
	}
	m[tag] = 1
}
