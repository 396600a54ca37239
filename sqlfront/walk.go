package sqlfront

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func typeName(n *pg.Node) string { return fmt.Sprintf("%T", n.GetNode()) }

// walk calls f on every relation a tree names, subqueries included.
func walk(m proto.Message, f func(*pg.RangeVar)) {
	visit(m.ProtoReflect(), func(msg protoreflect.Message) {
		if rv, ok := msg.Interface().(*pg.RangeVar); ok {
			f(rv)
		}
	})
}

// visit calls f on every message of a tree, parents first.
func visit(msg protoreflect.Message, f func(protoreflect.Message)) {
	if !msg.IsValid() {
		return
	}
	f(msg)
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := range l.Len() {
				visit(l.Get(i).Message(), f)
			}
		case fd.Message() != nil && !fd.IsMap():
			visit(v.Message(), f)
		}
		return true
	})
}
