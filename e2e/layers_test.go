package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/hearth-run/hearth/internal/testenv"
)

// publishLayer publishes a layer version built from files and returns its ARN.
func publishLayer(t *testing.T, c *lambda.Client, name string, files map[string][]byte, runtimes ...types.Runtime) string {
	t.Helper()
	out, err := c.PublishLayerVersion(context.Background(), &lambda.PublishLayerVersionInput{
		LayerName: aws.String(name), Content: &types.LayerVersionContentInput{ZipFile: zipFiles(t, files)},
		CompatibleRuntimes: runtimes,
	})
	if err != nil {
		t.Fatalf("publish layer %s: %v", name, err)
	}
	return aws.ToString(out.LayerVersionArn)
}

const layerPyApp = `
import subprocess
import layermod, sitemod, shared

def handler(event, context):
    return {
        "layermod": layermod.VALUE,
        "site": sitemod.VALUE,
        "shared": shared.VALUE,
        "tool": subprocess.run(["tool"], capture_output=True, text=True).stdout.strip(),
    }
`

// TestLayersPython runs a Python function that imports modules from two
// layers (from /opt/python and from its site-packages) and runs a program
// from a layer's bin/ through PATH; the later layer's file wins where both
// have one, and reordering the layers is a configuration change that
// takes effect with the next (cold) start. It runs isolated (layers at
// /opt) and as plain processes (paths point into the merged tree).
func TestLayersPython(t *testing.T) {
	for _, isolation := range []string{"auto", "off"} {
		t.Run(isolation, func(t *testing.T) { testLayersPython(t, startHearth(t, "", "--isolation", isolation)) })
	}
}

func testLayersPython(t *testing.T, h *hearth) {
	c := h.client()
	first := publishLayer(t, c, "py-first", map[string][]byte{
		"python/layermod.py": []byte(`VALUE = "from-first"` + "\n"),
		"python/shared.py":   []byte(`VALUE = "first"` + "\n"),
		"bin/tool*":          []byte("#!/bin/sh\necho tool-first\n"),
	}, types.RuntimePython312)
	second := publishLayer(t, c, "py-second", map[string][]byte{
		"python/lib/python3.12/site-packages/sitemod.py": []byte(`VALUE = "from-site-packages"` + "\n"),
		"python/shared.py": []byte(`VALUE = "second"` + "\n"),
		"bin/tool*":        []byte("#!/bin/sh\necho tool-second\n"),
	})
	app := runtimeCase{"layered", "python3.12", "app.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"app.py": []byte(layerPyApp)})
	}}
	created := createFunction(t, c, "py-layers", app, func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{first, second}
	})
	if len(created.Layers) != 2 || aws.ToString(created.Layers[0].Arn) != first || created.Layers[1].CodeSize == 0 {
		t.Fatalf("CreateFunction answered Layers %+v", created.Layers)
	}
	r := invoke(t, c, "py-layers", map[string]any{})
	if r.FunctionError != "" {
		t.Fatalf("invoke failed: %s\n%s", r.Raw, r.Log)
	}
	want := map[string]any{"layermod": "from-first", "site": "from-site-packages", "shared": "second", "tool": "tool-second"}
	for k, v := range want {
		if r.Payload[k] != v {
			t.Errorf("%s = %v, want %v (payload %s)", k, r.Payload[k], v, r.Raw)
		}
	}
	_, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("py-layers"), Layers: []string{second, first},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = invoke(t, c, "py-layers", map[string]any{})
	if r.Payload["shared"] != "first" || r.Payload["tool"] != "tool-first" || !hasInitDuration(r.Log) {
		t.Fatalf("after reordering the layers: payload %s, log:\n%s", r.Raw, r.Log)
	}
	got, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("py-layers")})
	if err != nil || len(got.Layers) != 2 || aws.ToString(got.Layers[0].Arn) != second {
		t.Fatalf("GetFunctionConfiguration: %v %+v", err, got)
	}
}

const layerNodeApp = `
const greet = require('greet');
const version = require('version-only');
exports.handler = async () => ({ greet: greet('layer'), version: version });
`

// TestLayersNode runs a Node function that requires a package from a
// layer's nodejs/node_modules and one from nodejs/node20/node_modules,
// isolated and as plain processes.
func TestLayersNode(t *testing.T) {
	for _, isolation := range []string{"auto", "off"} {
		t.Run(isolation, func(t *testing.T) { testLayersNode(t, startHearth(t, "", "--isolation", isolation)) })
	}
}

