package function

import (
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"sync"
	"time"
)

// Latest is the qualifier of a function's mutable, unpublished version.
const Latest = "$LATEST"

// Limits and defaults Lambda documents for function configuration.
const (
	DefaultMemoryMB    = 128
	MinMemoryMB        = 128
	MaxMemoryMB        = 10240
	DefaultTimeoutSec  = 3
	MaxTimeoutSec      = 900
	DefaultEphemeralMB = 512
	MinEphemeralMB     = 512
	MaxEphemeralMB     = 10240
	MaxEnvBytes        = 4096
	MaxNameLen         = 64
	MaxDescriptionLen  = 256
)

// Config is the configuration of one function version: $LATEST or a
// published, immutable version. It is what Lambda reports as
// FunctionConfiguration, minus the fields derived from region and account.
type Config struct {
	Name             string            `json:"name"`
	Version          string            `json:"version"`
	Runtime          string            `json:"runtime"`
	Handler          string            `json:"handler,omitempty"`
	Role             string            `json:"role,omitempty"`
	Description      string            `json:"description,omitempty"`
	MemoryMB         int               `json:"memoryMB"`
	TimeoutSec       int               `json:"timeoutSec"`
	EphemeralMB      int               `json:"ephemeralMB"`
	Environment      map[string]string `json:"environment,omitempty"`
	Architectures    []string          `json:"architectures,omitempty"`
	DeadLetterARN    string            `json:"deadLetterARN,omitempty"` // DeadLetterConfig.TargetArn
	CodeSHA256       string            `json:"codeSHA256"`              // hex digest of the zip: the code store address
	CodeSha256Base64 string            `json:"codeSha256"`              // base64 digest, as Lambda reports CodeSha256
	CodeSize         int64             `json:"codeSize"`
	Layers           []Layer           `json:"layers,omitempty"` // in order; a later layer's files win at /opt
	RevisionID       string            `json:"revisionID"`
	LastModified     time.Time         `json:"lastModified"`
	// PackageType is "" (Zip) or PackageImage; an image function has no
	// code package but an image, by digest, and no runtime or handler.
	PackageType string       `json:"packageType,omitempty"`
	ImageURI    string       `json:"imageURI,omitempty"`    // Code.ImageUri as given
	ImageDigest string       `json:"imageDigest,omitempty"` // manifest digest it resolved to, "sha256:…"
	ImageConfig *ImageConfig `json:"imageConfig,omitempty"`
	// Settings are the members Hearth stores and returns (settings.go).
	Settings *Settings `json:"settings,omitempty"`
}

// ApplyDefaults fills the fields Lambda defaults when a create request omits them.
func (c *Config) ApplyDefaults() {
	if c.MemoryMB == 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.TimeoutSec == 0 {
		c.TimeoutSec = DefaultTimeoutSec
	}
	if c.EphemeralMB == 0 {
		c.EphemeralMB = DefaultEphemeralMB
	}
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"x86_64"}
	}
	if c.Version == "" {
		c.Version = Latest
	}
}

// Touch marks the configuration as changed now: a new RevisionId and
// LastModified, as Lambda does on every update.
func (c *Config) Touch(now time.Time) {
	c.RevisionID = NewRevisionID()
	c.LastModified = now.UTC()
}

// SameDeployment reports whether two configurations would run identically:
// Lambda's test for "unchanged since the last published version".
func (c Config) SameDeployment(o Config) bool {
	if c.ImageDigest != o.ImageDigest || !c.ImageConfig.Equal(o.ImageConfig) || !reflect.DeepEqual(c.Settings, o.Settings) {
		return false
	}
	if c.CodeSHA256 != o.CodeSHA256 || c.Runtime != o.Runtime || c.Handler != o.Handler ||
		c.Role != o.Role || c.Description != o.Description || c.MemoryMB != o.MemoryMB ||
		c.TimeoutSec != o.TimeoutSec || c.EphemeralMB != o.EphemeralMB || c.DeadLetterARN != o.DeadLetterARN ||
		len(c.Environment) != len(o.Environment) || !sameLayers(c.Layers, o.Layers) {
		return false
	}
	for k, v := range c.Environment {
		if ov, ok := o.Environment[k]; !ok || ov != v {
			return false
		}
	}
	return true
}

// NewRevisionID returns a random RevisionId in Lambda's UUID form.
func NewRevisionID() string { return NewUUID() }

// uuidBufs hold NewUUID's random bytes, which crypto/rand's Read would
// otherwise move to the heap on every call (one per invocation).
var uuidBufs = sync.Pool{New: func() any { return new([16]byte) }}

// NewUUID returns a random RFC 4122 version 4 UUID, the form of Lambda's
// request and revision IDs.
func NewUUID() string {
	b := uuidBufs.Get().(*[16]byte)
	defer uuidBufs.Put(b)
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Function is the stored state of one function: its $LATEST configuration
// and the function-level settings that are not part of any version.
type Function struct {
	Latest              Config            `json:"latest"`
	Tags                map[string]string `json:"tags,omitempty"`
	LastVersion         int               `json:"lastVersion"`                   // number of the last published version
	ReservedConcurrency *int              `json:"reservedConcurrency,omitempty"` // nil = unreserved
}

// EventInvokeConfig is a function's (or one qualifier's) settings for
// asynchronous invocation. Nil pointers mean Lambda's defaults.
type EventInvokeConfig struct {
	Function             string    `json:"function"`
	Qualifier            string    `json:"qualifier"` // "$LATEST", a version or an alias
	MaximumRetryAttempts *int      `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAgeSecs  *int      `json:"maximumEventAgeSecs,omitempty"`
	OnSuccess            string    `json:"onSuccess,omitempty"` // destination ARN
	OnFailure            string    `json:"onFailure,omitempty"` // destination ARN
	LastModified         time.Time `json:"lastModified"`
}

func sameLayers(a, b []Layer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ARN != b[i].ARN {
			return false
		}
	}
	return true
}
