package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/images"
)

// Images pulls and unpacks the images of PackageType Image functions.
type Images interface {
	Fetch(ctx context.Context, uri string) (images.Image, error)
}

// imageConfig is Lambda's ImageConfig shape.
type imageConfig struct {
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	Command          []string `json:"Command,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

func (ic *imageConfig) toFunction() *function.ImageConfig {
	if ic == nil {
		return nil
	}
	return &function.ImageConfig{EntryPoint: ic.EntryPoint, Command: ic.Command, WorkingDirectory: ic.WorkingDirectory}
}

// imageConfigResponse is Lambda's ImageConfigResponse.
type imageConfigResponse struct {
	ImageConfig imageConfig `json:"ImageConfig"`
}

func imageConfigResponseOf(c *function.Config) *imageConfigResponse {
	if c.ImageConfig == nil {
		return nil
	}
	ic := c.ImageConfig
	return &imageConfigResponse{ImageConfig: imageConfig{EntryPoint: ic.EntryPoint, Command: ic.Command, WorkingDirectory: ic.WorkingDirectory}}
}

// fetchImage pulls an image function's image and returns it, answering
// as Lambda does for an image that does not exist or cannot run here.
func (s *Server) fetchImage(ctx context.Context, uri string) (images.Image, error) {
	if s.opts.Images == nil {
		return images.Image{}, errorf(http.StatusBadRequest, typeInvalidParam, "Container image functions are not enabled on this server.")
	}
	im, err := s.opts.Images.Fetch(ctx, uri)
	switch {
	case errors.Is(err, images.ErrNotFound):
		return im, errorf(http.StatusBadRequest, typeInvalidParam, "Source image "+uri+" does not exist. Provide a valid source image.")
	case errors.Is(err, images.ErrPlatform):
		return im, errorf(http.StatusBadRequest, typeInvalidParam, "The image manifest, config or layer media type for the source image "+uri+
			" is not supported: "+err.Error())
	case errors.Is(err, images.ErrTooLarge):
		return im, errorf(http.StatusBadRequest, typeInvalidParam, "Image size must be smaller than 10737418240 bytes: "+uri)
	case err != nil:
		s.log.Warn("image pull failed", "image", uri, "err", err)
		return im, errorf(http.StatusBadRequest, typeInvalidParam, "Source image "+uri+" is not valid. Provide a valid source image.")
	}
	return im, nil
}

// setImage records an unpacked image as c's code.
func setImage(c *function.Config, uri string, im images.Image) {
	c.PackageType, c.ImageURI, c.ImageDigest = function.PackageImage, uri, im.Digest
	c.CodeSHA256, c.CodeSize = "", 0
	c.CodeSha256Base64 = strings.TrimPrefix(im.Digest, "sha256:")
}

// createImageFunction is CreateFunction with PackageType Image.
func (s *Server) createImageFunction(w http.ResponseWriter, r *http.Request, in *createFunctionInput, name string) error {
	if in.Code.ImageUri == "" {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Please provide ImageUri when creating a function with packageType Image.")
	}
	if in.PackageType != function.PackageImage {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Please provide PackageType Image when the function's code is an ImageUri.")
	}
	c, err := s.newImageConfig(in, name)
	if err != nil {
		return err
	}
	if _, err := s.opts.Store.Function(c.Name); err == nil {
		return errorf(http.StatusConflict, typeConflict, "Function already exist: "+c.Name)
	}
	im, err := s.fetchImage(r.Context(), in.Code.ImageUri)
	if err != nil {
		return err
	}
	setImage(c, in.Code.ImageUri, im)
	unlock := s.lock(c.Name)
	defer unlock()
	c.Touch(time.Now())
	fn := &function.Function{Latest: *c, Tags: in.Tags}
	if err := s.opts.Store.CreateFunction(fn); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "function created", "function", c.Name, "image", c.ImageURI, "digest", c.ImageDigest)
	if in.Publish {
		v, _, err := s.opts.Store.PublishVersion(c.Name, "", nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, s.configuration(v))
		return nil
	}
	writeJSON(w, http.StatusCreated, s.configuration(&fn.Latest))
	return nil
}

// newImageConfig is the validated configuration of a new image function.
func (s *Server) newImageConfig(in *createFunctionInput, name string) (*function.Config, error) {
	if len(in.Layers) > 0 {
		return nil, errorf(http.StatusBadRequest, typeInvalidParam, "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.")
	}
	c := &function.Config{
		Name: name, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, PackageType: function.PackageImage,
		Description: in.Description, Architectures: in.Architectures, ImageConfig: in.ImageConfig.toFunction(),
	}
	c.ApplyDefaults()
	if err := s.applyConfig(c, &in.configFields); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// updateImageCode is UpdateFunctionCode with an ImageUri: a new digest is
// a code update, and the function's environments start anew.
func (s *Server) updateImageCode(w http.ResponseWriter, r *http.Request, in *updateCodeInput) error {
	im, err := s.fetchImage(r.Context(), in.ImageUri)
	if err != nil {
		return err
	}
	return s.update(w, r, in.RevisionId, in.Publish, func() {}, func(c *function.Config) (string, error) {
		if c.PackageType != function.PackageImage {
			return "", errorf(http.StatusBadRequest, typeInvalidParam, "Please provide ZipFile when updating a function with packageType Zip.")
		}
		if len(in.Architectures) > 0 {
			c.Architectures = in.Architectures
		}
		setImage(c, in.ImageUri, im)
		return "", c.Validate()
	})
}

// imageCode is GetFunction's Code of an image function.
func imageCode(c *function.Config) map[string]string {
	repo := c.ImageURI
	if i := strings.LastIndex(repo, "@"); i >= 0 {
		repo = repo[:i]
	} else if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return map[string]string{"RepositoryType": "ECR", "ImageUri": c.ImageURI, "ResolvedImageUri": repo + "@" + c.ImageDigest}
}
