package function

import (
	"crypto/rand"
	"strconv"
	"time"
)

// URL auth types and invoke modes, as Lambda names them.
const (
	AuthNone          = "NONE"
	AuthIAM           = "AWS_IAM"
	InvokeBuffered    = "BUFFERED"
	InvokeStreaming   = "RESPONSE_STREAM"
	urlIDAlphabet     = "abcdefghijklmnopqrstuvwxyz0123456789"
	urlIDLength       = 32
	maxCorsListLength = 100
)

// URLConfig is the function URL of $LATEST (Qualifier "" or "$LATEST") or
// of an alias.
type URLConfig struct {
	Function     string    `json:"function"`
	Qualifier    string    `json:"qualifier,omitempty"`
	URLID        string    `json:"urlID"` // the host's first label: 32 of [a-z0-9]
	AuthType     string    `json:"authType"`
	InvokeMode   string    `json:"invokeMode"`
	Cors         *Cors     `json:"cors,omitempty"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
}

// Cors is a function URL's cross-origin resource sharing configuration,
// with Lambda's field names.
type Cors struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

// NewURLID returns a random URL id: 32 lowercase letters and digits, as
// Lambda's url-id.
func NewURLID() string {
	b := make([]byte, urlIDLength)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = urlIDAlphabet[int(b[i])%len(urlIDAlphabet)]
	}
	return string(b)
}

// PolicyQualifier is the qualifier of the resource policy that governs the
// URL: "" for $LATEST, else the alias.
func (u *URLConfig) PolicyQualifier() string {
	if u.Qualifier == Latest {
		return ""
	}
	return u.Qualifier
}

// ValidateURLSettings checks AuthType, InvokeMode and Cors as Lambda does.
func ValidateURLSettings(authType, invokeMode string, cors *Cors) error {
	switch authType {
	case AuthNone, AuthIAM:
	default:
		return validationf("authType", authType, "Member must satisfy enum value set: [NONE, AWS_IAM]")
	}
	switch invokeMode {
	case "", InvokeBuffered, InvokeStreaming:
	default:
		return validationf("invokeMode", invokeMode, "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]")
	}
	if cors == nil {
		return nil
	}
	if cors.MaxAge < 0 || cors.MaxAge > 86400 {
		return validationf("cors.maxAge", strconv.Itoa(cors.MaxAge), "Member must have value less than or equal to 86400")
	}
	for _, l := range [][]string{cors.AllowHeaders, cors.AllowMethods, cors.AllowOrigins, cors.ExposeHeaders} {
		if len(l) > maxCorsListLength {
			return validationf("cors", "", "Member must have length less than or equal to 100")
		}
	}
	return nil
}
