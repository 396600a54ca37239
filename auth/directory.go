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
	// Identities are the user's accounts at identity providers, by which
	// provider tokens identified by subject name them.
	Identities []Identity
}

// Identity is an account at an identity provider: its issuer and the
// subject the provider's tokens carry.
type Identity struct {
	Issuer  string
	Subject string
}

// Directory is a fixed set of known users, as in Metabase where a user's
// groups and attributes live on the server and a token may carry only the
// email. It is immutable and safe for concurrent use.
type Directory struct {
	users      map[string]User
	identities map[Identity]string // to email
}

// LookupIdentity returns the user with an identity at issuer, matched
// exactly.
func (d *Directory) LookupIdentity(issuer, subject string) (User, bool) {
	email, ok := d.identities[Identity{Issuer: issuer, Subject: subject}]
	if !ok {
		return User{}, false
	}
	return d.users[email], true
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
//	    identities:           # provider accounts (serve --jwt-identify-by subject)
//	      - {issuer: "https://login.example.com/", subject: "00u1abcd"}
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
	dir := &Directory{users: map[string]User{}, identities: map[Identity]string{}}
	top := doc.Mapping(root, "the user directory", "users")
	for _, n := range doc.Seq(doc.Require(top, root, "the user directory", "users"), "users") {
		keys := doc.Mapping(n, "user", "email", "first_name", "last_name", "groups", "attributes", "active", "identities")
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
		u.Identities = identities(doc, keys["identities"], dir, u.Email)
		if u.Email != "" {
			dir.users[u.Email] = u
		}
	}
	if err := newDirectoryError(doc.Problems()); err != nil {
		return nil, err
	}
	return dir, nil
}

// identities decodes a user's provider accounts; one account names one
// user.
func identities(doc *yamldoc.Doc, n *yaml.Node, dir *Directory, email string) []Identity {
	var out []Identity
	for _, item := range doc.Seq(n, "identities") {
		keys := doc.Mapping(item, "identity", "issuer", "subject")
		if keys == nil {
			continue
		}
		var id Identity
		if in := doc.Require(keys, item, "identity", "issuer"); in != nil {
			id.Issuer, _ = doc.NonEmpty(in, "issuer")
		}
		if sn := doc.Require(keys, item, "identity", "subject"); sn != nil {
			id.Subject, _ = doc.NonEmpty(sn, "subject")
		}
		if id.Issuer == "" || id.Subject == "" {
			continue
		}
		if other, dup := dir.identities[id]; dup {
			doc.Errorf(item, "the identity %s %s is already %s's", id.Issuer, id.Subject, other)
			continue
		}
		if email != "" {
			dir.identities[id] = email
		}
		out = append(out, id)
	}
	return out
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
