package store

import "github.com/hearth-run/hearth/internal/function"

// Metadata is everything Hearth keeps about functions and their settings.
// It has two implementations: *Store (bbolt, one machine) and the
// JetStream store of internal/jsstore (a cluster). Both pass the
// conformance suite in internal/store/storetest.
//
// Every method with a change or check callback applies it atomically: the
// change is computed from the current stored value and written only if
// nothing else changed that value meanwhile. An implementation may call a
// callback more than once (a replicated store retries on a lost
// compare-and-set), so callbacks must depend only on their arguments.
// Errors wrap ErrNotFound, ErrExists, ErrInUse and the error types of
// this package exactly as *Store's do.
type Metadata interface {
	Functions
	Versions
	Aliases
	EventConfigs
	Rules
	Layers
	Policies
	URLs
	// Close releases the store.
	Close() error
}

// Functions stores functions and their $LATEST configuration.
type Functions interface {
	CreateFunction(fn *function.Function) error
	Function(name string) (*function.Function, error)
	UpdateFunction(name string, change func(*function.Function) error) (*function.Function, error)
	DeleteFunction(name string) error
	ListFunctions(marker string, max int) ([]*function.Function, string, error)
	CodeInUse(sha string) (bool, error)
}

// Versions stores published versions.
type Versions interface {
	PublishVersion(name, description string, check func(*function.Function) error) (*function.Config, bool, error)
	Version(name, version string) (*function.Config, error)
	Versions(name string) ([]*function.Config, error)
	DeleteVersion(name, version string) error
}

// Aliases stores aliases and provisioned concurrency configurations.
type Aliases interface {
	CreateAlias(a *function.Alias) error
	Alias(name, alias string) (*function.Alias, error)
	UpdateAlias(name, alias string, change func(*function.Alias) error) (*function.Alias, error)
	DeleteAlias(name, alias string) error
	Aliases(name string) ([]*function.Alias, error)
	PutProvisioned(p *function.Provisioned) error
	Provisioned(name, qualifier string) (*function.Provisioned, error)
	DeleteProvisioned(name, qualifier string) error
	ProvisionedConfigs(name string) ([]*function.Provisioned, error)
}

// EventConfigs stores asynchronous invocation configurations.
type EventConfigs interface {
	PutEventInvokeConfig(name, qualifier string, change func(*function.EventInvokeConfig, bool) error) (*function.EventInvokeConfig, error)
	EventInvokeConfig(name, qualifier string) (*function.EventInvokeConfig, error)
	DeleteEventInvokeConfig(name, qualifier string) error
	ListEventInvokeConfigs(name string) ([]*function.EventInvokeConfig, error)
}

// Rules stores scheduled rules.
type Rules interface {
	PutRule(name string, change func(r *Rule, existed bool) error) (*Rule, error)
	UpdateRule(name string, change func(r *Rule) error) (*Rule, error)
	Rule(name string) (*Rule, error)
	DeleteRule(name string) error
	ListRules() ([]*Rule, error)
}

// Layers stores layer versions.
type Layers interface {
	PublishLayerVersion(lv *function.LayerVersion) (*function.LayerVersion, error)
	LayerVersion(name string, version int64) (*function.LayerVersion, error)
	LayerVersions(name string) ([]*function.LayerVersion, error)
	Layers() ([]string, error)
	UpdateLayerVersion(name string, version int64, change func(*function.LayerVersion) error) (*function.LayerVersion, error)
	DeleteLayerVersion(name string, version int64) (*function.LayerVersion, error)
}

// Policies stores resource-based policies.
type Policies interface {
	AddStatement(name, qualifier string, st function.Statement, check PolicyCheck) (*function.Policy, error)
	RemoveStatement(name, qualifier, sid string, check PolicyCheck) error
	Policy(name, qualifier string) (*function.Policy, error)
}

// URLs stores function URL configurations.
type URLs interface {
	CreateURLConfig(c *function.URLConfig) error
	URLConfig(name, qualifier string) (*function.URLConfig, error)
	URLConfigByID(id string) (*function.URLConfig, error)
	UpdateURLConfig(name, qualifier string, change func(*function.URLConfig) error) (*function.URLConfig, error)
	DeleteURLConfig(name, qualifier string) error
	URLConfigs(name string) ([]*function.URLConfig, error)
}

var _ Metadata = (*Store)(nil)
