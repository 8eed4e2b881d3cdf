package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// DefaultEndpoint is where `hearth serve` listens unless told otherwise.
const DefaultEndpoint = "http://127.0.0.1:9911"

// DefaultRegion is the region requests are signed for when none is given.
const DefaultRegion = "us-east-1"

// maxResponse bounds the body read from one of Hearth's own endpoints.
const maxResponse = 64 << 20

// Options configures a Client.
type Options struct {
	// Endpoint is the base URL of Hearth's API. Empty means DefaultEndpoint.
	Endpoint string
	// Region is the region requests are signed for. Empty means
	// DefaultRegion.
	Region string
	// AccessKeyID and SecretAccessKey sign every request. Required.
	AccessKeyID     string
	SecretAccessKey string
	// RequestTimeout bounds each request to Hearth's own endpoints. Zero
	// means 30 s. Lambda API calls are bounded by their context only, as an
	// invocation may run for up to 15 minutes.
	RequestTimeout time.Duration
	// HTTPClient sends the requests. Nil means a new http.Client, which
	// trusts CABundle when it is set.
	HTTPClient *http.Client
	// CABundle is a PEM file of certificate authorities to trust for an
	// https:// endpoint (as the SDKs' AWS_CA_BUNDLE), beside the system's.
	CABundle string
}

// Client talks to one Hearth.
type Client struct {
	opts   Options
	creds  aws.Credentials
	signer *v4.Signer
	lambda *lambda.Client
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if opts.AccessKeyID == "" || opts.SecretAccessKey == "" {
		return nil, ErrNoCredentials
	}
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	opts.Endpoint = strings.TrimRight(opts.Endpoint, "/")
	if u, err := url.Parse(opts.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want http://host:port or https://host:port", opts.Endpoint)
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		hc, err := httpClient(opts.CABundle)
		if err != nil {
			return nil, err
		}
		opts.HTTPClient = hc
	}
	opts.HTTPClient = withReach(opts.HTTPClient, opts.Endpoint)
	provider := credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, "")
	c := &Client{
		opts:   opts,
		creds:  aws.Credentials{AccessKeyID: opts.AccessKeyID, SecretAccessKey: opts.SecretAccessKey},
		signer: v4.NewSigner(),
		lambda: lambda.New(lambda.Options{
			Region: opts.Region, BaseEndpoint: aws.String(opts.Endpoint),
			Credentials: provider, HTTPClient: opts.HTTPClient,
		}),
	}
	return c, nil
}

// Lambda returns the Lambda API client.
func (c *Client) Lambda() *lambda.Client { return c.lambda }

// emptySHA256 is the hex SHA-256 of an empty body.
var emptySHA256 = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// get sends a signed GET for one of Hearth's own endpoints and returns the
// body of a 200 answer; any other answer becomes an *APIError.
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	u := c.opts.Endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if err := c.signer.SignHTTP(ctx, c.creds, req, emptySHA256, "lambda", c.opts.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign GET %s: %w", path, err)
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp, body)
	}
	return body, nil
}

// apiError decodes Lambda's error shape: the type in X-Amzn-ErrorType, the
// message in the JSON body.
func apiError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, Type: resp.Header.Get("X-Amzn-ErrorType")}
	if i := strings.IndexByte(e.Type, ':'); i >= 0 {
		e.Type = e.Type[:i]
	}
	var shape struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(body, &shape) == nil {
		e.Message = shape.Message + shape.Message2
	}
	if e.Type == "" {
		e.Type = "HTTP" + strconv.Itoa(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
	}
	return e
}

// Environment is one live execution environment.
type Environment struct {
	ID          string `json:"id"`
	Function    string `json:"function"`
	Version     string `json:"version"`
	LogStream   string `json:"logStream"`
	State       string `json:"state"` // Starting, Idle or Busy
	Frozen      bool   `json:"frozen"`
	Provisioned bool   `json:"provisioned"`
	Invocations int    `json:"invocations"`
	Pid         int    `json:"pid"`
}

// Environments lists the live environments, of one function when function
// is not empty.
func (c *Client) Environments(ctx context.Context, function string) ([]Environment, error) {
	q := url.Values{}
	if function != "" {
		q.Set("function", function)
	}
	body, err := c.get(ctx, "/hearth/environments", q)
	if err != nil {
		return nil, err
	}
	var out struct{ Environments []Environment }
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode environments: %w", err)
	}
	return out.Environments, nil
}

// Stream describes one stored log stream.
type Stream struct {
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	LastWrite time.Time `json:"lastWrite"`
}

// Streams lists the function's log streams, newest write first.
func (c *Client) Streams(ctx context.Context, function string) ([]Stream, error) {
	body, err := c.get(ctx, "/hearth/logs/"+url.PathEscape(function), nil)
	if err != nil {
		return nil, err
	}
	var out struct{ Streams []Stream }
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode log streams: %w", err)
	}
	return out.Streams, nil
}

// ReadStream returns the text of one log stream from byte offset on.
func (c *Client) ReadStream(ctx context.Context, function, stream string, offset int64) ([]byte, error) {
	q := url.Values{"stream": {stream}}
	if offset > 0 {
		q.Set("offset", strconv.FormatInt(offset, 10))
	}
	return c.get(ctx, "/hearth/logs/"+url.PathEscape(function), q)
}

// ConsoleLogin is a one-time login URL of the web console.
type ConsoleLogin struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// ConsoleURL asks Hearth, with a signed request, for a one-time login URL
// of its web console.
func (c *Client) ConsoleURL(ctx context.Context) (*ConsoleLogin, error) {
	body, err := c.get(ctx, "/console/signed/login-url", nil)
	if err != nil {
		return nil, err
	}
	var out ConsoleLogin
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode console login: %w", err)
	}
	return &out, nil
}
