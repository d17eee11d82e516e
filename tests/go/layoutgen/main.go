// layoutgen prints, as C initialisers for analyzer/go_layout_tables.c and
// analyzer/go_wait_reasons.c, the offsets of the Go runtime structures
// listed in analyzer/go_layout.h (read from the DWARF of an executable built
// by one Go release, usually this program itself) and that release's
// goroutine status and wait reason strings (from its runtime source, with
// the constant values from DWARF).
//
//	layoutgen -header analyzer/go_layout.h -minor 24 [-since go1.24.6] [-bin exe]  # layout table
//	layoutgen -waitreasons -goroot GOROOT -minor 22 [-bin exe]         # status/wait reason tables
package main

import (
	"bufio"
	"debug/dwarf"
	"debug/elf"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

type entry struct {
	cname  string
	structs []string
	fields  []string
}

var xline = regexp.MustCompile(`X\((\w+),\s*"([^"]+)",\s*"([^"]+)"\)`)

func readHeader(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := xline.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		out = append(out, entry{m[1], strings.Split(m[2], "|"), strings.Split(m[3], "|")})
	}
	return out, sc.Err()
}

func openDWARF(path string) (*dwarf.Data, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	return f.DWARF()
}

func unwrap(t dwarf.Type) dwarf.Type {
	for i := 0; i < 16; i++ {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
	return t
}

// structs collects every named struct type of the DWARF data.
func structs(d *dwarf.Data) (map[string]*dwarf.StructType, error) {
	out := map[string]*dwarf.StructType{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if name == "" || out[name] != nil {
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			continue
		}
		if st, ok := unwrap(t).(*dwarf.StructType); ok {
			out[name] = st
		}
	}
}

// resolve returns offset and size of a dotted field path, or -1, -1.
func resolve(st *dwarf.StructType, path string) (int64, int64) {
	if path == "sizeof" {
		return 0, st.ByteSize
	}
	off := int64(0)
	cur := st
	parts := strings.Split(path, ".")
	for i, p := range parts {
		var found *dwarf.StructField
		for _, f := range cur.Field {
			if f.Name == p {
				found = f
				break
			}
		}
		if found == nil {
			return -1, -1
		}
		off += found.ByteOffset
		ft := unwrap(found.Type)
		if i == len(parts)-1 {
			return off, ft.Size()
		}
		next, ok := ft.(*dwarf.StructType)
		if !ok {
			return -1, -1
		}
		cur = next
	}
	return -1, -1
}

func layout(header, bin string, minor int, since string) error {
	ents, err := readHeader(header)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return fmt.Errorf("%s: no X(...) entries", header)
	}
	d, err := openDWARF(bin)
	if err != nil {
		return err
	}
	sts, err := structs(d)
	if err != nil {
		return err
	}
	if since == "" {
		since = fmt.Sprintf("go1.%d.0", minor)
	}
	name := strings.ReplaceAll(strings.TrimPrefix(since, "go"), ".", "_")
	fmt.Printf("static const struct cw_go_layout go_layout_%s = {\n", name)
	fmt.Printf("\t.go_minor = %d,\n\t.since = %q,\n\t.probe_version = %q,\n", minor, since, runtime.Version())
	missingStructs := map[string]bool{}
	for _, e := range ents {
		off, size := int64(-1), int64(-1)
		var st *dwarf.StructType
		for _, s := range e.structs {
			if st = sts[s]; st != nil {
				break
			}
		}
		if st == nil {
			missingStructs[strings.Join(e.structs, "|")] = true
		} else {
			for _, f := range e.fields {
				if off, size = resolve(st, f); off >= 0 {
					break
				}
			}
		}
		fmt.Printf("\t.%s = { %d, %d },\n", e.cname, off, size)
	}
	fmt.Printf("};\n")
	for s := range missingStructs {
		fmt.Fprintf(os.Stderr, "layoutgen: go1.%d: no struct %s in DWARF\n", minor, s)
	}
	return nil
}

