package invoke

import (
	"io"

	"github.com/hearth-run/hearth/internal/credentials"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/runtimes"
)

// Runtimes resolves runtime names to the interpreters that run them.
type Runtimes interface {
	Resolve(name string) (runtimes.Resolution, error)
}

// runtimeCommand is how environments of one runtime start.
type runtimeCommand struct {
	path    string
	args    []string
	binds   []string // host directories the interpreter needs
	warning string   // log line of each cold start, "" for none
	// rootFS is the unpacked runtime image that is the environment's root;
	// "" for the host's system directories.
	rootFS string
	// ownBootstrap: the image's /var/runtime/bootstrap runs the function,
	// so Hearth's bootstraps are not mounted over it.
	ownBootstrap bool
}

// command resolves rt through the catalogue and builds the command of its
// environments. A runtime with no interpreter to run is an *pool.InitError
// of type Runtime.Unavailable saying what to install.
func (iv *Invoker) command(rt runtimes.Runtime, taskRoot, runtimeRoot string) (runtimeCommand, error) {
	var rc runtimeCommand
	if iv.opts.Runtimes == nil {
		var err error
		rc.path, rc.args, err = rt.Command(taskRoot, runtimeRoot)
		return rc, err
	}
	res, err := iv.opts.Runtimes.Resolve(rt.Name)
	if err != nil {
		return rc, err
	}
	interp := ""
	if in := res.Interp; in != nil {
		interp, rc.rootFS, rc.ownBootstrap = in.Path, in.RootFS, in.OwnBootstrap
		if in.Root != "" {
			rc.binds = []string{in.Root}
		}
	} else if rt.Family != runtimes.FamilyProvided {
		return rc, &pool.InitError{Type: errdefs.RuntimeUnavailable, Message: res.Unavailable()}
	}
	rc.warning = res.Warning()
	if rc.ownBootstrap && rt.Family != runtimes.FamilyProvided {
		rc.path = interp // the image's runtime client
		return rc, nil
	}
	rc.path, rc.args, err = rt.CommandWith(interp, taskRoot, runtimeRoot)
	return rc, err
}

// runtimeDir is what the environment sees at /var/runtime: Hearth's
// bootstraps, or nothing over an image's own runtime client.
func (iv *Invoker) runtimeDir(rc runtimeCommand) string {
	if rc.ownBootstrap {
		return ""
	}
	return iv.opts.RuntimeDir
}

// starting returns the hook that runs at each start of an environment of
// c: it writes the fallback warning, if any, into the function's log and
// hands the environment a fresh session credential.
func (iv *Invoker) starting(c *function.Config, warning string) func(io.Writer) []string {
	if warning == "" && iv.opts.Credentials == nil {
		return nil
	}
	name := c.Name
	_, ownEndpoint := c.Environment["AWS_ENDPOINT_URL_LAMBDA"]
	return func(w io.Writer) []string {
		if warning != "" {
			_, _ = io.WriteString(w, warning+"\n")
		}
		return iv.sessionEnv(name, !ownEndpoint)
	}
}

// Credentials issues the session credential of a function's new
// environment.
type Credentials interface {
	Issue(function string) credentials.Session
}

// sessionEnv returns the variables that give a new environment of
// fn its own session credential and Hearth's endpoint, as Lambda
// gives each environment its execution role's credentials.
func (iv *Invoker) sessionEnv(fn string, endpoint bool) []string {
	if iv.opts.Credentials == nil {
		return nil
	}
	s := iv.opts.Credentials.Issue(fn)
	env := []string{"AWS_ACCESS_KEY_ID=" + s.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + s.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + s.SessionToken}
	if endpoint && iv.opts.APIEndpoint != "" { // unless the function sets its own
		env = append(env, "AWS_ENDPOINT_URL_LAMBDA="+iv.opts.APIEndpoint)
	}
	return env
}