func testLayersNode(t *testing.T, h *hearth) {
	c := h.client()
	arn := publishLayer(t, c, "node-libs", map[string][]byte{
		"nodejs/node_modules/greet/index.js":               []byte("module.exports = (who) => 'hello ' + who;\n"),
		"nodejs/node20/node_modules/version-only/index.js": []byte("module.exports = 'node20';\n"),
	}, types.RuntimeNodejs20x)
	app := runtimeCase{"layered", "nodejs20.x", "index.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"index.js": []byte(layerNodeApp)})
	}}
	fn := createFunction(t, c, "node-layers", app, func(in *lambda.CreateFunctionInput) { in.Layers = []string{arn} })
	r := invoke(t, c, "node-layers", map[string]any{})
	if r.FunctionError != "" || r.Payload["greet"] != "hello layer" || r.Payload["version"] != "node20" {
		t.Fatalf("invoke: %s %s\n%s", r.FunctionError, r.Raw, r.Log)
	}
	// The account's code size counts layer versions, as Lambda's does.
	settings, err := c.GetAccountSettings(context.Background(), &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := fn.CodeSize + fn.Layers[0].CodeSize; settings.AccountUsage.TotalCodeSize != want {
		t.Fatalf("TotalCodeSize %d, want %d (function and layer)", settings.AccountUsage.TotalCodeSize, want)
	}
}

// TestLayerDeletedInUse deletes a layer version a function uses: the
// version is gone from the API and its number is not reused, and the
// function keeps working, cold starts included, as on Lambda.
func TestLayerDeletedInUse(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	files := map[string][]byte{"python/layermod.py": []byte(`VALUE = "kept"` + "\n")}
	arn := publishLayer(t, c, "doomed", files)
	app := runtimeCase{"layered", "python3.12", "app.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"app.py": []byte("import layermod\ndef handler(e, c):\n    return {'v': layermod.VALUE}\n")})
	}}
	createFunction(t, c, "uses-doomed", app, func(in *lambda.CreateFunctionInput) { in.Layers = []string{arn} })
	if r := invoke(t, c, "uses-doomed", nil); r.Payload["v"] != "kept" {
		t.Fatalf("before delete: %s\n%s", r.Raw, r.Log)
	}
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("doomed"), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("doomed"), VersionNumber: aws.Int64(1)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetLayerVersion of a deleted version: %v", err)
	}
	// A new configuration makes the next start cold: the layer must still be there.
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("uses-doomed"), Environment: &types.Environment{Variables: map[string]string{"CHANGED": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.restart() // merged layer trees are rebuilt after a restart
	if r := invoke(t, c, "uses-doomed", nil); r.Payload["v"] != "kept" || !hasInitDuration(r.Log) {
		t.Fatalf("after delete: %s\n%s", r.Raw, r.Log)
	}
	again := publishLayer(t, c, "doomed", files)
	if !strings.HasSuffix(again, ":layer:doomed:2") {
		t.Fatalf("republished layer got %s, want version 2", again)
	}
	// A deleted version cannot be taken up by a function any more.
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("uses-doomed"), Layers: []string{arn},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValueException" || ae.ErrorMessage() != "Layer version "+arn+" does not exist." {
		t.Fatalf("taking up a deleted layer version: %v", err)
	}
}

