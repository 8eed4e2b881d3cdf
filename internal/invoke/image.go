package invoke

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/images"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// Images finds the unpacked image of a PackageType Image function.
type Images interface {
	Image(digest string) (images.Image, error)
}

// buildImageSpec derives the environment spec of an image function: the
// image is the root filesystem, ImageConfig or else the image's own
// ENTRYPOINT and CMD the command, its WORKDIR the working directory, and
// its ENV the base of the environment, under Lambda's variables and the
// function's own.
func (iv *Invoker) buildImageSpec(fn *function.Function, c *function.Config) (*versionSpec, error) {
	vs := &versionSpec{config: *c, arn: function.QualifiedARN(iv.opts.Region, iv.opts.Account, c.Name, c.Version)}
	if iv.opts.Images == nil {
		return nil, fmt.Errorf("function %s: no image store", c.Name)
	}
	im, err := iv.opts.Images.Image(c.ImageDigest)
	if err != nil {
		return nil, fmt.Errorf("image of %s: %w", c.Name, err)
	}
	path, argv, dir, handler := imageCommand(im.Config, c.ImageConfig)
	if !im.Has(path) && strings.HasPrefix(path, "/") {
		vs.missing = &pool.InitError{Type: errdefs.RuntimeInvalidEntrypoint,
			Message: fmt.Sprintf("Couldn't find valid entrypoint %s in the image %s", path, c.ImageDigest)}
	}
	network := ""
	if n := fn.Tags[NetworkTag]; n == "none" || n == "nat" || n == "host" {
		network = n
	}
	vs.pool = pool.Spec{
		Function: c.Name, Version: c.Version, Revision: c.RevisionID, Reserved: fn.ReservedConcurrency,
		Sandbox: sandbox.Spec{
			RootFS: im.RootFS, WorkDir: dir, Path: path, Args: argv, Env: iv.imageEnv(c, im.Config.Env, handler),
			MemoryMB: c.MemoryMB, EphemeralMB: c.EphemeralMB, Network: network,
		},
		JSONLogs: c.Settings.JSONLogs(),
		Starting: iv.starting(c, ""),
	}
	return vs, nil
}

// imageCommand is what an image function runs: ImageConfig's EntryPoint
// and Command, else the image's ENTRYPOINT and CMD (Lambda's base images
// start /lambda-entrypoint.sh), in ImageConfig's WorkingDirectory, else
// the image's WORKDIR. The handler is the command's first word.
func imageCommand(im images.Config, ic *function.ImageConfig) (path string, args []string, dir, handler string) {
	if ic == nil {
		ic = &function.ImageConfig{}
	}
	entry, cmd, dir := im.Entrypoint, im.Cmd, im.WorkingDir
	if len(ic.EntryPoint) > 0 {
		entry = ic.EntryPoint
	}
	if len(ic.Command) > 0 {
		cmd = ic.Command
	}
	if ic.WorkingDirectory != "" {
		dir = ic.WorkingDirectory
	}
	if len(cmd) > 0 {
		handler = cmd[0]
	}
	argv := append(append([]string{}, entry...), cmd...)
	if len(argv) == 0 {
		return "/lambda-entrypoint.sh", nil, dir, handler
	}
	return argv[0], argv[1:], dir, handler
}

// imageEnv is the environment of an image function: the image's ENV, then
// Lambda's variables, then the function's; a later one wins, except that
// the image keeps its PATH.
func (iv *Invoker) imageEnv(c *function.Config, imageEnv []string, handler string) []string {
	vars := map[string]string{"PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	set("PATH", vars["PATH"])
	for _, kv := range imageEnv {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	lambda := [][2]string{
		{"LANG", "en_US.UTF-8"}, {"TZ", ":UTC"}, {"_HANDLER", handler},
		{"AWS_REGION", iv.opts.Region}, {"AWS_DEFAULT_REGION", iv.opts.Region},
		{"AWS_LAMBDA_FUNCTION_NAME", c.Name}, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(c.MemoryMB)},
		{"AWS_LAMBDA_FUNCTION_VERSION", c.Version}, {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + c.Name},
		{"LAMBDA_TASK_ROOT", "/var/task"}, {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
	}
	for _, kv := range lambda {
		if kv[0] == "LANG" || kv[0] == "TZ" {
			if _, ok := vars[kv[0]]; ok {
				continue // the image's own
			}
		}
		set(kv[0], kv[1])
	}
	for k, v := range c.Environment {
		set(k, v)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out
}
