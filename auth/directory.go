package auth

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// User is an entry of a Directory.
type User struct {
	Email      string // lower-case
	FirstName  string
	LastName   string
	Groups     []string
	Attributes map[string]any
	Active     bool
}

// Directory is a fixed set of known users, as in Metabase where a user's
// groups and attributes live on the server and a token may carry only the
// email. It is immutable and safe for concurrent use.
type Directory struct {
	users map[string]User
}

// Lookup returns the user with the given email, matched case-insensitively.
func (d *Directory) Lookup(email string) (User, bool) {
	u, ok := d.users[strings.ToLower(strings.TrimSpace(email))]
	return u, ok
}

// Len returns the number of users.
func (d *Directory) Len() int { return len(d.users) }

// Users lists the users, by email.
func (d *Directory) Users() []User {
	out := make([]User, 0, len(d.users))
	for _, u := range d.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// LoadDirectory reads a user directory file:
//
//	users:
//	  - email: sales.tx@example.com
//	    first_name: Sam
//	    last_name: Seller
//	    groups: [sales]
//	    attributes: {state: TX}
//	    active: true          # default true
//
// Problems are reported together, at file:line:col, as a *DirectoryError.
func LoadDirectory(path string) (*Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read user directory: %w", err)
	}
	return ParseDirectory(path, data)
}

// ParseDirectory reads a user directory from data; file names it in errors.
func ParseDirectory(file string, data []byte) (*Directory, error) {
	doc, root := yamldoc.Parse(file, data)
	if root == nil {
		return nil, newDirectoryError(doc.Problems())
	}
	dir := &Directory{users: map[string]User{}}
	top := doc.Mapping(root, "the user directory", "users")
	for _, n := range doc.Seq(doc.Require(top, root, "the user directory", "users"), "users") {
		keys := doc.Mapping(n, "user", "email", "first_name", "last_name", "groups", "attributes", "active")
		if keys == nil {
			continue
		}
		u := User{Active: true}
		if en := doc.Require(keys, n, "user", "email"); en != nil {
			if email, ok := doc.NonEmpty(en, "email"); ok {
				u.Email = strings.ToLower(strings.TrimSpace(email))
				if _, dup := dir.users[u.Email]; dup {
					doc.Errorf(en, "user %s appears twice", u.Email)
				}
			}
		}
		u.FirstName, _ = doc.String(keys["first_name"], "first_name")
		u.LastName, _ = doc.String(keys["last_name"], "last_name")
		u.Groups = doc.Strings(keys["groups"], "groups")
		if a := keys["active"]; a != nil {
			u.Active, _ = doc.Bool(a, "active")
		}
		u.Attributes = attributes(doc, keys["attributes"])
		if u.Email != "" {
			dir.users[u.Email] = u
		}
	}
	if err := newDirectoryError(doc.Problems()); err != nil {
		return nil, err
	}
	return dir, nil
}

// attributes decodes a mapping of attribute values: strings, numbers,
// booleans and lists of these.
func attributes(doc *yamldoc.Doc, n *yaml.Node) map[string]any {
	out := map[string]any{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		doc.Errorf(n, "attributes must be a mapping")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var val any
		if err := v.Decode(&val); err != nil {
			doc.Errorf(v, "attribute %s: %v", k.Value, err)
			continue
		}
		if iv, ok := val.(int); ok {
			val = int64(iv)
		}
		if l, ok := val.([]any); ok {
			for j, item := range l {
				if iv, ok := item.(int); ok {
					l[j] = int64(iv)
				}
			}
		}
		if !attributeOK(val) {
			doc.Errorf(v, "attribute %s must be a string, number, boolean or a list of these", k.Value)
			continue
		}
		out[k.Value] = val
	}
	return out
}

func attributeOK(v any) bool {
	switch x := v.(type) {
	case string, bool, int64, float64:
		return true
	case []any:
		for _, item := range x {
			switch item.(type) {
			case string, bool, int64, float64:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// DirectoryError lists every problem found in a user directory file,
// sorted by position.
type DirectoryError struct{ yamldoc.List }

func newDirectoryError(problems []yamldoc.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &DirectoryError{yamldoc.Sorted(problems)}
}