// constants returns the DWARF constants whose names start with prefix.
func constants(d *dwarf.Data, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		if e.Tag != dwarf.TagConstant {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		switch v := e.Val(dwarf.AttrConstValue).(type) {
		case int64:
			out[strings.TrimPrefix(name, "runtime.")] = v
		case uint64:
			out[strings.TrimPrefix(name, "runtime.")] = int64(v)
		}
	}
}

// stringTable finds `var NAME = [...]string{KEY: "text", ...}` in the files
// of dir and returns key name -> text.
func stringTable(files []*ast.File, name string) (map[string]string, error) {
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
					continue
				}
				cl, ok := vs.Values[0].(*ast.CompositeLit)
				if !ok {
					return nil, fmt.Errorf("%s is not a composite literal", name)
				}
				out := map[string]string{}
				for _, el := range cl.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						return nil, fmt.Errorf("%s: element without key", name)
					}
					k, ok1 := kv.Key.(*ast.Ident)
					v, ok2 := kv.Value.(*ast.BasicLit)
					if !ok1 || !ok2 {
						return nil, fmt.Errorf("%s: unexpected element", name)
					}
					s, err := strconv.Unquote(v.Value)
					if err != nil {
						return nil, err
					}
					out[k.Name] = s
				}
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("%s not found", name)
}

func cTable(kind string, minor int, keys map[string]string, consts map[string]int64) error {
	byVal := map[int64]string{}
	max := int64(-1)
	for k, s := range keys {
		v, ok := consts[k]
		if !ok {
			return fmt.Errorf("go1.%d: constant %s not in DWARF", minor, k)
		}
		if v < 0 || v > 255 {
			return fmt.Errorf("go1.%d: constant %s = %d out of range", minor, k, v)
		}
		byVal[v] = s
		if v > max {
			max = v
		}
	}
	fmt.Printf("static const char *const %s_1_%d[] = {\n", kind, minor)
	vals := make([]int64, 0, len(byVal))
	for v := range byVal {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, v := range vals {
		fmt.Printf("\t[%d] = %q,\n", v, byVal[v])
	}
	fmt.Printf("};\n")
	return nil
}

func waitReasons(goroot, bin string, minor int) error {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, goroot+"/src/runtime", func(fi os.FileInfo) bool {
		n := fi.Name()
		return n == "runtime2.go" || n == "traceback.go"
	}, 0)
	if err != nil {
		return err
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	d, err := openDWARF(bin)
	if err != nil {
		return err
	}
	consts, err := constants(d, "runtime.")
	if err != nil {
		return err
	}
	wr, err := stringTable(files, "waitReasonStrings")
	if err != nil {
		return err
	}
	gs, err := stringTable(files, "gStatusStrings")
	if err != nil {
		return err
	}
	if err := cTable("wait_reasons", minor, wr, consts); err != nil {
		return err
	}
	return cTable("gstatus_names", minor, gs, consts)
}

func main() {
	header := flag.String("header", "", "analyzer/go_layout.h")
	bin := flag.String("bin", "", "executable to read DWARF from (default: this program)")
	minor := flag.Int("minor", 0, "Go minor release of the table")
	wait := flag.Bool("waitreasons", false, "print status and wait reason tables")
	goroot := flag.String("goroot", "", "GOROOT of the release (for -waitreasons)")
	since := flag.String("since", "", "first release the layout table holds for (go1.24.6; default go1.<minor>.0)")
	flag.Parse()
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "layoutgen:", err)
			os.Exit(1)
		}
		*bin = exe
	}
	if *minor == 0 {
		fmt.Fprintln(os.Stderr, "layoutgen: -minor is required")
		os.Exit(2)
	}
	var err error
	if *wait {
		err = waitReasons(*goroot, *bin, *minor)
	} else {
		err = layout(*header, *bin, *minor, *since)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "layoutgen:", err)
		os.Exit(1)
	}
}
