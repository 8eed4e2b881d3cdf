package api

import (
	"net/http"

	"github.com/hearth-run/hearth/internal/function"
)

// checkRefScope refuses a FunctionName (or function ARN) that names another
// region or account than this server's, as Lambda does: another region's
// function is not reachable here, and another account's is not the
// caller's to touch. op is the operation, whose IAM action has its name.
// Names that do not parse are left to the handler, which reports them with
// Lambda's validation message.
func (s *Server) checkRefScope(raw, op string) error {
	if raw == "" {
		return nil
	}
	ref, err := function.ParseRef(raw)
	if err != nil {
		return nil
	}
	if ref.Region != "" && ref.Region != s.opts.Region {
		return errorf(http.StatusNotFound, typeNotFound,
			"Functions from '"+sanitize(ref.Region)+"' are not reachable in this region ('"+s.opts.Region+"')")
	}
	if ref.Account != "" && ref.Account != s.opts.Account {
		return errorf(http.StatusForbidden, "AccessDeniedException",
			"User: arn:aws:iam::"+s.opts.Account+":root is not authorized to perform: lambda:"+op+" on resource: "+
				sanitize(raw)+" because no resource-based policy allows the lambda:"+op+" action")
	}
	return nil
}
