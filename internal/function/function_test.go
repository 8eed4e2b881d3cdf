package function

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, name, qualifier string
		wantErr             bool
	}{
		{in: "fn", name: "fn"},
		{in: "fn:1", name: "fn", qualifier: "1"},
		{in: "fn:$LATEST", name: "fn", qualifier: "$LATEST"},
		{in: "arn:aws:lambda:us-east-1:000000000000:function:fn", name: "fn"},
		{in: "arn:aws:lambda:us-east-1:000000000000:function:fn:live", name: "fn", qualifier: "live"},
		{in: "000000000000:function:fn", name: "fn"},
		{in: "bad name", wantErr: true},
		{in: "", wantErr: true},
		{in: strings.Repeat("a", 65), wantErr: true},
		{in: "fn:bad qualifier", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := ParseRef(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrValidation) {
					t.Fatalf("want a validation error, got %v", err)
				}
				return
			}
			if err != nil || ref.Name != tt.name || ref.Qualifier != tt.qualifier {
				t.Fatalf("ParseRef = %+v, %v", ref, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	base := func() Config {
		c := Config{Name: "fn", Runtime: "python3.12", Handler: "app.handler", Role: "arn:aws:iam::123456789012:role/r"}
		c.ApplyDefaults()
		return c
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		kind   error // nil = valid
		msg    string
	}{
		{"valid", func(*Config) {}, nil, ""},
		{"provided needs no handler", func(c *Config) { c.Runtime, c.Handler = "provided.al2023", "" }, nil, ""},
		{"python needs a handler", func(c *Config) { c.Handler = "" }, ErrInvalidParameter, "Handler"},
		{"unknown runtime", func(c *Config) { c.Runtime = "java21" }, ErrInvalidParameter, "runtime"},
		{"deprecated runtime", func(c *Config) { c.Runtime = "nodejs12.x" }, ErrInvalidParameter, "no longer supported"},
		{"memory low", func(c *Config) { c.MemoryMB = 127 }, ErrValidation, "greater than or equal to 128"},
		{"memory high", func(c *Config) { c.MemoryMB = 10241 }, ErrValidation, "less than or equal to 10240"},
		{"timeout zero", func(c *Config) { c.TimeoutSec = 0 }, ErrValidation, "timeout"},
		{"timeout high", func(c *Config) { c.TimeoutSec = 901 }, ErrValidation, "900"},
		{"ephemeral", func(c *Config) { c.EphemeralMB = 10241 }, ErrValidation, "ephemeralStorage.size"},
		{"architecture", func(c *Config) { c.Architectures = []string{"sparc"} }, ErrValidation, "architectures"},
		{"env key", func(c *Config) { c.Environment = map[string]string{"9X": "v"} }, ErrValidation, "Map keys"},
		{"env single letter", func(c *Config) { c.Environment = map[string]string{"K": "v"} }, ErrValidation, "Map keys"},
		{"env reserved", func(c *Config) { c.Environment = map[string]string{"AWS_REGION": "x", "AWS_LAMBDA_FUNCTION_NAME": "y"} }, ErrInvalidParameter, "AWS_LAMBDA_FUNCTION_NAME, AWS_REGION"},
		{"env 4 KB", func(c *Config) { c.Environment = map[string]string{"BIG": strings.Repeat("x", 4090)} }, ErrInvalidParameter, "4KB"},
		{"handler with a space", func(c *Config) { c.Handler = "app.handler x" }, ErrValidation, "handler"},
		{"handler with a newline", func(c *Config) { c.Handler = "app.handler\n" }, ErrValidation, "handler"},
		{"handler too long", func(c *Config) { c.Handler = strings.Repeat("h", 129) }, ErrValidation, "less than or equal to 128"},
		{"role not an IAM role", func(c *Config) { c.Role = "arn:aws:iam::123456789012:user/u" }, ErrValidation, "role"},
		{"role missing", func(c *Config) { c.Role = "" }, ErrValidation, "role"},
		{"role of a partition", func(c *Config) { c.Role = "arn:aws-cn:iam::123456789012:role/path/r" }, nil, ""},
		{"other architecture", func(c *Config) {
			c.Architectures = []string{map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[HostArchitecture()]}
		}, ErrInvalidParameter, "architecture"},
		{"host architecture", func(c *Config) { c.Architectures = []string{HostArchitecture()} }, nil, ""},
		{"env just under 4 KB", func(c *Config) { c.Environment = map[string]string{"BIG": strings.Repeat("x", 4080)} }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(&c)
			err := c.Validate()
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tt.kind, tt.msg)
			}
		})
	}
}

func TestSameDeployment(t *testing.T) {
	a := Config{Name: "f", CodeSHA256: "x", Environment: map[string]string{"AB": "1"}}
	b := a
	b.Environment = map[string]string{"AB": "1"}
	b.RevisionID = "other"
	if !a.SameDeployment(b) {
		t.Fatal("revision alone must not count as a change")
	}
	b.Environment = map[string]string{"AB": "2"}
	if a.SameDeployment(b) {
		t.Fatal("an environment change must count")
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"fn", "fn:1", "arn:aws:lambda:us-east-1:000000000000:function:fn:live", "a:b:c:d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err != nil {
			if !errors.Is(err, ErrValidation) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if ref.Name == "" || len(ref.Name) > MaxNameLen || strings.ContainsAny(ref.Name, ":/ ") {
			t.Fatalf("ParseRef(%q) accepted name %q", s, ref.Name)
		}
	})
}

func TestTraceHeader(t *testing.T) {
	tests := []struct {
		caller string
		active bool
		want   string // "" with active: a made-up sampled header
	}{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0", false, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0"},
		{"", false, ""},
		{"Root=1-5759e988-bd862e3fe1be46a994272793", true, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?", true, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0", true, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0"},
	}
	for _, tt := range tests {
		if got := TraceHeader(tt.caller, tt.active); got != tt.want {
			t.Errorf("TraceHeader(%q, %v) = %q, want %q", tt.caller, tt.active, got, tt.want)
		}
	}
	if got := TraceHeader("", true); !strings.HasPrefix(got, "Root=1-") || !strings.HasSuffix(got, ";Sampled=1") || len(got) != len("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1") {
		t.Errorf("made-up header %q", got)
	}
}
