package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// LayerStore is the metadata of layer versions the API reads and writes.
type LayerStore interface {
	PublishLayerVersion(lv *function.LayerVersion) (*function.LayerVersion, error)
	LayerVersion(name string, version int64) (*function.LayerVersion, error)
	LayerVersions(name string) ([]*function.LayerVersion, error)
	Layers() ([]string, error)
	UpdateLayerVersion(name string, version int64, change func(*function.LayerVersion) error) (*function.LayerVersion, error)
	DeleteLayerVersion(name string, version int64) (*function.LayerVersion, error)
}

// layerRoutes registers Lambda's layer API (2018-10-31).
func (s *Server) layerRoutes() {
	l := "/2018-10-31/layers"
	s.handle("GET "+l, "ListLayers", maxSmallRequest, s.listLayers)
	s.handle("GET "+l+"/{$}", "ListLayers", maxSmallRequest, s.listLayers)
	s.handle("POST "+l+"/{layer}/versions", "PublishLayerVersion", maxManageRequest, s.publishLayerVersion)
	s.handle("GET "+l+"/{layer}/versions", "ListLayerVersions", maxSmallRequest, s.listLayerVersions)
	v := l + "/{layer}/versions/{version}"
	s.handle("GET "+v, "GetLayerVersion", maxSmallRequest, s.getLayerVersion)
	s.handle("DELETE "+v, "DeleteLayerVersion", maxSmallRequest, s.deleteLayerVersion)
	s.handle("POST "+v+"/policy", "AddLayerVersionPermission", maxSmallRequest, s.addLayerPermission)
	s.handle("GET "+v+"/policy", "GetLayerVersionPolicy", maxSmallRequest, s.getLayerPolicy)
	s.handle("DELETE "+v+"/policy/{sid}", "RemoveLayerVersionPermission", maxSmallRequest, s.removeLayerPermission)
}

// layerVersionOutput is Lambda's GetLayerVersion/PublishLayerVersion shape.
type layerVersionOutput struct {
	Content                 layerContent `json:"Content"`
	LayerArn                string       `json:"LayerArn"`
	LayerVersionArn         string       `json:"LayerVersionArn"`
	Description             string       `json:"Description,omitempty"`
	CreatedDate             string       `json:"CreatedDate"`
	Version                 int64        `json:"Version"`
	CompatibleRuntimes      []string     `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string       `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string     `json:"CompatibleArchitectures,omitempty"`
}

type layerContent struct {
	Location   string `json:"Location"`
	CodeSha256 string `json:"CodeSha256"`
	CodeSize   int64  `json:"CodeSize"`
}

// layerVersionsListItem is Lambda's LayerVersionsListItem shape.
type layerVersionsListItem struct {
	LayerVersionArn         string   `json:"LayerVersionArn"`
	Version                 int64    `json:"Version"`
	Description             string   `json:"Description,omitempty"`
	CreatedDate             string   `json:"CreatedDate"`
	CompatibleRuntimes      []string `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string   `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string `json:"CompatibleArchitectures,omitempty"`
}

func (s *Server) layerVersionARN(lv *function.LayerVersion) string {
	return function.LayerVersionARN(s.opts.Region, s.opts.Account, lv.Name, lv.Version)
}

func (s *Server) layerVersion(r *http.Request, lv *function.LayerVersion) layerVersionOutput {
	return layerVersionOutput{
		Content: layerContent{
			Location:   s.codeURL(r, &function.Config{CodeSHA256: lv.CodeSHA256}),
			CodeSha256: lv.CodeSha256Base64, CodeSize: lv.CodeSize,
		},
		LayerArn:        function.LayerARN(s.opts.Region, s.opts.Account, lv.Name),
		LayerVersionArn: s.layerVersionARN(lv), Description: lv.Description,
		CreatedDate: lv.Created.Format(lambdaTime), Version: lv.Version,
		CompatibleRuntimes: lv.CompatibleRuntimes, LicenseInfo: lv.LicenseInfo,
		CompatibleArchitectures: lv.CompatibleArchitectures,
	}
}

func (s *Server) layerListItem(lv *function.LayerVersion) layerVersionsListItem {
	return layerVersionsListItem{
		LayerVersionArn: s.layerVersionARN(lv), Version: lv.Version, Description: lv.Description,
		CreatedDate: lv.Created.Format(lambdaTime), CompatibleRuntimes: lv.CompatibleRuntimes,
		LicenseInfo: lv.LicenseInfo, CompatibleArchitectures: lv.CompatibleArchitectures,
	}
}

type publishLayerInput struct {
	Content struct {
		ZipFile  []byte `json:"ZipFile"`
		S3Bucket string `json:"S3Bucket"`
	} `json:"Content"`
	Description             string   `json:"Description"`
	LicenseInfo             string   `json:"LicenseInfo"`
	CompatibleRuntimes      []string `json:"CompatibleRuntimes"`
	CompatibleArchitectures []string `json:"CompatibleArchitectures"`
}

