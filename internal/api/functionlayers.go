package api

import (
	"net/http"
	"strconv"

	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/function"
)

// layerRef is Lambda's Layer shape in a FunctionConfiguration.
type layerRef struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

func layerRefs(layers []function.Layer) []layerRef {
	if len(layers) == 0 {
		return nil
	}
	out := make([]layerRef, len(layers))
	for i, l := range layers {
		out[i] = layerRef{Arn: l.ARN, CodeSize: l.CodeSize}
	}
	return out
}

// resolveLayers turns a function's Layers parameter into the layer
// versions its configuration records, in order. The caller holds
// s.layerMu (shared) until the configuration is stored; it takes it
// before any function lock.
func (s *Server) resolveLayers(arns []string) ([]function.Layer, error) {
	if err := function.ValidateLayers(arns); err != nil {
		return nil, err
	}
	out := make([]function.Layer, 0, len(arns))
	seen := map[string]string{}
	for _, arn := range arns {
		region, account, name, version, _ := function.ParseLayerVersionARN(arn)
		if prev, ok := seen[name]; ok {
			return nil, errorf(http.StatusBadRequest, typeInvalidParam,
				"Two different versions of the same layer are not allowed to be referenced in the same function. "+
					prev+" and "+arn+" are versions of the same layer.")
		}
		seen[name] = arn
		var lv *function.LayerVersion
		var err error
		if region == s.opts.Region && account == s.opts.Account {
			lv, err = s.opts.Store.LayerVersion(name, version)
		}
		if lv == nil || err != nil {
			return nil, errorf(http.StatusBadRequest, typeInvalidParam, "Layer version "+arn+" does not exist.")
		}
		out = append(out, function.Layer{ARN: arn, CodeSize: lv.CodeSize, CodeSHA256: lv.CodeSHA256, UnzippedSize: lv.UnzippedSize})
	}
	return out, nil
}

// checkUnzipped enforces Lambda's limit on the unzipped size of a
// function's code and its layers together.
func checkUnzipped(code int64, layers []function.Layer) error {
	total := code
	for _, l := range layers {
		total += l.UnzippedSize
	}
	if total > codestore.DefaultMaxUnzippedBytes {
		return errorf(http.StatusBadRequest, typeInvalidParam,
			"Function code combined with layers exceeds the maximum allowed size of "+
				strconv.Itoa(codestore.DefaultMaxUnzippedBytes)+" bytes. The actual size is "+strconv.FormatInt(total, 10)+" bytes.")
	}
	return nil
}

// dropLayers removes the code of layers a configuration no longer uses
// when nothing else refers to it (their versions were deleted).
func (s *Server) dropLayers(old, current []function.Layer) {
	for _, l := range old {
		kept := false
		for _, c := range current {
			kept = kept || c.CodeSHA256 == l.CodeSHA256
		}
		if !kept {
			s.dropCode(l.CodeSHA256)
		}
	}
}

// withLayers resolves the Layers of a new function and checks its code
// and layers against the unzipped size limit.
func (s *Server) withLayers(arns []string, zip []byte) ([]function.Layer, error) {
	if len(arns) == 0 {
		return nil, nil
	}
	layers, err := s.resolveLayers(arns)
	if err != nil {
		return nil, err
	}
	size, err := codestore.DeclaredSize(zip)
	if err != nil {
		return nil, err
	}
	return layers, checkUnzipped(size, layers)
}

// checkCodeWithLayers checks new code against the unzipped size limit
// together with the layers the function already uses.
func checkCodeWithLayers(zip []byte, layers []function.Layer) error {
	if len(layers) == 0 {
		return nil
	}
	size, err := codestore.DeclaredSize(zip)
	if err != nil {
		return err
	}
	return checkUnzipped(size, layers)
}

// layerChange is a change of a function's Layers by
// UpdateFunctionConfiguration; the zero value (nil) changes nothing.
type layerChange struct {
	s      *Server
	layers []function.Layer
	old    []function.Layer
}

// layersUpdate resolves the Layers parameter of an update; nil when it
// was not given. While it is not done, layer versions are not deleted.
func (s *Server) layersUpdate(arns *[]string) (*layerChange, error) {
	if arns == nil {
		return nil, nil
	}
	s.layerMu.RLock()
	layers, err := s.resolveLayers(*arns)
	if err != nil {
		s.layerMu.RUnlock()
		return nil, err
	}
	return &layerChange{s: s, layers: layers}, nil
}

// apply sets the layers on c and checks the size limit.
func (lc *layerChange) apply(c *function.Config) error {
	if lc == nil {
		return nil
	}
	size, err := lc.s.opts.Code.UnzippedSize(c.CodeSHA256)
	if err != nil {
		return err
	}
	if err := checkUnzipped(size, lc.layers); err != nil {
		return err
	}
	lc.old, c.Layers = c.Layers, lc.layers
	return nil
}

// committed removes the code of layers the function stopped using, when
// nothing else uses it.
func (lc *layerChange) committed() {
	if lc != nil {
		lc.s.dropLayers(lc.old, lc.layers)
	}
}

// done releases the layer lock.
func (lc *layerChange) done() {
	if lc != nil {
		lc.s.layerMu.RUnlock()
	}
}

// layersField is the Layers parameter of UpdateFunctionConfiguration; nil
// when not given, so that an empty list removes every layer.
type layersField struct {
	Layers *[]string `json:"Layers"`
}
