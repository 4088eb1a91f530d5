package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spcheck/spcheck/compare"
)

// SARIF 2.1.0 (OASIS, errata 01), as GitHub code scanning reads it: one run;
// tool.driver lists every rule of compare.Rules; each finding is a result
// with its rule, its level (see Level), its message and fix, the job-graph
// file as physical location, the operator as logical location, and the
// finding's fingerprint. Accepted findings are results with an external
// suppression (code scanning closes them); the config file's notices are
// tool configuration notifications of the invocation.

// SARIFSchema is the URI of the SARIF 2.1.0 JSON schema (errata 01).
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// FingerprintKey names spcheck's fingerprint in partialFingerprints.
const FingerprintKey = "spcheckFingerprint/v1"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  sarifRunProps     `json:"properties"`
}

type sarifRunProps struct {
	Verdict               string          `json:"verdict"`
	Savepoint             string          `json:"savepoint"`
	Graph                 string          `json:"graph"`
	AllowNonRestoredState bool            `json:"allowNonRestoredState"`
	Summary               compare.Summary `json:"summary"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name"`
	ShortDescription     sarifText     `json:"shortDescription"`
	HelpURI              string        `json:"helpUri"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
	Properties           sarifRuleProp `json:"properties"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifRuleProp struct {
	Severity string `json:"spcheckSeverity"`
	Outcome  string `json:"flinkOutcome"`
	Category string `json:"category"`
	Flink    string `json:"flinkSource,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolConfigurationNotifications,omitempty"`
}

type sarifNotification struct {
	Descriptor sarifDescriptorRef `json:"descriptor"`
	Level      string             `json:"level"`
	Message    sarifText          `json:"message"`
	Locations  []sarifLocation    `json:"locations"`
}

type sarifDescriptorRef struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifResultProps struct {
	Severity     string `json:"spcheckSeverity"`
	Outcome      string `json:"flinkOutcome"`
	Fix          string `json:"fix"`
	FlinkMessage string `json:"flinkMessage,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string          `json:"name"`
	FullyQualifiedName string          `json:"fullyQualifiedName"`
	Kind               string          `json:"kind"`
	Properties         sarifLogicProps `json:"properties"`
}

type sarifLogicProps struct {
	OperatorID string `json:"operatorId"`
	UID        string `json:"uid,omitempty"`
	Name       string `json:"name,omitempty"`
	Where      string `json:"where"`
}

func writeSARIF(w io.Writer, rep *compare.Report, opts Options) error {
	driver := sarifDriver{Name: "spcheck", Version: opts.ToolVersion, InformationURI: InformationURL, Rules: []sarifRule{}}
	index := map[compare.RuleID]int{}
	for i, r := range compare.Rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: string(r.ID), Name: r.Name,
			ShortDescription:     sarifText{r.Summary},
			HelpURI:              RuleHelpURL(opts.HelpURL, r),
			DefaultConfiguration: sarifRuleConf{Level(r.Severity)},
			Properties:           sarifRuleProp{Severity: r.Severity.String(), Outcome: r.Outcome.String(), Category: string(r.Category), Flink: r.Flink},
		})
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, n := range opts.Notices {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Descriptor: sarifDescriptorRef{string(n.Kind)},
			Level:      noticeLevel(n),
			Message:    sarifText{n.Message},
			Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{
				ArtifactLocation: sarifArtifact{uriRef(n.File)},
				Region:           &sarifRegion{StartLine: n.Line},
			}}},
		})
	}
	run := sarifRun{
		Tool:        sarifTool{driver},
		Invocations: []sarifInvocation{inv},
		Results:     []sarifResult{},
		Properties: sarifRunProps{Verdict: rep.Verdict, Savepoint: rep.Savepoint.Location, Graph: rep.Graph.Source,
			AllowNonRestoredState: rep.AllowNonRestoredState, Summary: rep.Summary},
	}
	uri := graphURI(rep)
	for _, e := range entries(rep, opts) {
		loc := sarifLocation{LogicalLocations: []sarifLogical{logical(e.Operator)}}
		if uri != "" {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{uri}}
		}
		locs := []sarifLocation{loc}
		if e.NewOperator != nil && e.NewOperator.ID != e.Operator.ID {
			locs[0].LogicalLocations = append(locs[0].LogicalLocations, logical(*e.NewOperator))
		}
		text := fmt.Sprintf("%s: %s.\nFix: %s", e.Operator, e.Message, e.Fix)
		if e.Severity == compare.Unknown {
			text = "spcheck cannot decide: " + text
		}
		res := sarifResult{
			RuleID:              string(e.Rule),
			RuleIndex:           index[e.Rule],
			Level:               Level(e.Severity),
			Message:             sarifText{text},
			Locations:           locs,
			PartialFingerprints: map[string]string{FingerprintKey: e.Fingerprint},
			Properties:          sarifResultProps{Severity: e.Severity.String(), Outcome: e.Outcome.String(), Fix: e.Fix, FlinkMessage: e.FlinkMessage},
		}
		if e.accepted != nil {
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: acceptedText(e.accepted)}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	return nil
}

func logical(r compare.OperatorRef) sarifLogical {
	return sarifLogical{
		Name:               label(r),
		FullyQualifiedName: r.ID,
		Kind:               "function", // an operator runs a function of the dataflow
		Properties:         sarifLogicProps{OperatorID: r.ID, UID: r.UID, Name: r.Name, Where: r.Where},
	}
}