func (in *publishLayerInput) validate() error {
	switch {
	case in.Content.S3Bucket != "":
		return errorf(http.StatusBadRequest, typeInvalidParam, "Hearth has no S3: upload the layer as Content.ZipFile.")
	case len(in.Content.ZipFile) == 0:
		return errorf(http.StatusBadRequest, typeInvalidParam, "Please provide a source for layer content.")
	case len(in.Description) > function.MaxDescriptionLen:
		return validation("description", in.Description, "Member must have length less than or equal to 256")
	case len(in.LicenseInfo) > 512:
		return validation("licenseInfo", in.LicenseInfo, "Member must have length less than or equal to 512")
	case len(in.CompatibleRuntimes) > 15:
		return validation("compatibleRuntimes", "", "Member must have length less than or equal to 15")
	case len(in.CompatibleArchitectures) > 2:
		return validation("compatibleArchitectures", "", "Member must have length less than or equal to 2")
	}
	for _, a := range in.CompatibleArchitectures {
		if a != "x86_64" && a != "arm64" {
			return validation("compatibleArchitectures", a, "Member must satisfy enum value set: [x86_64, arm64]")
		}
	}
	return nil
}

func validation(field, value, constraint string) error {
	return errorf(http.StatusBadRequest, typeValidation,
		"1 validation error detected: Value '"+value+"' at '"+field+"' failed to satisfy constraint: "+constraint)
}

func (s *Server) publishLayerVersion(w http.ResponseWriter, r *http.Request, body []byte) error {
	name, err := function.ParseLayerName(r.PathValue("layer"))
	if err != nil {
		return err
	}
	var in publishLayerInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	// Publishing and deleting hold layerMu so that deleting a version never
	// removes code a concurrent publish of the same content has just stored.
	s.layerMu.Lock()
	defer s.layerMu.Unlock()
	release := s.holdCode(in.Content.ZipFile) // until the version that refers to it commits
	defer release()
	info, err := s.opts.Code.Put(in.Content.ZipFile)
	if err != nil {
		return err
	}
	unzipped, err := s.opts.Code.UnzippedSize(info.SHA256)
	if err != nil {
		return err
	}
	lv, err := s.opts.Store.PublishLayerVersion(&function.LayerVersion{
		Name: name, Description: in.Description, LicenseInfo: in.LicenseInfo,
		CompatibleRuntimes: in.CompatibleRuntimes, CompatibleArchitectures: in.CompatibleArchitectures,
		CodeSHA256: info.SHA256, CodeSha256Base64: info.CodeSha256, CodeSize: info.Size, UnzippedSize: unzipped,
		Created: time.Now().UTC(),
	})
	release()
	if err != nil {
		s.dropCode(info.SHA256)
		return err
	}
	s.log.InfoContext(r.Context(), "layer version published", "layer", name, "version", lv.Version, "codeSize", lv.CodeSize)
	writeJSON(w, http.StatusCreated, s.layerVersion(r, lv))
	return nil
}

// layerNotFound is Lambda's answer for a layer version that does not exist.
func layerNotFound() error {
	return errorf(http.StatusNotFound, typeNotFound, "The resource you requested does not exist.")
}

// lookupLayer resolves the {layer} and {version} path parameters.
func (s *Server) lookupLayer(r *http.Request) (*function.LayerVersion, error) {
	name, err := function.ParseLayerName(r.PathValue("layer"))
	if err != nil {
		return nil, err
	}
	version, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || version < 1 {
		return nil, validation("versionNumber", r.PathValue("version"), "Member must have value greater than or equal to 1")
	}
	return s.findLayer(name, version)
}

func (s *Server) findLayer(name string, version int64) (*function.LayerVersion, error) {
	lv, err := s.opts.Store.LayerVersion(name, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, layerNotFound()
	}
	return lv, err
}

func (s *Server) getLayerVersion(w http.ResponseWriter, r *http.Request, _ []byte) error {
	lv, err := s.lookupLayer(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.layerVersion(r, lv))
	return nil
}

// getLayerVersionByARN answers GET /2018-10-31/layers?find=LayerVersion&Arn=.
func (s *Server) getLayerVersionByARN(w http.ResponseWriter, r *http.Request) error {
	arn := r.URL.Query().Get("Arn")
	_, _, name, version, ok := function.ParseLayerVersionARN(arn)
	if !ok {
		return validation("arn", arn, "Member must satisfy regular expression pattern: "+
			`(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)`)
	}
	lv, err := s.findLayer(name, version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.layerVersion(r, lv))
	return nil
}