// TestLayersAWSCLI drives the layer API with the AWS CLI: publish,
// list, get (by name and by ARN), permissions.
func TestLayersAWSCLI(t *testing.T) {
	testenv.AWSCLI(t)
	h := startHearth(t, "")
	zipPath := filepath.Join(t.TempDir(), "layer.zip")
	if err := os.WriteFile(zipPath, zipFiles(t, map[string][]byte{"python/m.py": []byte("X = 1\n")}), 0o644); err != nil {
		t.Fatal(err)
	}
	aws := func(out any, args ...string) {
		t.Helper()
		cmd := awsCommand(t, h, append([]string{"lambda"}, args...)...)
		cmd.Env = h.awsEnv()
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("aws %v: %v\n%s", args, err, b)
			}
		}
	}
	var pub map[string]any
	aws(&pub, "publish-layer-version", "--layer-name", "cli-layer", "--zip-file", "fileb://"+zipPath,
		"--compatible-runtimes", "python3.12", "python3.11", "--description", "from the CLI", "--license-info", "MIT")
	arn, _ := pub["LayerVersionArn"].(string)
	if pub["Version"] != float64(1) || arn != "arn:aws:lambda:us-east-1:000000000000:layer:cli-layer:1" ||
		pub["Description"] != "from the CLI" || pub["LicenseInfo"] != "MIT" {
		t.Fatalf("publish-layer-version answered %v", pub)
	}
	aws(nil, "publish-layer-version", "--layer-name", "cli-layer", "--zip-file", "fileb://"+zipPath, "--compatible-runtimes", "nodejs20.x")
	var list struct{ LayerVersions []map[string]any }
	aws(&list, "list-layer-versions", "--layer-name", "cli-layer")
	if len(list.LayerVersions) != 2 || list.LayerVersions[0]["Version"] != float64(2) {
		t.Fatalf("list-layer-versions: %v", list)
	}
	aws(&list, "list-layer-versions", "--layer-name", "cli-layer", "--compatible-runtime", "python3.12")
	if len(list.LayerVersions) != 1 || list.LayerVersions[0]["LayerVersionArn"] != arn {
		t.Fatalf("list-layer-versions --compatible-runtime python3.12: %v", list)
	}
	var got map[string]any
	aws(&got, "get-layer-version", "--layer-name", "cli-layer", "--version-number", "1")
	content, _ := got["Content"].(map[string]any)
	if got["LayerVersionArn"] != arn || content["CodeSha256"] != pub["Content"].(map[string]any)["CodeSha256"] {
		t.Fatalf("get-layer-version: %v", got)
	}
	if err := downloadMatches(t, content["Location"].(string), zipPath); err != nil {
		t.Fatal(err)
	}
	aws(&got, "get-layer-version-by-arn", "--arn", arn)
	if got["Version"] != float64(1) {
		t.Fatalf("get-layer-version-by-arn: %v", got)
	}
	var layers struct{ Layers []map[string]any }
	aws(&layers, "list-layers", "--compatible-runtime", "python3.12")
	if len(layers.Layers) != 1 || layers.Layers[0]["LatestMatchingVersion"].(map[string]any)["Version"] != float64(1) {
		t.Fatalf("list-layers: %v", layers)
	}
	var perm map[string]any
	aws(&perm, "add-layer-version-permission", "--layer-name", "cli-layer", "--version-number", "1",
		"--statement-id", "everyone", "--action", "lambda:GetLayerVersion", "--principal", "*")
	if !strings.Contains(perm["Statement"].(string), `"Sid":"everyone"`) {
		t.Fatalf("add-layer-version-permission: %v", perm)
	}
	var policy map[string]any
	aws(&policy, "get-layer-version-policy", "--layer-name", "cli-layer", "--version-number", "1")
	if !strings.Contains(policy["Policy"].(string), `"Resource":"`+arn+`"`) || policy["RevisionId"] != perm["RevisionId"] {
		t.Fatalf("get-layer-version-policy: %v", policy)
	}
	aws(nil, "remove-layer-version-permission", "--layer-name", "cli-layer", "--version-number", "1", "--statement-id", "everyone")
	aws(nil, "delete-layer-version", "--layer-name", "cli-layer", "--version-number", "1")
	aws(&list, "list-layer-versions", "--layer-name", "cli-layer")
	if len(list.LayerVersions) != 1 || list.LayerVersions[0]["Version"] != float64(2) {
		t.Fatalf("list-layer-versions after delete: %v", list)
	}
}

// downloadMatches fetches a Content.Location and compares it with the
// zip at path.
func downloadMatches(t *testing.T, url, path string) error {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	want, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		return fmt.Errorf("download of %s: status %d, %d bytes, want the %d bytes published", url, resp.StatusCode, len(got), len(want))
	}
	return nil
}

// TestLayerCustomRuntime runs a provided.al2023 function whose bootstrap
// (aws-lambda-go) comes from a layer, as /opt/bootstrap; /opt is
// read-only and PATH and LD_LIBRARY_PATH end with Lambda's /opt entries.
func TestLayerCustomRuntime(t *testing.T) {
	testenv.NeedRoot(t, "only isolated environments see the layers at /opt, read-only")
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	out, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
		LayerName: aws.String("go-runtime"), Content: &types.LayerVersionContentInput{ZipFile: goFunctionZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	data := publishLayer(t, c, "data", map[string][]byte{"lib/data.txt": []byte("twelve bytes")})
	app := runtimeCase{"custom", "provided.al2023", "unused", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"README": []byte("the runtime is a layer\n")})
	}}
	createFunction(t, c, "layer-runtime", app, func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{aws.ToString(out.LayerVersionArn), data}
	})
	r := invoke(t, c, "layer-runtime", map[string]any{"action": "env"})
	env, _ := r.Payload["env"].(map[string]any)
	path, _ := env["PATH"].(string)
	ld, _ := env["LD_LIBRARY_PATH"].(string)
	if r.FunctionError != "" || !strings.HasSuffix(path, ":/opt/bin") || !strings.HasSuffix(ld, ":/opt/lib") {
		t.Fatalf("env: %s %s\n%s", r.FunctionError, r.Raw, r.Log)
	}
	if r := invoke(t, c, "layer-runtime", map[string]any{"action": "read", "path": "/opt/lib/data.txt"}); r.Payload["readLen"] != float64(12) {
		t.Fatalf("read /opt/lib/data.txt: %s", r.Raw)
	}
	r = invoke(t, c, "layer-runtime", map[string]any{"action": "write", "path": "/opt/new"})
	if w, _ := r.Payload["writeErr"].(string); !strings.Contains(w, "read-only file system") {
		t.Fatalf("write into /opt: %s", r.Raw)
	}
}
