// Command typenames prints, for a set of values of many kinds, the
// address of each value's type descriptor (the eface type word), its kind,
// whether it implements error, and reflect's name for the type, then
// panics so that GOTRACEBACK=crash leaves a core. tests/integration/
// go-types.sh checks crashwatch's type-name decoding against these lines.
package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"unsafe"
)

type statusCode int
type reason string
type celsius float32
type incident struct {
	id   int
	what string
}
type quotaError struct{ user string }

func (e *quotaError) Error() string { return "quota " + e.user }

type Box[T any] struct{ v T }
type handler func(int) error
type matrix [3][3]float64

var values = []interface{}{
	1, int8(2), uint16(3), uintptr(4), 1.5, float32(2.5), complex(1, 2), true, "text",
	statusCode(503), reason("why"), celsius(-40), incident{id: 7}, &incident{id: 8},
	[]int{1}, map[string]int{"a": 1}, make(chan int), func() {}, [2]string{},
	matrix{}, handler(nil), errors.New("x"), &quotaError{user: "bob"},
	Box[int]{v: 1}, &Box[string]{v: "s"}, struct{ a, b int }{1, 2}, unsafe.Pointer(nil),
	[]*incident{}, map[statusCode][]reason{}, new(error), (*int)(nil),
}

func main() {
	for _, v := range values {
		words := (*[2]uintptr)(unsafe.Pointer(&v))
		_, isErr := v.(error)
		t := reflect.TypeOf(v)
		fmt.Printf("%x %d %t %s\n", words[0], int(t.Kind()), isErr, t.String())
	}
	os.Stdout.Sync()
	panic("typenames: done")
}
