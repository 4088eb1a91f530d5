package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/spcheck/spcheck/compare"
)

// JUnit XML, in the layout of the Jenkins/Ant junit-10.xsd
// (testdata/junit-10.xsd): one test suite, one test case per rule and
// operator. The class name is the operator (uid, else name, else ID), the
// test name the rule ("SP001 state-dropped"). A savepoint operator without
// findings gets one passing test case, "restore".
//
//   - error and unknown findings fail their test case;
//   - warning and info findings pass, their text in system-out: they do
//     not fail spcheck's default --fail-on either, and "skipped" would say
//     that nothing was checked;
//   - accepted findings are skipped, with the acceptance as the message.
//
// Test cases are ordered by operator: the savepoint's in the order of the
// report's operator mapping, then the new graph's in the order of the
// findings; within an operator, findings in report order, accepted ones
// last. No timestamps or host names: the output is deterministic.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	SystemOut junitText     `xml:"system-out,omitempty"`
}

// junitText is element text written with its line breaks as they are
// (encoding/xml's ",chardata" writes them as &#xA;).
type junitText string

func (t junitText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return encodeText(e, start, string(t))
}

type junitOutcome struct {
	Type    string
	Message string
	Text    string
}

func (o junitOutcome) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if o.Type != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "type"}, Value: o.Type})
	}
	start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "message"}, Value: o.Message})
	return encodeText(e, start, o.Text)
}

func encodeText(e *xml.Encoder, start xml.StartElement, text string) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeToken(xml.CharData(text)); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func writeJUnit(w io.Writer, rep *compare.Report, opts Options) error {
	suite := junitSuite{Name: "spcheck check", Time: "0", Properties: []junitProperty{
		{"verdict", rep.Verdict},
		{"savepoint", rep.Savepoint.Location},
		{"graph", rep.Graph.Source},
		{"allow-non-restored-state", strconv.FormatBool(rep.AllowNonRestoredState)},
	}}
	for _, n := range opts.Notices {
		suite.Properties = append(suite.Properties, junitProperty{"config-notice", n.String()})
	}

	// Group the findings by operator: savepoint operators first, in
	// mapping order.
	type group struct {
		ref     compare.OperatorRef
		mapping *compare.Mapping
		entries []entry
	}
	var groups []*group
	byKey := map[string]*group{}
	key := func(r compare.OperatorRef) string {
		if r.Where == "savepoint" {
			return "savepoint " + r.ID
		}
		return "graph " + r.ID
	}
	for i := range rep.Operators {
		mp := &rep.Operators[i]
		g := &group{ref: mp.Operator, mapping: mp}
		if byKey[key(mp.Operator)] == nil {
			byKey[key(mp.Operator)] = g
			groups = append(groups, g)
		}
	}
	for _, e := range entries(rep, opts) {
		g := byKey[key(e.Operator)]
		if g == nil {
			g = &group{ref: e.Operator}
			byKey[key(e.Operator)] = g
			groups = append(groups, g)
		}
		g.entries = append(g.entries, e)
	}

	for _, g := range groups {
		class := label(g.ref)
		if len(g.entries) == 0 {
			out := fmt.Sprintf("%s: %s", g.ref, g.mapping.Fate)
			if m := g.mapping.MatchedTo; m != nil && m.String() != g.ref.String() {
				out += fmt.Sprintf("\nmatched to %s", *m)
			}
			suite.Cases = append(suite.Cases, junitCase{Name: "restore", Classname: class, Time: "0", SystemOut: junitText(out + "\n")})
			continue
		}
		for _, e := range g.entries {
			c := junitCase{Name: string(e.Rule) + " " + e.Name, Classname: class, Time: "0"}
			text := findingText(e.Finding)
			switch {
			case e.accepted != nil:
				c.Skipped = &junitOutcome{Message: acceptedText(e.accepted), Text: text}
				suite.Skipped++
			case e.Severity >= compare.Unknown:
				c.Failure = &junitOutcome{Type: e.Severity.String(), Message: e.Message, Text: text}
				suite.Failures++
			default:
				c.SystemOut = junitText(text)
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "spcheck", Tests: suite.Tests, Failures: suite.Failures, Time: "0", Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
