package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
)

// InvokeRequest and InvokeResult are the invoke package's types; the aliases
// keep the Invoker interface readable.
type (
	InvokeRequest = invoke.Request
	InvokeResult  = invoke.Result
)

const maxClientContext = 3583

// jsonContentType is shared by the answers to every invocation; net/http
// only reads it.
var jsonContentType = []string{"application/json"}

func (s *Server) invoke(w http.ResponseWriter, r *http.Request, body []byte) error {
	req, err := s.invokeRequest(r, body)
	if err != nil {
		return err
	}
	switch req.Type {
	case invoke.RequestResponse, invoke.Event, invoke.DryRun:
	default:
		return errorf(http.StatusBadRequest, typeInvalidParam, "1 validation error detected: Value '"+sanitize(req.Type)+"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	res, err := s.opts.Invoker.Invoke(r.Context(), req)
	if err != nil {
		return err
	}
	wh := w.Header()
	// The values share one array: one allocation for the answer's headers,
	// none when the Front's writer, which is reused, has it.
	var vals *[5]string
	if fw, ok := w.(*frontWriter); ok {
		vals = (*[5]string)(fw.vals[1:])
	} else {
		vals = new([5]string)
	}
	set := func(i int, key, val string) {
		if val != "" {
			vals[i] = val
			wh[key] = vals[i : i+1 : i+1]
		}
	}
	set(0, "X-Amz-Executed-Version", res.ExecutedVersion)
	set(1, "X-Amz-Function-Error", res.FunctionError)
	if req.LogTail && req.Type == invoke.RequestResponse {
		set(2, "X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.LogTail))
	}
	set(3, "X-Amzn-Requestid", res.RequestID)
	set(4, "Content-Length", strconv.Itoa(len(res.Payload)))
	wh["Content-Type"] = jsonContentType
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Payload)
	return nil
}

// invokeRequest parses the parts Invoke and InvokeWithResponseStream share:
// the function, qualifier, payload and headers. The invocation type is
// checked by the caller.
func (s *Server) invokeRequest(r *http.Request, body []byte) (*invoke.Request, error) {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	switch lt := r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None", "Tail":
	default:
		return nil, errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+sanitize(lt)+
			"' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]")
	}
	qualifier := ""
	if r.URL.RawQuery != "" {
		qualifier = r.URL.Query().Get("Qualifier")
	}
	if qualifier != "" {
		if err := function.ValidateQualifier(qualifier); err != nil {
			return nil, err
		}
		if ref.Qualifier != "" && ref.Qualifier != qualifier {
			return nil, errorf(http.StatusBadRequest, typeInvalidParam, "The derived qualifier from the function name does not match the specified qualifier.")
		}
	} else {
		qualifier = ref.Qualifier
	}
	h := r.Header
	req := &invoke.Request{
		Function:  ref.Name,
		Qualifier: qualifier,
		Type:      h.Get("X-Amz-Invocation-Type"),
		Payload:   body,
		LogTail:   h.Get("X-Amz-Log-Type") == "Tail",
		TraceID:   h.Get("X-Amzn-Trace-Id"),
	}
	if req.Type == "" {
		req.Type = invoke.RequestResponse
	}
	if cc := h.Get("X-Amz-Client-Context"); cc != "" {
		if len(cc) > maxClientContext {
			return nil, errorf(http.StatusBadRequest, typeInvalidParam, "Client context must be smaller than 3583 bytes.")
		}
		dec, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(dec) {
			return nil, errorf(http.StatusBadRequest, typeInvalidParam, "Client context must be a valid Base64-encoded JSON object.")
		}
		req.ClientContext = string(dec)
	}
	if len(body) == 0 {
		req.Payload = []byte("{}")
	} else if !json.Valid(body) {
		return nil, errorf(http.StatusBadRequest, typeInvalidContent, "Could not parse request body into json: Could not parse payload into json: Unexpected character or end of input")
	}
	return req, nil
}
