package api

import (
	"net/http"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

type updateCodeInput struct {
	ZipFile       []byte   `json:"ZipFile"`
	S3Bucket      string   `json:"S3Bucket"`
	ImageUri      string   `json:"ImageUri"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionId    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

func (s *Server) updateFunctionCode(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in updateCodeInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if in.ImageUri != "" {
		return s.updateImageCode(w, r, &in)
	}
	if in.S3Bucket != "" {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Hearth accepts code as ZipFile only.")
	}
	if len(in.ZipFile) == 0 {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Please provide a source for function code.")
	}
	if err := checkZipArch(in.ZipFile); err != nil {
		return err
	}
	// The package is unpacked and flushed before the write transaction,
	// which would otherwise stall every other write (async 202s included)
	// for as long. Its digest is held until the update commits or fails.
	release := s.holdCode(in.ZipFile)
	info, err := s.opts.Code.Put(in.ZipFile)
	if err != nil {
		release()
		return err
	}
	err = s.update(w, r, in.RevisionId, in.Publish, release, func(c *function.Config) (string, error) {
		if c.PackageType == function.PackageImage {
			return "", errorf(http.StatusBadRequest, typeInvalidParam, "Please provide ImageUri when updating a function with packageType Image.")
		}
		if len(in.Architectures) > 0 {
			c.Architectures = in.Architectures
		}
		if err := c.Validate(); err != nil {
			return "", err
		}
		if err := checkCodeWithLayers(in.ZipFile, c.Layers); err != nil {
			return "", err
		}
		old := c.CodeSHA256
		c.CodeSHA256, c.CodeSha256Base64, c.CodeSize = info.SHA256, info.CodeSha256, info.Size
		return old, nil
	})
	if err != nil {
		s.dropCode(info.SHA256) // unless something else refers to it
	}
	return err
}

type updateConfigInput struct {
	Role        *string      `json:"Role"`
	Handler     *string      `json:"Handler"`
	Description *string      `json:"Description"`
	Runtime     *string      `json:"Runtime"`
	RevisionId  string       `json:"RevisionId"`
	ImageConfig *imageConfig `json:"ImageConfig"`
	configFields
	layersField
}

func (s *Server) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in updateConfigInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	layers, err := s.layersUpdate(in.Layers)
	if err != nil {
		return err
	}
	defer layers.done()
	err = s.update(w, r, in.RevisionId, false, func() {}, func(c *function.Config) (string, error) {
		if err := layers.apply(c); err != nil {
			return "", err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&c.Role, in.Role)
		set(&c.Handler, in.Handler)
		set(&c.Description, in.Description)
		set(&c.Runtime, in.Runtime)
		if in.ImageConfig != nil {
			c.ImageConfig = in.ImageConfig.toFunction()
		}
		if err := s.applyConfig(c, &in.configFields); err != nil {
			return "", err
		}
		return "", c.Validate()
	})
	if err == nil {
		layers.committed()
	}
	return err
}

// update runs change on $LATEST under the function's lock, checks the
// caller's RevisionId, stores the result with a new revision and answers
// with the new configuration. change returns the code digest it replaced,
// if any, so that an orphaned package can be removed. release is called
// once the update has committed or failed, before any package is removed.
func (s *Server) update(w http.ResponseWriter, r *http.Request, revision string, publish bool, release func(), change func(*function.Config) (string, error)) error {
	defer release()
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	var replaced, added string
	fn, err := s.opts.Store.UpdateFunction(ref.Name, func(fn *function.Function) error {
		if revision != "" && revision != fn.Latest.RevisionID {
			return staleRevision()
		}
		c := fn.Latest
		old, err := change(&c)
		if err != nil {
			return err
		}
		if old != "" && old != c.CodeSHA256 {
			replaced, added = old, c.CodeSHA256
		}
		c.Touch(time.Now())
		fn.Latest = c
		return nil
	})
	release()
	if err != nil {
		if added != "" {
			s.dropCode(added)
		}
		if isNotFound(err) {
			return s.notFound(ref)
		}
		return err
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	if replaced != "" {
		s.dropCode(replaced)
	}
	s.log.InfoContext(r.Context(), "function updated", "function", ref.Name, "revision", fn.Latest.RevisionID)
	if publish {
		v, _, err := s.opts.Store.PublishVersion(ref.Name, "", nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.configuration(v))
		return nil
	}
	writeJSON(w, http.StatusOK, s.configuration(&fn.Latest))
	return nil
}

// configFields are the settings CreateFunction and
// UpdateFunctionConfiguration share; nil means "not given".
type configFields struct {
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Environment      *environment      `json:"Environment"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig"`
	settingsFields
}

// applyConfig sets the fields given in f on c.
func (s *Server) applyConfig(c *function.Config, f *configFields) error {
	applySettings(c, &f.settingsFields)
	if f.Timeout != nil {
		c.TimeoutSec = *f.Timeout
	}
	if f.MemorySize != nil {
		c.MemoryMB = *f.MemorySize
	}
	if f.Environment != nil {
		c.Environment = f.Environment.Variables
	}
	if f.EphemeralStorage != nil {
		c.EphemeralMB = f.EphemeralStorage.Size
	}
	if f.DeadLetterConfig != nil {
		if err := s.checkDestination(f.DeadLetterConfig.TargetArn); err != nil {
			return err
		}
		c.DeadLetterARN = f.DeadLetterConfig.TargetArn
	}
	return nil
}
