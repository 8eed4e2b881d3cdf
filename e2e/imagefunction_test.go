package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushFunctionImage pushes an image whose ENTRYPOINT is the aws-lambda-go
// test function, with IMAGE_GREETING=greeting in its ENV, as ref, and
// returns its digest.
func pushFunctionImage(t *testing.T, ref, greeting string, arch ...string) v1.Hash {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, tarLayer(t, map[string][]byte{"app/handler*": goBootstrap(t)}))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goarch()
	if len(arch) > 0 {
		cf.Architecture = arch[0]
	}
	cf.Config.Entrypoint = []string{"/app/handler"}
	cf.Config.Cmd = []string{"image.handler"}
	cf.Config.WorkingDir = "/app"
	cf.Config.Env = []string{"PATH=/app:/usr/bin:/bin", "IMAGE_GREETING=" + greeting}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d
}

func envOf(t *testing.T, r invokeResult) map[string]any {
	t.Helper()
	env, _ := r.Payload["env"].(map[string]any)
	if r.FunctionError != "" || env == nil {
		t.Fatalf("env invocation: %s %s\n%s", r.FunctionError, r.Raw, r.Log)
	}
	return env
}

// TestImageFunction: PackageType Image functions from a registry on
// loopback, created through the AWS CLI and aws-sdk-go-v2, run the image's
// ENTRYPOINT with its ENV (or ImageConfig's command), report the image
// digest, cold-start on an update to a new digest, and a missing image is
// Lambda's InvalidParameterValueException.
func TestImageFunction(t *testing.T) {
	requireRoot(t)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	repo := strings.TrimPrefix(reg.URL, "http://") + "/functions/gofn"
	d1 := pushFunctionImage(t, repo+":v1", "one")
	d2 := pushFunctionImage(t, repo+":v2", "two")
	h := startHearth(t, "")
	c := h.client()

	cmd := exec.Command("aws", "--endpoint-url", h.endpoint(), "--output", "json", "lambda", "create-function",
		"--function-name", "img-cli", "--package-type", "Image", "--code", "ImageUri="+repo+":v1",
		"--role", "arn:aws:iam::000000000000:role/x")
	cmd.Env = h.awsEnv()
	out, err := cmd.CombinedOutput()
	var created map[string]any
	if err != nil || json.Unmarshal(out, &created) != nil {
		t.Fatalf("aws lambda create-function --package-type Image: %v\n%s", err, out)
	}
	if created["PackageType"] != "Image" || created["CodeSha256"] != d1.Hex || created["Runtime"] != nil {
		t.Errorf("create-function answered %v, want PackageType Image, CodeSha256 %s", created, d1.Hex)
	}
	env := envOf(t, invoke(t, c, "img-cli", map[string]any{"action": "env"}))
	if env["IMAGE_GREETING"] != "one" || env["_HANDLER"] != "image.handler" || env["AWS_LAMBDA_FUNCTION_NAME"] != "img-cli" {
		t.Errorf("image function environment: %v", env)
	}

	_, err = c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("img-sdk"), PackageType: types.PackageTypeImage, Role: aws.String("arn:aws:iam::000000000000:role/x"),
		Code:        &types.FunctionCode{ImageUri: aws.String(repo + ":v1")},
		ImageConfig: &types.ImageConfig{Command: []string{"custom.handler"}, WorkingDirectory: aws.String("/tmp")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("img-sdk")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Code.ResolvedImageUri) != repo+"@"+d1.String() || got.Configuration.ImageConfigResponse == nil ||
		len(got.Configuration.ImageConfigResponse.ImageConfig.Command) != 1 || got.Configuration.PackageType != types.PackageTypeImage {
		t.Errorf("GetFunction: code %+v, configuration %+v", got.Code, got.Configuration)
	}
	first := invoke(t, c, "img-sdk", map[string]any{"action": "env"})
	if env := envOf(t, first); env["_HANDLER"] != "custom.handler" || env["IMAGE_GREETING"] != "one" {
		t.Errorf("ImageConfig.Command not honoured: %v", env)
	}
	if r := invoke(t, c, "img-sdk", map[string]any{"action": "read", "path": "/etc/os-release"}); r.Payload["readErr"] == "<nil>" {
		t.Errorf("the host's files are visible in an image function: %s", r.Raw)
	}

	up, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("img-sdk"), ImageUri: aws.String(repo + ":v2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.CodeSha256) != d2.Hex {
		t.Errorf("update: CodeSha256 %s, want %s", aws.ToString(up.CodeSha256), d2.Hex)
	}
	second := invoke(t, c, "img-sdk", map[string]any{"action": "env"})
	if env := envOf(t, second); env["IMAGE_GREETING"] != "two" || !hasInitDuration(second.Log) {
		t.Errorf("after the update: greeting %v, cold start %v:\n%s", env["IMAGE_GREETING"], hasInitDuration(second.Log), second.Log)
	}

	_, err = c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("img-missing"), PackageType: types.PackageTypeImage, Role: aws.String("arn:aws:iam::000000000000:role/x"),
		Code: &types.FunctionCode{ImageUri: aws.String(repo + ":missing")},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValueException" || !strings.Contains(ae.ErrorMessage(), "does not exist") {
		t.Errorf("missing image: %v", err)
	}
	other := "arm64"
	if goarch() == "arm64" {
		other = "amd64"
	}
	pushFunctionImage(t, repo+":other-arch", "x", other)
	_, err = c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("img-arch"), PackageType: types.PackageTypeImage, Role: aws.String("arn:aws:iam::000000000000:role/x"),
		Code: &types.FunctionCode{ImageUri: aws.String(repo + ":other-arch")},
	})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValueException" || !strings.Contains(ae.ErrorMessage(), other) {
		t.Errorf("image for %s: %v", other, err)
	}

	// v1 loses its last function; a restart removes its unpacked root and
	// keeps v2's.
	if _, err := c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("img-cli")}); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.restart()
	rootfs := filepath.Join(h.dataDir, "images", "rootfs")
	if _, err := os.Stat(filepath.Join(rootfs, d1.Hex)); !os.IsNotExist(err) {
		t.Errorf("the unused image %s was not removed (%v)", d1, err)
	}
	if env := envOf(t, invoke(t, c, "img-sdk", map[string]any{"action": "env"})); env["IMAGE_GREETING"] != "two" {
		t.Errorf("after a restart: %v", env)
	}
}
