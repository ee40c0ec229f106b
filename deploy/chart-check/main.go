// chart-check: the offline validator of Herald's Helm chart (deploy/helm/herald), one binary so
// one cached build serves both halves of the check.
//
//	chart-check helm <args...>   Helm's own command line (helm lint, helm template), built in.
//	chart-check decode [FILE]    Reads a YAML stream (FILE or stdin), decodes every object
//	                             STRICTLY against the Kubernetes API types and prints them as a
//	                             JSON array; an unknown field, a duplicate field, a wrong type or
//	                             a kind Kubernetes does not serve fails the check (exit 1).
//
// Built and cached by scripts/bootstrap.sh; run by test/e2e/helm-chart.test.ts.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	helmcmd "helm.sh/helm/v4/pkg/cmd"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chart-check helm <args...> | chart-check decode [FILE]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "helm":
		os.Exit(runHelm(os.Args[2:]))
	case "decode":
		os.Exit(runDecode(os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "chart-check: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func runHelm(args []string) int {
	cmd, err := helmcmd.NewRootCmd(os.Stdout, args, helmcmd.SetupLogging)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm: %v\n", err)
		return 1
	}
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		var cerr helmcmd.CommandError
		if errors.As(err, &cerr) {
			return cerr.ExitCode
		}
		return 1
	}
	return 0
}

// decoded is one object of the stream: where it came from (helm's "# Source:" line), what it is,
// and either the object as the typed decode read it or why it could not be read.
type decoded struct {
	Source     string          `json:"source,omitempty"`
	APIVersion string          `json:"apiVersion,omitempty"`
	Kind       string          `json:"kind,omitempty"`
	Name       string          `json:"name,omitempty"`
	Object     json.RawMessage `json:"object,omitempty"`
	Error      string          `json:"error,omitempty"`
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.+)$`)

func runDecode(args []string) int {
	in := io.Reader(os.Stdin)
	if len(args) > 0 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "decode: %v\n", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	// Strict: unknown and duplicate fields are errors, not silently dropped as kubectl's
	// client-side decode (and the API server, without strict field validation) would.
	codecs := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)
	deserializer := codecs.UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var out []decoded
	failed := false
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "decode: reading the stream: %v\n", err)
			return 2
		}
		d := decodeOne(doc, deserializer)
		if d == nil {
			continue
		}
		if d.Error != "" {
			failed = true
		}
		out = append(out, *d)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "decode: %v\n", err)
		return 2
	}
	if failed {
		for _, d := range out {
			if d.Error != "" {
				fmt.Fprintf(os.Stderr, "%s %s (%s): %s\n", d.Kind, d.Name, d.Source, d.Error)
			}
		}
		return 1
	}
	return 0
}

func decodeOne(doc []byte, deserializer runtime.Decoder) *decoded {
	d := &decoded{}
	if m := sourceLine.FindSubmatch(doc); m != nil {
		d.Source = strings.TrimSpace(string(m[1]))
	}
	// YAMLToJSONStrict refuses duplicate keys, which a plain YAML → JSON conversion would merge.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		d.Error = fmt.Sprintf("not valid YAML: %v", err)
		return d
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil // an empty document (a template that rendered nothing)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(js, &meta)
	d.APIVersion, d.Kind, d.Name = meta.APIVersion, meta.Kind, meta.Metadata.Name
	obj, _, err := deserializer.Decode(js, nil, nil)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	typed, err := json.Marshal(obj)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	d.Object = typed
	return d
}
