package function

import (
	"slices"
	"strings"
)

// PackageImage is the PackageType of a function deployed as a container
// image.
const PackageImage = "Image"

// ImageConfig overrides the image's own ENTRYPOINT, CMD and WORKDIR, as
// Lambda's ImageConfig does.
type ImageConfig struct {
	EntryPoint       []string `json:"entryPoint,omitempty"`
	Command          []string `json:"command,omitempty"`
	WorkingDirectory string   `json:"workingDirectory,omitempty"`
}

// Equal reports whether two image configs (nil included) are the same.
func (ic *ImageConfig) Equal(o *ImageConfig) bool {
	if ic == nil || o == nil {
		return ic == o
	}
	return slices.Equal(ic.EntryPoint, o.EntryPoint) && slices.Equal(ic.Command, o.Command) &&
		ic.WorkingDirectory == o.WorkingDirectory
}

// validateCode checks the fields that depend on the package type.
func (c *Config) validateCode() error {
	switch c.PackageType {
	case "", "Zip":
		if c.ImageConfig != nil {
			return invalidParam("ImageConfig is only supported for functions with PackageType Image.")
		}
		return nil
	case PackageImage:
		if c.Runtime != "" || c.Handler != "" || len(c.Layers) > 0 {
			return invalidParam("Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.")
		}
		if ic := c.ImageConfig; ic != nil && ic.WorkingDirectory != "" && !strings.HasPrefix(ic.WorkingDirectory, "/") {
			return invalidParam("WorkingDirectory must be an absolute path.")
		}
		return nil
	}
	return validationf("packageType", c.PackageType, "Member must satisfy enum value set: [Zip, Image]")
}

// validateRuntime checks the runtime of a Zip function; an image function
// has none, its entrypoint runs.
func (c *Config) validateRuntime() error {
	if c.PackageType == PackageImage {
		return nil
	}
	return ValidateRuntime(c.Runtime)
}
