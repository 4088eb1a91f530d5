package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// Go has no XSD validator without cgo, so this file reads the vendored
// XSD itself and checks a document against what it declares, for the
// subset of XML Schema that junit-10.xsd uses: global and local element
// declarations, element references, named and anonymous complex types,
// xs:string and pattern-restricted simple types, mixed content and
// attribute declarations with use="required". For each element it checks
// that the element is declared where it appears, that every attribute is
// declared and required ones are present, that typed attribute values
// match their pattern, that text appears only in mixed or simple content,
// and that simple content has no child elements. It does not check the
// order or the number of children of xs:sequence and xs:choice (no
// content model of junit-10.xsd that the output uses limits either).

type xsdNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xsdNode  `xml:",any"`
}

func (n *xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

type xsdAttr struct {
	typ      string
	required bool
}

type xsdElement struct {
	name       string
	simple     bool // type xs:string: text only
	mixed      bool
	attrs      map[string]xsdAttr
	children   map[string]*xsdElement // nil entries are references, resolved by name
	childNames map[string]bool
}

type xsdSchema struct {
	elements map[string]*xsdElement // global
	patterns map[string]*regexp.Regexp
	complex  map[string]*xsdNode
}

func loadXSD(t *testing.T, path string) *xsdSchema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root xsdNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	s := &xsdSchema{elements: map[string]*xsdElement{}, patterns: map[string]*regexp.Regexp{}, complex: map[string]*xsdNode{}}
	for i := range root.Nodes {
		n := &root.Nodes[i]
		switch n.XMLName.Local {
		case "simpleType":
			for _, r := range n.Nodes {
				for _, p := range r.Nodes {
					if p.XMLName.Local == "pattern" {
						s.patterns[n.attr("name")] = regexp.MustCompile(`^(?:` + p.attr("value") + `)$`)
					}
				}
			}
		case "complexType":
			s.complex[n.attr("name")] = n
		}
	}
	for i := range root.Nodes {
		n := &root.Nodes[i]
		if n.XMLName.Local == "element" {
			s.elements[n.attr("name")] = s.element(t, n)
		}
	}
	if len(s.elements) < 10 || s.elements["testsuites"] == nil || s.patterns["SUREFIRE_TIME"] == nil {
		t.Fatalf("%s: read %d elements, patterns %v", path, len(s.elements), s.patterns)
	}
	return s
}

// element reads an element declaration.
func (s *xsdSchema) element(t *testing.T, n *xsdNode) *xsdElement {
	e := &xsdElement{name: n.attr("name"), attrs: map[string]xsdAttr{}, children: map[string]*xsdElement{}, childNames: map[string]bool{}}
	switch typ := n.attr("type"); typ {
	case "xs:string":
		e.simple = true
		return e
	case "":
		for i := range n.Nodes {
			if n.Nodes[i].XMLName.Local == "complexType" {
				s.complexType(t, &n.Nodes[i], e)
			}
		}
	default:
		ct := s.complex[typ]
		if ct == nil {
			t.Fatalf("element %s: unknown type %s", e.name, typ)
		}
		s.complexType(t, ct, e)
	}
	return e
}

func (s *xsdSchema) complexType(t *testing.T, ct *xsdNode, e *xsdElement) {
	e.mixed = ct.attr("mixed") == "true"
	var walk func(n *xsdNode)
	walk = func(n *xsdNode) {
		for i := range n.Nodes {
			c := &n.Nodes[i]
			switch c.XMLName.Local {
			case "attribute":
				e.attrs[c.attr("name")] = xsdAttr{typ: c.attr("type"), required: c.attr("use") == "required"}
			case "sequence", "choice", "all":
				walk(c)
			case "element":
				if ref := c.attr("ref"); ref != "" {
					e.childNames[ref] = true
				} else {
					e.childNames[c.attr("name")] = true
					e.children[c.attr("name")] = s.element(t, c)
				}
			case "annotation":
			default:
				t.Fatalf("complex type of %s: %s is not supported", e.name, c.XMLName.Local)
			}
		}
	}
	walk(ct)
}