func (s *Server) deleteLayerVersion(w http.ResponseWriter, r *http.Request, _ []byte) error {
	s.layerMu.Lock()
	defer s.layerMu.Unlock()
	lv, err := s.lookupLayer(r)
	var ae *awsError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		// Lambda answers a delete of a missing version with success.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.opts.Store.DeleteLayerVersion(lv.Name, lv.Version); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Functions that use the version keep its code: they refer to it.
	s.dropCode(lv.CodeSHA256)
	s.log.InfoContext(r.Context(), "layer version deleted", "layer", lv.Name, "version", lv.Version)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// layerFilter is the CompatibleRuntime/CompatibleArchitecture filter of
// the list operations.
type layerFilter struct{ runtime, arch string }

func (f layerFilter) match(lv *function.LayerVersion) bool {
	return (f.runtime == "" || slices.Contains(lv.CompatibleRuntimes, f.runtime)) &&
		(f.arch == "" || slices.Contains(lv.CompatibleArchitectures, f.arch))
}

// listParams reads the filter and paging parameters of the list operations.
func listParams(r *http.Request) (layerFilter, string, int, error) {
	q := r.URL.Query()
	max := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return layerFilter{}, "", 0, validation("maxItems", v, "Member must have value between 1 and 50")
		}
		max = n
	}
	f := layerFilter{runtime: q.Get("CompatibleRuntime"), arch: q.Get("CompatibleArchitecture")}
	if f.arch != "" && f.arch != "x86_64" && f.arch != "arm64" {
		return layerFilter{}, "", 0, validation("compatibleArchitecture", f.arch, "Member must satisfy enum value set: [x86_64, arm64]")
	}
	return f, q.Get("Marker"), max, nil
}

func (s *Server) listLayerVersions(w http.ResponseWriter, r *http.Request, _ []byte) error {
	name, err := function.ParseLayerName(r.PathValue("layer"))
	if err != nil {
		return err
	}
	f, marker, max, err := listParams(r)
	if err != nil {
		return err
	}
	versions, err := s.opts.Store.LayerVersions(name)
	if err != nil {
		return err
	}
	// The marker is the number of the last version of the previous page;
	// versions come newest first.
	after := int64(-1)
	if marker != "" {
		if after, err = strconv.ParseInt(marker, 10, 64); err != nil {
			return errorf(http.StatusBadRequest, typeInvalidParam, "Invalid marker: "+marker)
		}
	}
	out := struct {
		NextMarker    string                  `json:"NextMarker,omitempty"`
		LayerVersions []layerVersionsListItem `json:"LayerVersions"`
	}{LayerVersions: []layerVersionsListItem{}}
	for _, lv := range versions {
		if after >= 0 && lv.Version >= after || !f.match(lv) {
			continue
		}
		if len(out.LayerVersions) == max {
			out.NextMarker = strconv.FormatInt(out.LayerVersions[max-1].Version, 10)
			break
		}
		out.LayerVersions = append(out.LayerVersions, s.layerListItem(lv))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// layersListItem is Lambda's LayersListItem shape.
type layersListItem struct {
	LayerName             string                `json:"LayerName"`
	LayerArn              string                `json:"LayerArn"`
	LatestMatchingVersion layerVersionsListItem `json:"LatestMatchingVersion"`
}

// listLayers answers ListLayers, and GetLayerVersionByArn, which shares
// its path.
func (s *Server) listLayers(w http.ResponseWriter, r *http.Request, _ []byte) error {
	if r.URL.Query().Get("find") == "LayerVersion" {
		return s.getLayerVersionByARN(w, r)
	}
	f, marker, max, err := listParams(r)
	if err != nil {
		return err
	}
	names, err := s.opts.Store.Layers()
	if err != nil {
		return err
	}
	out := struct {
		NextMarker string           `json:"NextMarker,omitempty"`
		Layers     []layersListItem `json:"Layers"`
	}{Layers: []layersListItem{}}
	for _, name := range names {
		if marker != "" && name <= marker {
			continue
		}
		versions, err := s.opts.Store.LayerVersions(name)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(versions, f.match)
		if i < 0 {
			continue
		}
		if len(out.Layers) == max {
			out.NextMarker = out.Layers[max-1].LayerName
			break
		}
		out.Layers = append(out.Layers, layersListItem{
			LayerName: name, LayerArn: function.LayerARN(s.opts.Region, s.opts.Account, name),
			LatestMatchingVersion: s.layerListItem(versions[i]),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// layerCodeSize is the size of every stored layer version's zip, which
// Lambda counts in the account's TotalCodeSize.
func (s *Server) layerCodeSize() (int64, error) {
	names, err := s.opts.Store.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, name := range names {
		versions, err := s.opts.Store.LayerVersions(name)
		if err != nil {
			return 0, err
		}
		for _, lv := range versions {
			total += lv.CodeSize
		}
	}
	return total, nil
}
