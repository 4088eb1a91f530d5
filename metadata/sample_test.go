package metadata

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// DecodeSummaries keeps the same full key-group handle Decode's walk
// finds (a copy: the window it was decoded from is reused), for every
// corpus file; and no savepoint-format handle (tag 7) is ever the sample.
func TestFullKeyedSampleSummaries(t *testing.T) {
	found := 0
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Decode(bytes.Clone(b)) // Decode aliases its input
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sum, err := DecodeSummaries(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want, got := full.FullKeyedSample(), sum.FullKeyedSample()
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: DecodeSummaries kept %+v, Decode finds %+v", f, got, want)
			continue
		}
		if want == nil {
			continue
		}
		found++
		if want.Handle.Tag_ == TagSavepointKeyGroupsHandle {
			t.Errorf("%s: the sample is a savepoint-format handle", f)
		}
		if k := full.Operators[want.Operator].Subtasks; len(k) == 0 {
			t.Errorf("%s: the sample's operator %d has no subtasks", f, want.Operator)
		}
		// The copy does not alias the input.
		for i := range b {
			b[i] = 0
		}
		if !reflect.DeepEqual(sum.FullKeyedSample(), want) {
			t.Errorf("%s: the summary's sample changed with the input bytes", f)
		}
	}
	if found < 30 {
		t.Errorf("%d corpus files with a full key-group handle; the corpus has more", found)
	}
}