func (s *xsdSchema) lookup(parent *xsdElement, name string) *xsdElement {
	if parent != nil {
		if e := parent.children[name]; e != nil {
			return e
		}
	}
	return s.elements[name]
}

// validate checks an XML document and returns its problems.
func (s *xsdSchema) validate(doc []byte) []string {
	var errs []string
	errorf := func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	type frame struct {
		decl *xsdElement
		path string
	}
	var stack []frame
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, "not well-formed: "+err.Error())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			var parent *xsdElement
			path := "/" + name
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				parent, path = top.decl, top.path+"/"+name
				if parent != nil && !parent.childNames[name] {
					errorf(path, "element %s is not allowed in %s", name, parent.name)
				}
				if parent != nil && parent.simple {
					errorf(path, "%s has simple content: no child elements", parent.name)
				}
			} else if s.elements[name] == nil {
				errorf(path, "root element %s is not declared", name)
			}
			decl := s.lookup(parent, name)
			if decl == nil {
				errorf(path, "element %s is not declared", name)
			} else {
				seen := map[string]bool{}
				for _, a := range tok.Attr {
					if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
						continue
					}
					seen[a.Name.Local] = true
					ad, ok := decl.attrs[a.Name.Local]
					if !ok {
						errorf(path, "attribute %s is not declared", a.Name.Local)
						continue
					}
					if re := s.patterns[ad.typ]; re != nil && !re.MatchString(a.Value) {
						errorf(path, "attribute %s=%q does not match type %s", a.Name.Local, a.Value, ad.typ)
					}
				}
				for n, ad := range decl.attrs {
					if ad.required && !seen[n] {
						errorf(path, "required attribute %s is missing", n)
					}
				}
			}
			stack = append(stack, frame{decl, path})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 || len(bytes.TrimSpace(tok)) == 0 {
				continue
			}
			top := stack[len(stack)-1]
			if top.decl != nil && !top.decl.simple && !top.decl.mixed {
				errorf(top.path, "text is not allowed in %s", top.decl.name)
			}
		}
	}
	return errs
}

// The checker finds what the XSD forbids.
func TestXSDCheckerRejects(t *testing.T) {
	xsd := loadXSD(t, "testdata/junit-10.xsd")
	for _, tc := range []struct{ doc, want string }{
		{`<testsuites><testsuite name="a" tests="1" failures="0"/></testsuites>`, "required attribute errors is missing"},
		{`<testsuites skipped="1"/>`, "attribute skipped is not declared"},
		{`<testsuites time="1.2.3"/>`, "does not match type SUREFIRE_TIME"},
		{`<testsuites><testcase name="x"/></testsuites>`, "element testcase is not allowed in testsuites"},
		{`<testsuite name="a" tests="1" failures="0" errors="0"><testcase/></testsuite>`, "required attribute name is missing"},
		{`<testsuite name="a" tests="1" failures="0" errors="0">text</testsuite>`, "text is not allowed in testsuite"},
		{`<testsuite name="a" tests="1" failures="0" errors="0"><system-out><b/></system-out></testsuite>`, "system-out has simple content"},
		{`<report/>`, "root element report is not declared"},
		{`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">`, "not well-formed"},
	} {
		errs := strings.Join(xsd.validate([]byte(tc.doc)), "\n")
		if !strings.Contains(errs, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.doc, errs, tc.want)
		}
	}
	ok := `<testsuites time="1,234.5"><testsuite name="a" tests="1" failures="1" errors="0" time="0"><properties><property name="k" value="v"/></properties>` +
		`<testcase name="x" classname="c"><failure message="m" type="t">text</failure><system-out>out</system-out></testcase></testsuite></testsuites>`
	if errs := xsd.validate([]byte(ok)); len(errs) > 0 {
		t.Errorf("valid document rejected: %v", errs)
	}
}
