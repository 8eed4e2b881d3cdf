package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// DefaultRole is the execution role given to functions Deploy creates.
// Hearth records it but grants nothing by it.
const DefaultRole = "arn:aws:iam::000000000000:role/hearth"

// DefaultProvidedHandler is the handler given to a provided.* function
// created without one: such runtimes ignore it, and Lambda's examples use
// this name.
const DefaultProvidedHandler = "bootstrap"

// Deployment describes what Deploy should make of a function. Zero fields
// keep what an existing function has (or take Lambda's defaults when the
// function is created).
type Deployment struct {
	Dir      string // the directory to package; required
	Name     string // the function name; required
	Runtime  string // required to create
	Handler  string // required to create, except for provided.* runtimes (DefaultProvidedHandler)
	Role     string // empty means DefaultRole on create
	MemoryMB int32
	Timeout  int32 // seconds
	// Env, when not nil, replaces the function's environment variables;
	// an empty map clears them.
	Env map[string]string
}

// DeployResult says what Deploy did.
type DeployResult struct {
	Created       bool
	CodeChanged   bool
	ConfigChanged bool
	Config        *lambda.GetFunctionConfigurationOutput // the function as it is now
}

// Deploy packages d.Dir and creates the function, or updates its code
// (when the package differs) and its configuration (when a field differs).
func (c *Client) Deploy(ctx context.Context, d Deployment) (*DeployResult, error) {
	got, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &d.Name})
	if err != nil && !IsNotFound(err) {
		return nil, err
	}
	runtime := d.Runtime
	if runtime == "" && got != nil {
		runtime = string(got.Runtime)
	}
	if err := CheckDir(d.Dir, runtime); err != nil {
		return nil, err
	}
	zip, err := Zip(d.Dir)
	if err != nil {
		return nil, err
	}
	res := &DeployResult{Config: got}
	if got == nil {
		if err := c.create(ctx, d, zip); err != nil {
			return nil, err
		}
		res.Created, res.CodeChanged, res.ConfigChanged = true, true, true
	} else {
		sum := sha256.Sum256(zip)
		if base64.StdEncoding.EncodeToString(sum[:]) != aws.ToString(got.CodeSha256) {
			_, err := c.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: &d.Name, ZipFile: zip})
			if err != nil {
				return nil, fmt.Errorf("update code of %s: %w", d.Name, err)
			}
			res.CodeChanged = true
		}
		if in := configChange(d, got); in != nil {
			if _, err := c.lambda.UpdateFunctionConfiguration(ctx, in); err != nil {
				return nil, fmt.Errorf("update configuration of %s: %w", d.Name, err)
			}
			res.ConfigChanged = true
		}
	}
	if res.CodeChanged || res.ConfigChanged {
		// One more read gives the function as it now is, whichever
		// calls were made.
		if res.Config, err = c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &d.Name}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (c *Client) create(ctx context.Context, d Deployment, zip []byte) error {
	if d.Handler == "" && strings.HasPrefix(d.Runtime, "provided") {
		d.Handler = DefaultProvidedHandler
	}
	if d.Runtime == "" || d.Handler == "" {
		return fmt.Errorf("create %s: %w", d.Name, ErrMissingConfig)
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: &d.Name, Runtime: types.Runtime(d.Runtime), Handler: &d.Handler,
		Role: aws.String(DefaultRole), Code: &types.FunctionCode{ZipFile: zip},
	}
	if d.Role != "" {
		in.Role = &d.Role
	}
	if d.MemoryMB != 0 {
		in.MemorySize = &d.MemoryMB
	}
	if d.Timeout != 0 {
		in.Timeout = &d.Timeout
	}
	if d.Env != nil {
		in.Environment = &types.Environment{Variables: d.Env}
	}
	if _, err := c.lambda.CreateFunction(ctx, in); err != nil {
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	return nil
}

// configChange returns the update that brings cur to d, or nil when
// nothing differs.
func configChange(d Deployment, cur *lambda.GetFunctionConfigurationOutput) *lambda.UpdateFunctionConfigurationInput {
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: &d.Name}
	changed := false
	if d.Runtime != "" && d.Runtime != string(cur.Runtime) {
		in.Runtime, changed = types.Runtime(d.Runtime), true
	}
	if d.Handler != "" && d.Handler != aws.ToString(cur.Handler) {
		in.Handler, changed = &d.Handler, true
	}
	if d.Role != "" && d.Role != aws.ToString(cur.Role) {
		in.Role, changed = &d.Role, true
	}
	if d.MemoryMB != 0 && d.MemoryMB != aws.ToInt32(cur.MemorySize) {
		in.MemorySize, changed = &d.MemoryMB, true
	}
	if d.Timeout != 0 && d.Timeout != aws.ToInt32(cur.Timeout) {
		in.Timeout, changed = &d.Timeout, true
	}
	if d.Env != nil {
		var vars map[string]string
		if cur.Environment != nil {
			vars = cur.Environment.Variables
		}
		if !maps.Equal(vars, d.Env) {
			in.Environment, changed = &types.Environment{Variables: d.Env}, true
		}
	}
	if !changed {
		return nil
	}
	return in
}
