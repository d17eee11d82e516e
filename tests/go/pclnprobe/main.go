// pclnprobe: test input for crashwatch's pclntab reader. It prints, for
// the pcs runtime.Callers returns at a few deep, inlined call sites, the
// frame the Go runtime itself resolves for each pc:
//
//	base <hex runtime entry of main.main>
//	stack <name>
//	F <hex pc> <function>\t<file>:<line>
//
// (one F line per pc, from runtime.CallersFrames on that single pc).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

type Number interface{ ~int | ~int64 | ~float64 }

type box struct{ n int }

func (b *box) grow(k int) int { b.n += k; return dump("method", b.n) }

func (b box) peek() int { return dump("value-method", b.n) }

var sink int

func dump(tag string, v int) int {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	fmt.Printf("stack %s\n", tag)
	for _, pc := range pcs[:n] {
		fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		fmt.Printf("F %x %s\t%s:%d\n", pc, fr.Function, fr.File, fr.Line)
	}
	return v + n
}

func leaf(x int) int { return dump("inline", x*3) }

func mid(x int) int { return leaf(x+1) + 1 }

func outer(x int) int { return mid(x*2) - 1 }

func Sum[T Number](xs []T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	dump("generic", int(s))
	return s
}

func Apply[T any, U any](x T, f func(T) U) U { return f(x) }

//go:noinline
func notInlined(x int) int { return outer(x) + 7 }

func deep(n int) int {
	if n == 0 {
		return notInlined(n)
	}
	return deep(n-1) + 1
}

func main() {
	fmt.Printf("base %x\n", runtime.FuncForPC(funcPC()).Entry())
	sink += notInlined(3)
	sink += outer(5)
	sink += int(Sum([]float64{1, 2.5}))
	sink += Sum([]int{1, 2, 3})
	sink += len(Apply(4, func(i int) string { dump("closure", i); return strings.Repeat("x", i) }))
	b := &box{}
	sink += b.grow(2)
	sink += b.peek()
	sink += deep(3)
	if len(os.Args) > 1 && os.Args[1] == "segv" {
		var b *box
		segvOuter(b)
	}
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		// run with GOTRACEBACK=crash and ulimit -c unlimited: writes a core
		// and prints every goroutine, blocked ones inside inlined calls
		ch := make(chan int)
		ready := make(chan bool)
		for i := 0; i < 3; i++ {
			go func() { ready <- true; sink += blockOuter(ch) }()
			<-ready
		}
		go Wait[string](ch, ready)
		<-ready
		runtime.Gosched()
		crashOuter(sink)
	}
	if sink == 0 {
		os.Exit(1)
	}
}

func blockLeaf(ch chan int) int { return <-ch + 1 }

func blockMid(ch chan int) int { return blockLeaf(ch) * 2 }

func blockOuter(ch chan int) int { return blockMid(ch) - 3 }

func Wait[T any](ch chan int, ready chan bool) {
	ready <- true
	sink += blockMid(ch)
}

func crashLeaf(v int) {
	panic(fmt.Sprintf("pclnprobe crash %d", v))
}

func segvLeaf(b *box) { sink += b.n }

func segvMid(b *box) { segvLeaf(b); sink++ }

//go:noinline
func segvOuter(b *box) { segvMid(b); sink-- }

func crashMid(v int) { crashLeaf(v + 1) }

func crashOuter(v int) { crashMid(v * 2) }

//go:noinline
func funcPC() uintptr {
	pc, _, _, _ := runtime.Caller(1)
	return pc
}
